// Package keyflags is the flag syntax apikeyctl's commands share with the
// key browser: the filter flags of apikeyctl query and their translation
// to the Query API keys DSL, metadata as key=value pairs, and
// Elasticsearch time values. pkg/cli registers the flags on its commands;
// pkg/browse reads a line of them in its query box and its update form.
// The errors are the sentences apikeyctl prints (the CLI makes them
// usage errors), so both say the same words.
package keyflags

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Filters are the filter flags of apikeyctl query. They combine with AND.
type Filters struct {
	Name, Owner, Realm, Type     string
	Active, Expired, Invalidated bool
	ExpiresWithin                string
	CreatedBefore, CreatedAfter  string
	Metadata                     []string
	// UnusedFor selects the keys apikeyd has not seen used for that long;
	// Elasticsearch does not record when keys are used.
	UnusedFor string
}

// Register defines the filter flags on fs.
func (f *Filters) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Name, "name", "", "keys whose name matches `PATTERN` (* and ? are wildcards)")
	fs.StringVar(&f.Owner, "owner", "", "keys owned by `USER` (the API's username)")
	fs.StringVar(&f.Realm, "realm", "", "keys owned in `REALM` (the API's realm_name)")
	fs.StringVar(&f.Type, "type", "", "keys of this `TYPE`: rest or cross_cluster")
	fs.BoolVar(&f.Active, "active", false, "only keys neither invalidated nor expired")
	fs.BoolVar(&f.Expired, "expired", false, "only expired keys (not invalidated)")
	fs.BoolVar(&f.Invalidated, "invalidated", false, "only invalidated keys")
	fs.StringVar(&f.ExpiresWithin, "expires-within", "", "only valid keys that expire within `DURATION` (7d, 12h, 2w)")
	fs.StringVar(&f.CreatedBefore, "created-before", "", "only keys created before `DATE`")
	fs.StringVar(&f.CreatedAfter, "created-after", "", "only keys created at or after `DATE`")
	fs.StringArrayVar(&f.Metadata, "metadata", nil, "only keys with metadata `key=value` (repeatable; nested keys with dots)")
	fs.StringVar(&f.UnusedFor, "unused-for", "", "only keys not used for `DURATION` (90d): last used before, or never used and created before (apikeyd)")
}

// durationRE matches the durations --expires-within takes: the units of
// Elasticsearch date math.
var durationRE = regexp.MustCompile(`^[0-9]+[smhHdwMy]$`)

// CheckDuration says what is wrong with value, the value of the flag
// --name, as a duration of date math (7d, 12h), such as example.
func CheckDuration(name, value, example string) error {
	if !durationRE.MatchString(value) {
		return fmt.Errorf("invalid --%s %q: give a number and a unit (s, m, h, d, w, M, y), such as %s", name, value, example)
	}
	return nil
}

// Clauses compiles the filters to query clauses, one per filter, in the
// order of the flags; none when no filter is set.
func (f *Filters) Clauses() ([]any, error) {
	states := 0
	for _, on := range []bool{f.Active, f.Expired, f.Invalidated} {
		if on {
			states++
		}
	}
	if states > 1 {
		return nil, errors.New("--active, --expired and --invalidated cannot be used together")
	}
	var fs []any
	term := func(field string, v any) { fs = append(fs, map[string]any{"term": map[string]any{field: v}}) }
	if f.Name != "" {
		if strings.ContainsAny(f.Name, "*?") {
			fs = append(fs, map[string]any{"wildcard": map[string]any{"name": f.Name}})
		} else {
			term("name", f.Name)
		}
	}
	if f.Owner != "" {
		term("username", f.Owner)
	}
	if f.Realm != "" {
		term("realm_name", f.Realm)
	}
	if f.Type != "" {
		if f.Type != api.TypeRest && f.Type != api.TypeCrossCluster {
			return nil, fmt.Errorf("invalid --type %q: use rest or cross_cluster", f.Type)
		}
		term("type", f.Type)
	}
	switch {
	case f.Active:
		term("invalidated", false)
		fs = append(fs, map[string]any{"bool": map[string]any{
			"should": []any{
				map[string]any{"range": map[string]any{"expiration": map[string]any{"gt": "now"}}},
				map[string]any{"bool": map[string]any{"must_not": map[string]any{"exists": map[string]any{"field": "expiration"}}}},
			},
			"minimum_should_match": 1,
		}})
	case f.Expired:
		term("invalidated", false)
		fs = append(fs, map[string]any{"range": map[string]any{"expiration": map[string]any{"lte": "now"}}})
	case f.Invalidated:
		term("invalidated", true)
	}
	if f.ExpiresWithin != "" {
		if err := CheckDuration("expires-within", f.ExpiresWithin, "7d"); err != nil {
			return nil, err
		}
		term("invalidated", false)
		fs = append(fs, map[string]any{"range": map[string]any{"expiration": map[string]any{"gt": "now", "lte": "now+" + f.ExpiresWithin}}})
	}
	if f.UnusedFor != "" {
		if err := CheckDuration("unused-for", f.UnusedFor, "90d"); err != nil {
			return nil, err
		}
		fs = append(fs, unusedFilter(f.UnusedFor))
	}
	for _, c := range []struct{ value, op string }{{f.CreatedBefore, "lt"}, {f.CreatedAfter, "gte"}} {
		if c.value != "" {
			fs = append(fs, map[string]any{"range": map[string]any{"creation": map[string]any{
				c.op: c.value, "format": "strict_date_optional_time||epoch_millis",
			}}})
		}
	}
	for _, kv := range f.Metadata {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --metadata %q: use key=value", kv)
		}
		term("metadata."+k, v)
	}
	return fs, nil
}

// Query is the query the filters make, {"bool":{"filter":[...]}} and
// must (when not nil) the query they narrow; nil when no filter is set,
// which is must alone.
func (f *Filters) Query(must json.RawMessage) (map[string]any, error) {
	clauses, err := f.Clauses()
	if err != nil || len(clauses) == 0 {
		return nil, err
	}
	clause := map[string]any{"filter": clauses}
	if must != nil {
		clause["must"] = []any{must}
	}
	return map[string]any{"bool": clause}, nil
}

// Metadata merges a JSON object (jsonText, as --metadata-json takes it)
// with key=value pairs (as --metadata takes them; values are strings, a
// pair wins over the object's member); nil when neither is given. The
// keys keep the order they were written in, the object's first.
func Metadata(pairs []string, jsonText string) (api.Metadata, error) {
	var md api.Metadata
	if jsonText != "" {
		var err error
		if md, err = api.ParseMetadata([]byte(jsonText)); err != nil || md == nil {
			return nil, errors.New("--metadata-json must be a JSON object, e.g. '{\"team\":\"search\"}'")
		}
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--metadata %q: expected key=value", p)
		}
		md = md.With(k, v)
	}
	return md, nil
}

// CheckTimeValue parses value, the value of the flag --name, as
// Elasticsearch parses a time value, and says what is wrong with it in
// terms of the flag.
func CheckTimeValue(name, value string) error {
	if _, err := api.ParseTimeValue(value, name); err != nil {
		if n, nerr := strconv.ParseInt(strings.TrimSpace(value), 10, 64); nerr == nil && n > 0 {
			return fmt.Errorf("--%s: %s has no unit; use e.g. %dm, %dd", name, value, n, n)
		}
		return fmt.Errorf("--%s: %v; use a whole number and a unit (ms, s, m, h, d), e.g. 5m, 30d", name, err)
	}
	return nil
}

// unusedFilter is the query clause of --unused-for D: the keys last used
// before now-D, and the keys never used that were created before now-D
// (a key created since has not had the time to be used).
func unusedFilter(d string) any {
	before := map[string]any{"lt": "now-" + d}
	return map[string]any{"bool": map[string]any{
		"should": []any{
			map[string]any{"range": map[string]any{"last_used": before}},
			map[string]any{"bool": map[string]any{
				"must_not": map[string]any{"exists": map[string]any{"field": "last_used"}},
				"filter":   map[string]any{"range": map[string]any{"creation": before}},
			}},
		},
		"minimum_should_match": 1,
	}}
}
