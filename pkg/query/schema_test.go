package query

import (
	"errors"
	"slices"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
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

// securityDocs are two users and two roles for the evaluator.
func securityDocs() (users, roles []*Doc) {
	u1 := NewDoc("user-jane", 0)
	u1.Set(FieldUsername, "jane")
	u1.Set(FieldRoles, "ops", "reader")
	u1.Set(FieldEnabled, true)
	u1.Set(FieldFullName, "Jane Doe")
	u1.Set(FieldEmail, "jane.doe@example.com")
	u2 := NewDoc("user-john", 1)
	u2.Set(FieldUsername, "john")
	u2.Set(FieldEnabled, false)
	r1 := NewDoc("role-ops", 0)
	r1.Set(FieldName, "ops")
	r1.Set(FieldDescription, "Operations, on call")
	r1.Metadata = []Leaf{{"team", "payments"}}
	r2 := NewDoc("role-kibana", 1)
	r2.Set(FieldName, "kibana")
	r2.Set(FieldApplication, "kibana-.kibana")
	r2.Set(FieldResources, "space:a", "space:b")
	return []*Doc{u1, u2}, []*Doc{r1, r2}
}

// TestSecuritySearch runs bodies of the query users and roles APIs over
// the evaluator.
func TestSecuritySearch(t *testing.T) {
	users, roles := securityDocs()
	tests := []struct {
		name   string
		schema *Schema
		docs   []*Doc
		body   string
		want   []string
	}{
		{"users by a role", Users, users, `{"query":{"term":{"roles":"reader"}}}`, []string{"user-jane"}},
		{"disabled users", Users, users, `{"query":{"term":{"enabled":"false"}}}`, []string{"user-john"}},
		{"full name words, any order", Users, users, `{"query":{"match":{"full_name":{"query":"doe JANE","operator":"and"}}}}`, []string{"user-jane"}},
		{"email prefix on a term", Users, users, `{"query":{"prefix":{"email":"examp"}}}`, []string{"user-jane"}},
		{"sqs over every user field", Users, users, `{"query":{"simple_query_string":{"query":"john"}}}`, []string{"user-john"}},
		{"sqs phrase on a text field", Users, users, `{"query":{"simple_query_string":{"query":"\"jane doe\"","fields":["full_name"]}}}`, []string{"user-jane"}},
		{"missing full name sorts last", Users, users, `{"sort":[{"username":"desc"}]}`, []string{"user-john", "user-jane"}},
		{"role metadata", Roles, roles, `{"query":{"term":{"metadata.team":"payments"}}}`, []string{"role-ops"}},
		{"role description", Roles, roles, `{"query":{"match":{"description":"call"}}}`, []string{"role-ops"}},
		{"role resources", Roles, roles, `{"query":{"terms":{"applications.resources":["space:b","x"]}}}`, []string{"role-kibana"}},
		{"role exists", Roles, roles, `{"query":{"exists":{"field":"applications.application"}}}`, []string{"role-kibana"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.schema.Read([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			r, err := b.Resolve(Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			_, hits := r.Apply(tc.docs)
			var got []string
			for _, h := range hits {
				got = append(got, h.Doc.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzParseSecurity feeds the query users and roles parsers arbitrary
// bodies: never a panic, every error a 400 api.Error, and whatever is
// accepted evaluates.
func FuzzParseSecurity(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"query":{"term":{"roles":"a"}},"sort":["username"],"search_after":["a"]}`,
		`{"query":{"simple_query_string":{"query":"a* +(b | \"c d\")","fields":["*"]}}}`,
		`{"query":{"match":{"email":{"query":"a@b.c","fuzziness":"AUTO"}}},"from":1,"size":2}`,
		`{"query":{"bool":{"should":[{"wildcard":{"metadata.x":"p*"}},{"range":{"name":{"gte":"a"}}}]}},"sort":[{"metadata.x":"desc"}]}`,
	} {
		f.Add([]byte(seed))
	}
	users, roles := securityDocs()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range []struct {
			schema *Schema
			docs   []*Doc
		}{{Users, users}, {Roles, roles}} {
			b, err := s.schema.Read(body)
			var r *Request
			if err == nil {
				r, err = b.Resolve(Options{Now: testNow})
			}
			if err != nil {
				var e *api.Error
				if !errors.As(err, &e) || e.Code.Status() != 400 {
					t.Fatalf("%q: error %v is not a 400 api.Error", body, err)
				}
				continue
			}
			r.Apply(s.docs)
		}
	})
}
