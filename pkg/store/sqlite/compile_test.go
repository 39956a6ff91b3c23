package sqlite

import (
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name, prefix, want string
		ok                 bool
	}{
		{"ascii", "abc", "abd", true},
		{"percent", "50%", "50&", true},
		{"underscore", "a_", "a`", true},
		{"two-byte", "é", "\xc3\xaa", true},
		{"three-byte", "日", "\xe6\x97\xa6", true},
		{"last code point", "z\U0010FFFF", "z\xf4\x8f\xbf\xc0", true},
		{"trailing 0xff", "a\xff\xff", "b", true},
		{"only 0xff", "\xff\xff", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := prefixEnd(tt.prefix)
			if got != tt.want || ok != tt.ok {
				t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestKeyQuery checks that filters bind their values and use the indexes.
func TestKeyQuery(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	tests := []struct {
		name   string
		filter store.KeyFilter
		index  string // in the query plan
	}{
		{"ids", store.KeyFilter{IDs: []string{"x'--"}}, "(id=?)"},
		{"name", store.KeyFilter{Name: "x'--"}, "api_keys_name (name=?)"},
		{"name prefix", store.KeyFilter{Name: "x'--", NamePrefix: true}, "api_keys_name (name>? AND name<?)"},
		{"username", store.KeyFilter{Username: "x'--"}, "api_keys_owner (principal=?)"},
		{"username realms", store.KeyFilter{Username: "x'--", Realms: []string{"r"}}, "api_keys_owner (principal=? AND realm=?)"},
		{"all", store.KeyFilter{}, "api_keys_creation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args, err := keyQuery(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(query, "x'--") {
				t.Errorf("a value is part of the SQL: %s", query)
			}
			rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if p := strings.Join(plan, "; "); !strings.Contains(p, tt.index) {
				t.Errorf("query plan %q does not use %q", p, tt.index)
			}
		})
	}
}
