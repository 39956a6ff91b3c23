package query

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file holds the terms aggregation's include and exclude filters
// (patterns, partitions) and the check of its order.

// termFilter is a compiled include or exclude of a terms aggregation.
type termFilter struct {
	re                    *regexp.Regexp
	values                map[string]bool
	nums                  map[int64]bool
	partition, partitions int
}

func compileTermFilter(a *Agg, n *strictjson.Node) (*termFilter, error) {
	if n == nil {
		return nil, nil
	}
	tf := &termFilter{}
	switch n.Kind {
	case strictjson.String:
		if a.Field.Numeric() {
			return nil, ShardFailure(typed("aggregation_execution_exception", "Aggregation [%s] cannot support regular expression style include/exclude settings as they can only be applied to string fields. Use an array of values for include/exclude clauses", a.Name))
		}
		re, err := lucenePattern(n.Text)
		if err != nil {
			return nil, ShardFailure(invalid("%s", err.Error()))
		}
		tf.re = re
	case strictjson.Array:
		tf.values, tf.nums = map[string]bool{}, map[int64]bool{}
		for _, e := range n.Elems {
			if _, ok := scalar(e); !ok {
				return nil, ShardFailure(invalid("Unknown value for include/exclude: %s", e.Kind.Token()))
			}
			text := keywordText(e)
			tf.values[text] = true
			if a.Field.Kind() == Date {
				if ms, err := parseDateMath(text, a.format, nil, time.Unix(0, 0), false); err == nil {
					tf.nums[ms] = true
				}
			} else if a.Field.Kind() == Boolean {
				if b, err := booleanTerm(e); err == nil {
					tf.nums[b] = true
				}
			}
		}
	case strictjson.Object:
		p, n1 := n.Get("partition"), n.Get("num_partitions")
		if p == nil || n1 == nil {
			return nil, ShardFailure(invalid("Missing [partition] or [num_partitions] parameter for include/exclude"))
		}
		pv, err1 := intValue(p)
		nv, err2 := intValue(n1)
		if err1 != nil || err2 != nil || nv <= 0 || pv < 0 || pv >= nv {
			return nil, ShardFailure(invalid("Invalid partition settings for include/exclude"))
		}
		tf.partition, tf.partitions = pv, nv
	}
	return tf, nil
}

// lucenePattern compiles a Lucene regular expression (anchored at both
// ends; @ is any string) with Go's regexp.
func lucenePattern(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '@':
			b.WriteString(".*")
		case r == '#':
			b.WriteString("(?:)")
		case r == '<' || r == '~' || r == '&':
			b.WriteString(regexp.QuoteMeta(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return regexp.Compile("^(?s:" + b.String() + ")$")
}

func (tf *termFilter) match(v any) bool {
	switch {
	case tf.re != nil:
		s, _ := v.(string)
		return tf.re.MatchString(s)
	case tf.values != nil:
		if n, ok := v.(int64); ok {
			return tf.nums[n]
		}
		return tf.values[v.(string)]
	}
	s := valueText(v)
	h := murmur3([]byte(s), 31)
	return int(floorMod(int64(h), int64(tf.partitions))) == tf.partition
}

func valueText(v any) string {
	if n, ok := v.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	return v.(string)
}

func floorMod(a, b int64) int64 { return ((a % b) + b) % b }

// murmur3 is Lucene's StringHelper.murmurhash3_x86_32.
func murmur3(data []byte, seed uint32) int32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	n := len(data) / 4 * 4
	for i := 0; i < n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch len(data) & 3 {
	case 3:
		k = uint32(data[n+2]) << 16
		fallthrough
	case 2:
		k |= uint32(data[n+1]) << 8
		fallthrough
	case 1:
		k |= uint32(data[n])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return int32(h)
}

// checkOrder validates a terms order against the sub-aggregations.
func checkOrder(a *Agg) error {
	for _, o := range a.order {
		switch o.path {
		case "_key", "_count", "_term":
			continue
		}
		name, _, _ := strings.Cut(o.path, ".")
		name, _, _ = strings.Cut(name, ">")
		var sub *Agg
		for _, s := range a.Subs {
			if s.Name == name {
				sub = s
			}
		}
		if sub == nil {
			return ShardFailure(typed("aggregation_execution_exception", "Invalid aggregation order path [%s]. Unknown aggregation [%s]", o.path, name))
		}
		switch sub.Type {
		case "cardinality", "value_count", "filter", "missing":
		default:
			return ShardFailure(typed("aggregation_execution_exception", "Invalid aggregation order path [%s]. Buckets can only be sorted on a sub-aggregator path that is built out of zero or more single-bucket aggregations within the path and a final single-bucket or a metrics aggregation at the path end.", o.path))
		}
	}
	return nil
}
