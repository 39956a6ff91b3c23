package storecopy

import (
	"encoding/json"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

func ptr[T any](v T) *T { return &v }

// sample is a snapshot with one record of each kind.
func sample() *Snapshot {
	return &Snapshot{
		Keys: []*store.APIKey{{
			ID: "k1", Name: "ci", Type: "rest", Creation: 1, Expiration: ptr(int64(9)), Hash: "{PBKDF2}x",
			RoleDescriptors: json.RawMessage(`{}`), LimitedBy: json.RawMessage(`[]`), Metadata: json.RawMessage(`{"a": 1}`),
			Creator: store.Creator{Principal: "root", Realm: "os", RealmType: "os"}, Version: 2,
			Lineage: &store.Lineage{Parent: "k0", Relation: store.RelationClone},
		}},
		Usage:      []store.KeyUsage{{ID: "k1", FirstUsed: 1, LastUsed: 2, LastFrom: "10.0.0.1", Count: 3}},
		Users:      []*store.User{{Username: "alice", PasswordHash: "$2a$04$x", Roles: []string{"r"}, Enabled: true}},
		Roles:      []*store.Role{{Name: "r", Descriptor: json.RawMessage(`{"cluster":[]}`)}},
		Privileges: []*store.ApplicationPrivilege{{Application: "app", Name: "read", Actions: []string{"data:read/*"}, Metadata: json.RawMessage(`{}`)}},
		Tokens:     []*store.Token{{ID: "t1", AccessHash: "a", Creation: 1, Expiration: 2, Principal: "alice", Realm: "native", Subject: json.RawMessage(`{}`), Version: 1}},
		Policies:   []*api.ExpiryPolicy{{Name: "p", Realm: "os", Max: "30d"}},
		Notices:    []*store.ExpiryNotice{{KeyID: "k1", Lead: 60_000, Expiration: 9}},
	}
}

// TestSumsSeeEveryChange: a change of one field of one record changes
// the digest of its kind and of no other; the number of rows stays.
func TestSumsSeeEveryChange(t *testing.T) {
	tests := []struct {
		name   string
		kind   string
		change func(s *Snapshot)
	}{
		{"key version", KindAPIKeys, func(s *Snapshot) { s.Keys[0].Version = 3 }},
		{"key metadata spacing", KindAPIKeys, func(s *Snapshot) { s.Keys[0].Metadata = json.RawMessage(`{"a":1}`) }},
		{"key limited-by", KindAPIKeys, func(s *Snapshot) { s.Keys[0].LimitedBy = nil }},
		{"key certificate identity", KindAPIKeys, func(s *Snapshot) { s.Keys[0].CertificateIdentity = ptr("CN=x") }},
		{"key hash", KindAPIKeys, func(s *Snapshot) { s.Keys[0].Hash = "{PBKDF2}y" }},
		{"lineage relation", KindLineage, func(s *Snapshot) { s.Keys[0].Lineage.Relation = store.RelationRotation }},
		{"usage count", KindUsage, func(s *Snapshot) { s.Usage[0].Count = 4 }},
		{"user password hash", KindUsers, func(s *Snapshot) { s.Users[0].PasswordHash = "$2a$04$y" }},
		{"user enabled", KindUsers, func(s *Snapshot) { s.Users[0].Enabled = false }},
		{"role descriptor", KindRoles, func(s *Snapshot) { s.Roles[0].Descriptor = json.RawMessage(`{"cluster":["all"]}`) }},
		{"privilege actions", KindPrivileges, func(s *Snapshot) { s.Privileges[0].Actions = []string{"data:write/*"} }},
		{"token version", KindTokens, func(s *Snapshot) { s.Tokens[0].Version = 2 }},
		{"token refreshed", KindTokens, func(s *Snapshot) { s.Tokens[0].Refreshed = true }},
		{"policy max", KindPolicies, func(s *Snapshot) { s.Policies[0].Max = "60d" }},
		{"notice attempts", KindNotices, func(s *Snapshot) { s.Notices[0].Attempts = 1 }},
	}
	want := sample().Sums()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample()
			tt.change(s)
			got := s.Sums()
			for _, kind := range Kinds {
				changed := got[kind].Digest != want[kind].Digest
				if changed != (kind == tt.kind) {
					t.Errorf("%s: digest changed = %v", kind, changed)
				}
				if got[kind].Rows != want[kind].Rows {
					t.Errorf("%s: %d rows, want %d", kind, got[kind].Rows, want[kind].Rows)
				}
			}
		})
	}
}

// TestSumsTakeEmptyAsEmpty: an empty JSON field is the same row whether
// a store returns it nil or zero-length, and so are nil and empty roles.
func TestSumsTakeEmptyAsEmpty(t *testing.T) {
	a, b := sample(), sample()
	a.Keys[0].LimitedBy, b.Keys[0].LimitedBy = nil, json.RawMessage{}
	a.Users[0].Roles, b.Users[0].Roles = nil, []string{}
	if a.Sums()[KindAPIKeys] != b.Sums()[KindAPIKeys] || a.Sums()[KindUsers] != b.Sums()[KindUsers] {
		t.Error("nil and empty differ")
	}
}
