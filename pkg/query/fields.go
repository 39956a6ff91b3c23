package query

import (
	"strings"
)

// Kind is how a field's values are typed and compared.
type Kind int

// Field kinds, after the security index mapping.
const (
	// Keyword values are strings compared byte by byte.
	Keyword Kind = iota + 1
	// Date values are epoch milliseconds (int64).
	Date
	// Boolean values are 0 (false) and 1 (true), as int64.
	Boolean
	// Flattened is the metadata field: every leaf is a keyword.
	Flattened
	// Text values are the terms of an analysed string (see textAnalyzer).
	Text
)

// Query-level field names.
const (
	FieldUsername     = "username"
	FieldRealm        = "realm_name"
	FieldName         = "name"
	FieldType         = "type"
	FieldCreation     = "creation"
	FieldExpiration   = "expiration"
	FieldInvalidated  = "invalidated"
	FieldInvalidation = "invalidation"
	FieldMetadata     = "metadata"
	// FieldLastUsed is apikeyd's own: when the key last authenticated
	// (absent for a key never used). Only a name given in full selects
	// it, never a pattern, so Elasticsearch's queries mean what they did.
	FieldLastUsed = "last_used"
)

// Field is a queryable field of an API key, a user or a role: one of the Field* names, and
// for metadata.<key> the key under metadata.
type Field struct {
	Name string
	// Keyed is set for metadata.<Key>; a Field named metadata without it
	// is the whole flattened field, all leaves at once.
	Keyed bool
	Key   string
	// index is the field's name in the security index when it is not
	// the API keys' (the roles' name is the runtime field
	// runtime_role_name); empty otherwise.
	index string
}

// F returns the field of a query-level name; it panics on a name that is
// not allowed (for tests and fixed queries).
func F(name string) Field {
	f, err := translate(name, false)
	if err != nil {
		panic(err)
	}
	return f
}

// Kind is how the field's values are typed.
func (f Field) Kind() Kind {
	switch f.Name {
	case FieldCreation, FieldExpiration, FieldInvalidation, FieldLastUsed:
		return Date
	case FieldInvalidated, FieldEnabled:
		return Boolean
	case FieldMetadata:
		return Flattened
	case FieldFullName, FieldEmail, FieldDescription:
		return Text
	}
	return Keyword
}

// Numeric reports whether the field's values are int64.
func (f Field) Numeric() bool { k := f.Kind(); return k == Date || k == Boolean }

// String is the query-level name.
func (f Field) String() string {
	if f.Keyed {
		return FieldMetadata + "." + f.Key
	}
	return f.Name
}

// IndexName is the field's name in Elasticsearch's security index, as its
// shard-level errors name it.
func (f Field) IndexName() string {
	if f.index != "" {
		return f.index
	}
	switch f.Name {
	case FieldUsername:
		return "creator.principal"
	case FieldRealm:
		return "creator.realm"
	case FieldType:
		return "runtime_key_type"
	case FieldCreation:
		return "creation_time"
	case FieldExpiration:
		return "expiration_time"
	case FieldInvalidated:
		return "api_key_invalidated"
	case FieldInvalidation:
		return "invalidation_time"
	case FieldMetadata:
		if f.Keyed {
			return "metadata_flattened." + f.Key
		}
		return "metadata_flattened"
	}
	return f.Name
}

// typeName is the mapping type Elasticsearch names in shard-level errors.
func (f Field) typeName() string {
	switch f.Kind() {
	case Date:
		return "date"
	case Boolean:
		return "boolean"
	case Flattened:
		return "flattened"
	case Text:
		return "text"
	}
	return "keyword"
}

// queryFields are the allowed query-level names, in Elasticsearch's
// translator order (realm is our alias of realm_name).
var queryFields = []string{
	FieldUsername, FieldRealm, "realm", FieldName, FieldType, FieldCreation,
	FieldExpiration, FieldInvalidated, FieldInvalidation, FieldMetadata,
}

// isPattern is Elasticsearch's Regex.isSimpleMatchPattern.
func isPattern(s string) bool { return strings.Contains(s, "*") }

// simpleMatch is Elasticsearch's Regex.simpleMatch: * matches any run of
// characters, everything else itself.
func simpleMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

// translate maps a query-level field name to its Field, refusing patterns
// and fields that are not queryable with Elasticsearch's reasons.
func translate(name string, sorting bool) (Field, error) {
	if isPattern(name) {
		return Field{}, invalid("Field name pattern [%s] is not allowed for querying or aggregation", name)
	}
	switch name {
	case FieldUsername, FieldRealm, FieldName, FieldType, FieldCreation, FieldExpiration,
		FieldInvalidated, FieldInvalidation, FieldMetadata, FieldLastUsed:
		return Field{Name: name}, nil
	case "realm":
		return Field{Name: FieldRealm}, nil
	}
	if key, ok := strings.CutPrefix(name, FieldMetadata+"."); ok {
		return Field{Name: FieldMetadata, Keyed: true, Key: key}, nil
	}
	return Field{}, invalid("Field [%s] is not allowed for querying or aggregation", name)
}
