package query

import (
	"slices"
	"testing"
)

func TestEmailTokens(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"address with a dotted local part", "John.Smith@Example.com",
			[]string{"john.smith@example.com", "john.smith", "example.com", "john", "smith", "example", "com"}},
		{"digits", "ops42@corp.io", []string{"ops42@corp.io", "ops42", "corp.io", "ops", "corp", "io", "42"}},
		{"not an address", "Jane Doe", []string{"jane", "doe"}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := emailTokens(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSchemaFields checks each schema's allowlist: what a query, a sort
// and a pattern may name, as Elasticsearch's FieldNameTranslators allow.
func TestSchemaFields(t *testing.T) {
	tests := []struct {
		name    string
		schema  *Schema
		field   string
		sorting bool
		err     string
	}{
		{"user name", Users, "username", true, ""},
		{"user roles", Users, "roles", true, ""},
		{"user enabled", Users, "enabled", true, ""},
		{"user full_name query", Users, "full_name", false, ""},
		{"user full_name sort", Users, "full_name", true, "sorting is not supported for field [full_name]"},
		{"user email sort", Users, "email", true, "sorting is not supported for field [email]"},
		{"user password", Users, "password", false, "Field [password] is not allowed for querying or aggregation"},
		{"user metadata", Users, "metadata.team", false, "Field [metadata.team] is not allowed for querying or aggregation"},
		{"user pattern", Users, "user*", false, "Field name pattern [user*] is not allowed for querying or aggregation"},
		{"key field on users", Users, "realm_name", false, "Field [realm_name] is not allowed for querying or aggregation"},
		{"role name", Roles, "name", true, ""},
		{"role description sorts at the translator", Roles, "description", true, ""},
		{"role application", Roles, "applications.application", false, ""},
		{"role resources", Roles, "applications.resources", false, ""},
		{"role privileges", Roles, "applications.privileges", false, ""},
		{"role metadata key", Roles, "metadata.a.b", true, ""},
		{"role cluster", Roles, "cluster", false, "Field [cluster] is not allowed for querying or aggregation"},
		{"role metadata pattern", Roles, "metadata.*", false, "Field name pattern [metadata.*] is not allowed for querying or aggregation"},
		{"key field on roles", Roles, "username", false, "Field [username] is not allowed for querying or aggregation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.schema.translate(tc.field, tc.sorting)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
	var all []string
	for _, f := range Roles.translatePattern("*") {
		all = append(all, f.String())
	}
	if want := []string{"name", "description", "applications.application", "applications.resources", "applications.privileges", "metadata"}; !slices.Equal(all, want) {
		t.Fatalf("* selects %v, want %v", all, want)
	}
}
