package esapi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// paramKind says how a query parameter's value is checked.
type paramKind int

const (
	stringParam paramKind = iota
	boolParam
	refreshParam
	formatParam
)

// param is a query parameter a route accepts.
type param struct {
	name string
	kind paramKind
}

// commonParams are accepted on every route, as Elasticsearch's REST layer
// consumes them before any handler runs.
var commonParams = []param{
	{"error_trace", boolParam},
	{"filter_path", stringParam},
	{"format", formatParam},
	{"human", boolParam},
	{"pretty", boolParam},
}

// otherFormats are the response formats of Elasticsearch's format
// parameter besides JSON. Elasticsearch answers any other value, as
// json, in JSON.
var otherFormats = map[string]bool{"yaml": true, "cbor": true, "smile": true}

// parseBool parses a boolean query parameter the way Elasticsearch does:
// "" and "true" are true, "false" is false, anything else is an error.
func parseBool(value string) (bool, error) {
	switch value {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, api.Errorf(api.Invalid, "Failed to parse value [%s] as only [true] or [false] are allowed.", value)
}

// checkParam checks one parameter value of a known kind.
func checkParam(p param, value string) error {
	switch p.kind {
	case boolParam:
		_, err := parseBool(value)
		return err
	case refreshParam:
		return api.CheckRefresh(value)
	case formatParam:
		if otherFormats[strings.ToLower(value)] {
			return api.Errorf(api.Invalid, "apikeyd answers in JSON only: [format=%s] is not supported", value)
		}
	}
	return nil
}

// query holds the last value of each query parameter, as Elasticsearch
// keeps them.
type query map[string]string

func parseQuery(raw string) (query, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, api.Errorf(api.Invalid, "invalid query string: %v", err)
	}
	q := query{}
	for k, vs := range values {
		q[k] = vs[len(vs)-1]
	}
	return q, nil
}

// has reports whether the parameter was given.
func (q query) has(name string) bool {
	_, ok := q[name]
	return ok
}

// flag returns a boolean parameter that was already checked, false when
// absent.
func (q query) flag(name string) bool {
	v, ok := q[name]
	if !ok {
		return false
	}
	b, _ := parseBool(v)
	return b
}

// checkParams checks the values of the known parameters, then reports the
// unknown ones with Elasticsearch's message.
func checkParams(path string, q query, known []param) error {
	byName := map[string]param{}
	for _, p := range commonParams {
		byName[p.name] = p
	}
	for _, p := range known {
		byName[p.name] = p
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var unknown []string
	for _, k := range names {
		p, ok := byName[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if err := checkParam(p, q[k]); err != nil {
			return err
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	candidates := make([]string, 0, len(byName))
	for k := range byName {
		candidates = append(candidates, k)
	}
	return unrecognized(path, unknown, candidates)
}

// unrecognized is Elasticsearch's BaseRestHandler.unrecognized message:
// the unknown names in sorted order, each with the accepted names that look
// like it.
func unrecognized(path string, invalid, candidates []string) *api.Error {
	sort.Strings(invalid)
	var b strings.Builder
	plural := ""
	if len(invalid) > 1 {
		plural = "s"
	}
	fmt.Fprintf(&b, "request [%s] contains unrecognized parameter%s: ", path, plural)
	for i, name := range invalid {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("[" + name + "]")
		switch like := api.Similar(name, candidates, 0.5); len(like) {
		case 0:
		case 1:
			b.WriteString(" -> did you mean [" + like[0] + "]?")
		default:
			b.WriteString(" -> did you mean any of [" + strings.Join(like, ", ") + "]?")
		}
	}
	return api.Errorf(api.Invalid, "%s", b.String())
}
