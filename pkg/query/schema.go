package query

import (
	"strings"
	"unicode"
)

// Schema is what one query API accepts: the fields its queries, sorts and
// field patterns may name (Elasticsearch's FieldNameTranslators for API
// keys, users or roles), the name of its body parser, quoted in parse
// errors, and whether the body may carry aggregations.
type Schema struct {
	parser string
	aggs   bool
	// names are the query-level names, in translator order, that a field
	// pattern of simple_query_string may select.
	names     []string
	translate func(name string, sorting bool) (Field, error)
}

// APIKeys is the schema of GET|POST /_security/_query/api_key.
var APIKeys = &Schema{parser: payloadParser, aggs: true, names: queryFields, translate: translate}

// Users is the schema of GET|POST /_security/_query/user: username, roles
// and enabled (keywords and a boolean), full_name and email (text fields,
// which cannot be sorted on). Elasticsearch's USER_FIELD_NAME_TRANSLATORS.
var Users = &Schema{
	parser:    "query_user_request_payload",
	names:     []string{FieldUsername, FieldRoles, FieldEnabled, FieldFullName, FieldEmail},
	translate: translateUser,
}

// Roles is the schema of GET|POST /_security/_query/role: name,
// description (a text field), the applications' application, resources
// and privileges, and metadata (flattened). Elasticsearch's
// ROLE_FIELD_NAME_TRANSLATORS.
var Roles = &Schema{
	parser: "query_role_request_payload",
	names: []string{FieldName, FieldDescription, FieldApplication, FieldResources,
		FieldAppPrivileges, FieldMetadata},
	translate: translateRole,
}

// Query-level field names of users and roles.
const (
	FieldRoles          = "roles"
	FieldEnabled        = "enabled"
	FieldFullName       = "full_name"
	FieldEmail          = "email"
	FieldDescription    = "description"
	FieldApplication    = "applications.application"
	FieldResources      = "applications.resources"
	FieldAppPrivileges  = "applications.privileges"
	userFieldsNotSorted = "sorting is not supported for field [%s]"
)

// Read parses the body of a request of this schema; see Read.
func (s *Schema) Read(body []byte) (*Body, error) { return read(s, body) }

// F returns the field of a query-level name of this schema; it panics on
// a name that is not allowed (for tests and fixed queries).
func (s *Schema) F(name string) Field {
	f, err := s.translate(name, false)
	if err != nil {
		panic(err)
	}
	return f
}

func notAllowed(name string) error {
	if isPattern(name) {
		return invalid("Field name pattern [%s] is not allowed for querying or aggregation", name)
	}
	return invalid("Field [%s] is not allowed for querying or aggregation", name)
}

func translateUser(name string, sorting bool) (Field, error) {
	switch name {
	case FieldUsername, FieldRoles, FieldEnabled:
		return Field{Name: name}, nil
	case FieldFullName, FieldEmail:
		if sorting {
			return Field{}, invalid(userFieldsNotSorted, name)
		}
		return Field{Name: name}, nil
	}
	return Field{}, notAllowed(name)
}

func translateRole(name string, sorting bool) (Field, error) {
	switch name {
	case FieldName:
		// Elasticsearch reads a role's name from its document id through
		// this runtime field.
		return Field{Name: name, index: "runtime_role_name"}, nil
	case FieldDescription, FieldApplication, FieldResources, FieldAppPrivileges, FieldMetadata:
		return Field{Name: name}, nil
	}
	if key, ok := strings.CutPrefix(name, FieldMetadata+"."); ok && !isPattern(name) {
		return Field{Name: FieldMetadata, Keyed: true, Key: key}, nil
	}
	return Field{}, notAllowed(name)
}

// translatePattern lists the fields a name or pattern selects, for
// simple_query_string: unknown names and patterns that match nothing
// select nothing. A pattern never selects metadata sub-fields.
func (s *Schema) translatePattern(p string) []Field {
	var out []Field
	seen := map[string]bool{}
	add := func(f Field) {
		if !seen[f.IndexName()] {
			seen[f.IndexName()] = true
			out = append(out, f)
		}
	}
	for _, q := range s.names {
		if isPattern(p) {
			if simpleMatch(p, q) {
				f, _ := s.translate(q, false)
				add(f)
			}
			continue
		}
		if p == q || (q == FieldMetadata && strings.HasPrefix(p, FieldMetadata+".")) {
			f, _ := s.translate(p, false)
			add(f)
		}
	}
	return out
}

// textAnalyzer is the analyzer of a text field: email for email,
// standard for the others.
func textAnalyzer(f Field) func(string) []string {
	if f.Name == FieldEmail {
		return emailTokens
	}
	return standardTokens
}

// emailLike reports whether a whole token is one the uax_url_email
// tokenizer keeps as one: local@domain.tld.
func emailLike(w string) bool {
	local, domain, ok := strings.Cut(w, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1
}

// runs appends to out the maximal runs of characters of s that in
// accepts, as a pattern (x+) captures them.
func runs(s string, in func(rune) bool, out []string) []string {
	start := -1
	for i, r := range s {
		switch {
		case in(r) && start < 0:
			start = i
		case !in(r) && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// emailTokens approximates the security index's email analyzer: the
// uax_url_email tokenizer (an address is one token, other text as the
// standard tokenizer splits it), the pattern_capture filter (preserving
// the original) with the patterns ([^@]+), (\p{L}+), (\d+) and @(.+) —
// the local part, the domain, every run of letters and of digits — then
// lowercase and unique.
func emailTokens(s string) []string {
	var raw []string
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if emailLike(w) {
			raw = append(raw, w)
			continue
		}
		raw = append(raw, standardTokens(w)...)
	}
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		t = strings.ToLower(t)
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	var captures []string
	for _, t := range raw {
		add(t)
		captures = runs(t, func(r rune) bool { return r != '@' }, captures[:0])
		captures = runs(t, unicode.IsLetter, captures)
		captures = runs(t, func(r rune) bool { return r >= '0' && r <= '9' }, captures)
		if _, domain, ok := strings.Cut(t, "@"); ok {
			captures = append(captures, domain)
		}
		for _, c := range captures {
			add(c)
		}
	}
	return out
}

// NewDoc returns an empty document of a user or a role (fields set with
// Set), whose _id is id and whose index order is seq.
func NewDoc(id string, seq int64) *Doc {
	return &Doc{ID: id, Seq: seq, Fields: map[string][]any{}}
}

// Set gives the doc's field name its values: strings for keywords (a text
// field's text is analysed into its terms), bools for booleans. Metadata
// goes in Doc.Metadata. Doc values are a set: each distinct value once.
func (d *Doc) Set(name string, values ...any) {
	f := Field{Name: name}
	seen := make(map[any]bool, len(d.Fields[name]))
	for _, v := range d.Fields[name] {
		seen[v] = true
	}
	add := func(v any) {
		if !seen[v] {
			seen[v] = true
			d.Fields[name] = append(d.Fields[name], v)
		}
	}
	for _, v := range values {
		switch v := v.(type) {
		case bool:
			if v {
				add(int64(1))
			} else {
				add(int64(0))
			}
		case string:
			if f.Kind() != Text {
				add(v)
				continue
			}
			for _, t := range textAnalyzer(f)(v) {
				add(t)
			}
		}
	}
}
