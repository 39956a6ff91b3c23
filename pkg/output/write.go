package output

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// Write writes v, a response of the API (a value or a pointer), to
// ios.Out as opts ask:
//
//   - with Field, JQ or Template: what they select, from v's JSON;
//   - json: v's JSON exactly as the REST API returns it, indented;
//   - yaml: the same data in the same order;
//   - jsonl: one compact JSON line per item of a list response;
//   - table and wide: opts.Render if set, else the built-in rendering of
//     v's type: a table or a card on a terminal, tab-separated rows on a
//     pipe. An empty list writes nothing to stdout and a hint to stderr.
//
// Without -o, the format is table on a terminal and json on a pipe. Errors
// in what opts ask are *UsageError.
func Write(ios *iostreams.IOStreams, opts Options, v any) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	switch {
	case opts.Field != "":
		return writeField(ios.Out, v, opts.Field)
	case opts.JQ != "":
		return writeJQ(ios.Out, v, opts.JQ)
	case opts.Template != "":
		return writeTemplate(ios.Out, v, opts.Template, opts.now())
	}
	switch opts.resolve(ios.IsStdoutTTY()) {
	case JSON:
		return writeJSON(ios.Out, v)
	case YAML:
		return writeYAML(ios.Out, v)
	case JSONL:
		return writeJSONL(ios.Out, v)
	}
	t := NewTerminal(ios, opts.now())
	t.Wide = opts.Format == Wide
	t.Detail = opts.Detail
	if opts.Render != nil {
		return opts.Render(t)
	}
	return t.Render(v)
}

// Render writes the built-in terminal rendering of v.
func (t *Terminal) Render(v any) error {
	switch r := deref(v).(type) {
	case api.GetAPIKeysResponse:
		if t.Detail && len(r.APIKeys) > 0 {
			return t.keyCards(r.APIKeys)
		}
		return t.keyTable(r.APIKeys)
	case api.QueryAPIKeysResponse:
		return t.queryResult(r)
	case []api.APIKey:
		return t.keyTable(r)
	case api.APIKey:
		return t.keyCards([]api.APIKey{r})
	case api.CreateAPIKeyResponse:
		return t.createCard(r)
	case api.RotateAPIKeyResponse:
		return t.rotateCard(r)
	case api.APIKeyLineage:
		return t.lineageTree(r)
	case api.InvalidateAPIKeysResponse:
		return t.invalidateSummary(r)
	case api.AuthenticateResponse:
		return t.whoami(r)
	case api.GetUsersResponse:
		return t.userTable(usersByName(r))
	case api.GetRolesResponse:
		return t.roleTable(rolesByName(r))
	case api.QueryUsersResponse:
		return t.queriedUsers(r)
	case api.QueryRolesResponse:
		return t.queriedRoles(r)
	case api.GetPrivilegesResponse:
		return t.privilegeTable(r)
	case api.GetUserPrivilegesResponse:
		return t.userPrivileges(r)
	case api.BulkRolesResponse:
		return t.rolesSummary(r)
	case api.ExplainResponse:
		return t.explainCard(r)
	}
	return t.generic(v)
}

// generic renders any other value as its flattened JSON: "path  value"
// lines.
func (t *Terminal) generic(v any) error {
	rows, err := flattenJSON(v)
	if err != nil {
		return err
	}
	fields := make([]field, len(rows))
	for i, r := range rows {
		fields[i] = field{label: r[0], key: r[0], value: r[1]}
	}
	_, err = fmt.Fprint(t.Out, t.fieldsString(fields, 0))
	return err
}

// pipeRows writes v's JSON as "path<TAB>value" rows, what a pipe gets of
// a value a terminal shows as a card.
func (t *Terminal) pipeRows(v any) error {
	rows, err := flattenJSON(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(t.Out, t.fieldsString(pipeFields(rows), 0))
	return err
}

// flattenJSON lists v's JSON as (path, value) pairs: paths as --field takes
// them, lists of scalars joined with commas, empty objects, lists and nulls
// left out.
func flattenJSON(v any) ([][2]string, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	d, err := decodeOrdered(b)
	if err != nil {
		return nil, err
	}
	var rows [][2]string
	flatten("", d, &rows)
	return rows, nil
}

func flatten(prefix string, v any, rows *[][2]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case nil:
	case orderedjson.Object:
		for _, m := range x {
			flatten(join(m.Key), m.Value, rows)
		}
	case []any:
		if len(x) == 0 {
			return
		}
		if s, ok := inlineText(x); ok {
			*rows = append(*rows, [2]string{prefix, s})
			return
		}
		for i, e := range x {
			flatten(join(strconv.Itoa(i)), e, rows)
		}
	default:
		*rows = append(*rows, [2]string{prefix, scalarText(x)})
	}
}

// pipeFields turns flattened rows into card fields for a pipe, with the
// epoch milliseconds of the named time fields as RFC 3339.
func pipeFields(rows [][2]string, timeFields ...string) []field {
	fields := make([]field, 0, len(rows))
	for _, r := range rows {
		value := r[1]
		for _, tf := range timeFields {
			if r[0] == tf {
				if ms, err := json.Number(value).Int64(); err == nil {
					value = pipeTime(Millis(ms))
				}
			}
		}
		fields = append(fields, field{key: r[0], value: value})
	}
	return fields
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
