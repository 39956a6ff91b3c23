package storecopy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// row is one record in its canonical serialisation, with the identity
// that names it within its kind.
type row struct {
	id   string
	data []byte
}

// The canonical rows: every stored field, JSON-valued ones as their exact
// text (an empty one is ""), encoded by encoding/json in field order.
type (
	keyRow struct {
		ID, Name, Type                       string
		Creation                             int64
		Expiration                           *int64
		Invalidated                          bool
		Invalidation                         *int64
		Hash                                 string
		RoleDescriptors, LimitedBy, Metadata string
		Principal                            string
		FullName, Email                      *string
		CreatorMetadata, Realm, RealmType    string
		CertificateIdentity                  *string
		AllowedNetworks                      []string
		Version                              int64
	}
	lineageRow struct {
		ID, Parent, Relation string
		GraceEnd             *int64
		UntilUnused          int64
	}
	userRow struct {
		Username, PasswordHash string
		Roles                  []string
		FullName, Email        *string
		Metadata               string
		Enabled, Reserved      bool
	}
	roleRow struct {
		Name, Descriptor string
	}
	privilegeRow struct {
		Application, Name string
		Actions           []string
		Metadata          string
	}
	tokenRow struct {
		ID, AccessHash, RefreshHash                string
		Creation, Expiration                       int64
		Invalidated, RefreshInvalidated, Refreshed bool
		RefreshTime                                *int64
		Superseding, Principal, Realm              string
		Subject, Client                            string
		Version                                    int64
	}
	noticeRow struct {
		KeyID            string
		Lead, Expiration int64
		Delivered        *int64
		Attempts         int
		NextAttempt      int64
		LastError        string
	}
)

// rows returns the canonical rows of each kind of s, in the snapshot's
// order.
func (s *Snapshot) rows() map[string][]row {
	out := make(map[string][]row, len(Kinds))
	add := func(kind, id string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			// The row types hold strings, numbers and booleans only.
			panic(fmt.Sprintf("storecopy: encode a %s row: %v", kind, err))
		}
		out[kind] = append(out[kind], row{id: id, data: b})
	}
	for _, k := range s.Keys {
		add(KindAPIKeys, k.ID, keyRow{
			ID: k.ID, Name: k.Name, Type: k.Type, Creation: k.Creation, Expiration: k.Expiration,
			Invalidated: k.Invalidated, Invalidation: k.Invalidation, Hash: k.Hash,
			RoleDescriptors: string(k.RoleDescriptors), LimitedBy: string(k.LimitedBy), Metadata: string(k.Metadata),
			Principal: k.Creator.Principal, FullName: k.Creator.FullName, Email: k.Creator.Email,
			CreatorMetadata: string(k.Creator.Metadata), Realm: k.Creator.Realm, RealmType: k.Creator.RealmType,
			CertificateIdentity: k.CertificateIdentity, AllowedNetworks: k.AllowedNetworks, Version: k.Version,
		})
		if l := k.Lineage; l != nil {
			add(KindLineage, k.ID, lineageRow{ID: k.ID, Parent: l.Parent, Relation: l.Relation, GraceEnd: l.GraceEnd, UntilUnused: l.UntilUnused})
		}
	}
	for _, u := range s.Usage {
		add(KindUsage, u.ID, u)
	}
	for _, u := range s.Users {
		roles := u.Roles
		if roles == nil {
			roles = []string{}
		}
		add(KindUsers, u.Username, userRow{
			Username: u.Username, PasswordHash: u.PasswordHash, Roles: roles, FullName: u.FullName, Email: u.Email,
			Metadata: string(u.Metadata), Enabled: u.Enabled, Reserved: u.Reserved,
		})
	}
	for _, r := range s.Roles {
		add(KindRoles, r.Name, roleRow{Name: r.Name, Descriptor: string(r.Descriptor)})
	}
	for _, p := range s.Privileges {
		actions := p.Actions
		if actions == nil {
			actions = []string{}
		}
		add(KindPrivileges, p.Application+"/"+p.Name, privilegeRow{Application: p.Application, Name: p.Name, Actions: actions, Metadata: string(p.Metadata)})
	}
	for _, t := range s.Tokens {
		add(KindTokens, t.ID, tokenRow{
			ID: t.ID, AccessHash: t.AccessHash, RefreshHash: t.RefreshHash, Creation: t.Creation, Expiration: t.Expiration,
			Invalidated: t.Invalidated, RefreshInvalidated: t.RefreshInvalidated, Refreshed: t.Refreshed,
			RefreshTime: t.RefreshTime, Superseding: t.Superseding, Principal: t.Principal, Realm: t.Realm,
			Subject: string(t.Subject), Client: string(t.Client), Version: t.Version,
		})
	}
	for _, p := range s.Policies {
		add(KindPolicies, p.Name, p)
	}
	for _, n := range s.Notices {
		add(KindNotices, fmt.Sprintf("%s/%d", n.KeyID, n.Lead), noticeRow{
			KeyID: n.KeyID, Lead: n.Lead, Expiration: n.Expiration, Delivered: n.Delivered,
			Attempts: n.Attempts, NextAttempt: n.NextAttempt, LastError: n.LastError,
		})
	}
	return out
}

// Sum is the row count and digest of one kind of records.
type Sum struct {
	Rows int `json:"rows"`
	// Digest is the hex SHA-256 of the rows' canonical serialisations,
	// each followed by a newline, in the snapshot's order.
	Digest string `json:"digest"`
}

// sum returns the Sum of rows.
func sum(rows []row) Sum {
	h := sha256.New()
	for _, r := range rows {
		h.Write(r.data)
		h.Write([]byte{'\n'})
	}
	return Sum{Rows: len(rows), Digest: hex.EncodeToString(h.Sum(nil))}
}

// Sums returns the Sum of every kind of s.
func (s *Snapshot) Sums() map[string]Sum {
	rows := s.rows()
	out := make(map[string]Sum, len(Kinds))
	for _, kind := range Kinds {
		out[kind] = sum(rows[kind])
	}
	return out
}
