package keyservice

import (
	"slices"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// keySelection is what get and invalidate select keys by: ids, a name (or
// name pattern), an owner's username and realm, or the caller's own keys.
type keySelection struct {
	ids                   []string
	name, username, realm string
	owner                 bool
}

// ownedBy is the manage_own_api_key ownership predicate of Elasticsearch
// for get and invalidate: an API key may only name itself; a user must ask
// for owner=true or name its own username and realm.
func (sel keySelection) ownedBy(sub *auth.Subject) bool {
	if sub.IsAPIKey() {
		return len(sel.ids) > 0 && !slices.ContainsFunc(sel.ids, func(id string) bool { return id != sub.APIKey.ID })
	}
	return sel.owner || (sel.username == sub.Username && sel.realm == sub.Realm.Name)
}

// filter is the store filter of the selection made by sub. Names follow
// Elasticsearch's matching: "*" is every name, a trailing "*" a prefix,
// anything else exact.
func (sel keySelection) filter(sub *auth.Subject) store.KeyFilter {
	f := store.KeyFilter{IDs: sel.ids, Username: sel.username}
	if sel.realm != "" {
		f.Realms = []string{sel.realm}
	}
	if sel.owner {
		f.Username = sub.Username
		f.Realms = []string{sub.OwnerRealm().Name}
	}
	switch name := sel.name; {
	case name == "" || name == "*":
	case strings.HasSuffix(name, "*"):
		f.Name, f.NamePrefix = strings.TrimSuffix(name, "*"), true
	default:
		f.Name = name
	}
	return f
}
