// Package store defines the storage contract of apikeyd: the records it
// keeps (API keys, users, roles, OAuth2 tokens) and the Store interface
// that every backend implements. The SQLite backend lives in store/sqlite;
// storetest holds the contract test suite that every backend must pass.
//
// A Store keeps records, it makes no decisions: every rule of the API lives
// in keyservice. JSON-valued fields are stored and returned as the exact
// bytes the service gave; an empty one may come back nil.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// Errors a Store returns. Backends wrap them with context; callers test with
// errors.Is.
var (
	// ErrNotFound is a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a write that lost a race: a duplicate id, or a version
	// that changed since it was read.
	ErrConflict = errors.New("conflict")
	// ErrReadOnly is a write refused because the database cannot be
	// written: its file or directory is read-only. Nothing was written.
	ErrReadOnly = errors.New("the database is read-only")
	// ErrNoSpace is a write refused for want of space on the disk (or
	// under the database's size limit). Nothing was written, and writes
	// succeed again once there is space.
	ErrNoSpace = errors.New("no space left for the database")
	// ErrUnavailable is a database server that cannot be reached (down,
	// restarting, failing over, a network cut): the call failed, and
	// calls succeed again once it is back, without reopening the store.
	// A write whose commit was cut may or may not have been committed.
	ErrUnavailable = errors.New("the database is unavailable")
)

// Creator is the owner of an API key as recorded at its last create or update.
type Creator struct {
	Principal string
	FullName  *string
	Email     *string
	Metadata  json.RawMessage
	Realm     string
	RealmType string
}

// APIKey is a stored API key.
type APIKey struct {
	ID           string
	Name         string
	Type         string
	Creation     int64
	Expiration   *int64
	Invalidated  bool
	Invalidation *int64
	// Hash is the secret's hash in one of the prefixed formats of package apikey.
	Hash string
	// RoleDescriptors, LimitedBy and Metadata are JSON objects (LimitedBy may
	// be empty for keys that have none).
	RoleDescriptors json.RawMessage
	LimitedBy       json.RawMessage
	Metadata        json.RawMessage
	Creator         Creator
	// CertificateIdentity is the pattern a cross-cluster key's remote
	// cluster certificate must match (its subject DN); nil for none.
	CertificateIdentity *string
	// AllowedNetworks are the client networks the key may be used from,
	// as keyservice wrote them (CIDR prefixes, and "local"); nil for a
	// key usable from anywhere. Stores keep them in one text column
	// (NetworksColumn).
	AllowedNetworks []string
	// Version counts the writes to the key; UpdateAPIKey succeeds only when
	// the stored version still equals it.
	Version int64
	// Lineage, when set at InsertAPIKey, records the key's parent (see
	// Lineage for which reads fill it).
	Lineage *Lineage
}

// KeyFilter selects API keys; all set fields must match.
type KeyFilter struct {
	// IDs, when non-nil, restricts to these ids (an empty non-nil slice
	// matches nothing).
	IDs []string
	// Name matches exactly, or as a prefix when NamePrefix is set.
	Name       string
	NamePrefix bool
	// Username matches the creator principal exactly.
	Username string
	// Realms, when non-empty, restricts to keys whose creator realm is one of them.
	Realms []string
	// Type, when set, keeps only keys of that type.
	Type string
	// ExcludeInvalidated drops invalidated keys.
	ExcludeInvalidated bool
	// ActiveAt, when non-zero, keeps only keys that are neither invalidated
	// nor expired at that instant (epoch milliseconds).
	ActiveAt int64
}

// KeyUsage is when and from where an API key authenticated: its first
// and last use (epoch milliseconds; 0 is never), where the last one came
// from, and how many uses were recorded. A FirstUsed of 0 in a report is
// its LastUsed.
type KeyUsage struct {
	ID        string
	FirstUsed int64
	LastUsed  int64
	LastFrom  string
	Count     int64
}

// Merge folds a later report of uses of the same key into u: the counts
// add, the last use (and where it came from) is the later one (the
// report's, at the same instant), and the first use the earlier one.
func (u *KeyUsage) Merge(o KeyUsage) {
	u.Count += o.Count
	if o.LastUsed >= u.LastUsed {
		u.LastUsed, u.LastFrom = o.LastUsed, o.LastFrom
	}
	if o.FirstUsed != 0 && (u.FirstUsed == 0 || o.FirstUsed < u.FirstUsed) {
		u.FirstUsed = o.FirstUsed
	}
}

// User is a user of the native realm.
type User struct {
	Username     string
	PasswordHash string
	Roles        []string
	FullName     *string
	Email        *string
	Metadata     json.RawMessage
	Enabled      bool
	// Reserved marks built-in users (the bootstrap superuser elastic).
	Reserved bool
}

// Role is a named role descriptor, stored as its JSON.
type Role struct {
	Name       string
	Descriptor json.RawMessage
}

// ApplicationPrivilege is a stored application privilege: the actions an
// application's named privilege stands for.
type ApplicationPrivilege struct {
	Application string
	Name        string
	// Actions are the action patterns, in the order written.
	Actions []string
	// Metadata is a JSON object, as written.
	Metadata json.RawMessage
}

// Token is a stored OAuth2 access token with, optionally, its refresh
// token. Only hashes of the token strings are kept.
type Token struct {
	ID string
	// AccessHash and RefreshHash are hashes of the token strings;
	// RefreshHash is empty for a token without a refresh token.
	AccessHash  string
	RefreshHash string
	// Creation and Expiration (of the access token) are epoch milliseconds.
	Creation   int64
	Expiration int64
	// Invalidated is the access token's state, RefreshInvalidated the
	// refresh token's.
	Invalidated        bool
	RefreshInvalidated bool
	// Refreshed is set, with RefreshTime, when the refresh token was used.
	Refreshed   bool
	RefreshTime *int64
	// Superseding holds the tokens that replaced this one at its refresh,
	// sealed with a key only the refresh token yields (opaque to the store).
	Superseding string
	// Principal and Realm name whom the token stands for; Subject and
	// Client are JSON objects (whom the token stands for, and which client
	// may refresh it), stored as given.
	Principal string
	Realm     string
	Subject   json.RawMessage
	Client    json.RawMessage
	// Version counts the writes to the token; UpdateToken succeeds only
	// when the stored version still equals it.
	Version int64
}

// TokenFilter selects tokens; all set fields must match.
type TokenFilter struct {
	// Realm and Principal match the token's realm and principal exactly.
	Realm     string
	Principal string
	// ActiveAt, when non-zero, keeps only tokens still usable at that
	// instant: an access token neither invalidated nor expired, or a
	// refresh token not invalidated and created at or after RefreshSince.
	ActiveAt     int64
	RefreshSince int64
}

// ExpiringFilter selects the keys, not invalidated, whose expiration is
// after From and at or before Until (epoch milliseconds), ordered by
// expiration then id: one page of at most Limit keys, those after the key
// (AfterExpiration, AfterID) when AfterID is set.
type ExpiringFilter struct {
	From, Until     int64
	AfterExpiration int64
	AfterID         string
	Limit           int
}

// ExpiryNotice records the notification of one key at one lead time
// before its expiration: delivered, or the attempts made so far.
type ExpiryNotice struct {
	KeyID string
	// Lead is the lead time in milliseconds, Expiration the key's
	// expiration the notice is for (epoch milliseconds).
	Lead       int64
	Expiration int64
	// Delivered is the instant of the delivery, nil while there is none.
	Delivered *int64
	// Attempts counts the deliveries tried; NextAttempt is the earliest
	// instant of the next one, LastError what the last one failed with.
	Attempts    int
	NextAttempt int64
	LastError   string
}

// Reader reads records.
type Reader interface {
	// GetAPIKey returns the key with id, or ErrNotFound.
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKeys returns the keys matching f, ordered by creation then id.
	FindAPIKeys(ctx context.Context, f KeyFilter) ([]*APIKey, error)
	// QueryAPIKeys runs a query API keys search: the number of keys its
	// query matches, one page of them, and all of them when s.Matches is
	// set. Every node of the query tree must be served by an index where
	// the backend has one for the field (term, terms, prefix, range and
	// ids at least).
	QueryAPIKeys(ctx context.Context, s *KeySearch) (*KeyPage, error)
	// GetUser returns the user, or ErrNotFound.
	GetUser(ctx context.Context, username string) (*User, error)
	// ListUsers returns all users ordered by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// GetRole returns the role, or ErrNotFound.
	GetRole(ctx context.Context, name string) (*Role, error)
	// ListRoles returns all roles ordered by name.
	ListRoles(ctx context.Context) ([]*Role, error)
	// ListApplicationPrivileges returns the application privileges of
	// the applications named, of every application when none is, ordered
	// by application then name.
	ListApplicationPrivileges(ctx context.Context, applications []string) ([]*ApplicationPrivilege, error)
	// CountCrossClusterAccess counts the active cross-cluster keys at now
	// (not invalidated, expiring after now or never) by the access their
	// role descriptor grants, in one grouped count.
	CountCrossClusterAccess(ctx context.Context, now int64) (CrossClusterAccessCounts, error)
	// InactiveAPIKeyIDs returns, ordered by id, the keys past retention at
	// cutoff: expired at or before cutoff, or invalidated at or before
	// cutoff or at an unknown instant.
	InactiveAPIKeyIDs(ctx context.Context, cutoff int64) ([]string, error)
	// GetTokenByAccessHash and GetTokenByRefreshHash return the token
	// whose access or refresh token has the hash, or ErrNotFound.
	GetTokenByAccessHash(ctx context.Context, hash string) (*Token, error)
	GetTokenByRefreshHash(ctx context.Context, hash string) (*Token, error)
	// FindTokens returns the tokens matching f, ordered by creation then id.
	FindTokens(ctx context.Context, f TokenFilter) ([]*Token, error)
	// GetLineage returns the lineage of the key id, or ErrNotFound when
	// it has no parent.
	GetLineage(ctx context.Context, id string) (*Lineage, error)
	// Ancestors returns the keys the key id descends from, its parent
	// first, each with its own Lineage (nil for the eldest), at most
	// MaxLineageDepth of them. A parent that no longer exists ends the
	// line.
	Ancestors(ctx context.Context, id string) ([]*APIKey, error)
	// Children returns the keys whose parent is id by relation, each with
	// its Lineage, ordered by creation then id; its cost is that of the
	// id's children, not of its whole family.
	Children(ctx context.Context, id, relation string) ([]*APIKey, error)
	// Descendants returns the keys that descend from any of ids, every
	// generation, each with its Lineage, ordered by creation then id, at
	// most limit of them, the nearest generations first when there are
	// more (a caller that asks for one more than it takes learns there
	// were too many). Its cost is linear in the number it
	// returns; an id that descends from another of ids is returned as a
	// descendant.
	Descendants(ctx context.Context, ids []string, limit int) ([]*APIKey, error)
	// UntilUnusedRotations returns the rotations with an until-unused
	// rule whose old key or successor is one of ids, as the successors'
	// lineages by successor id. Its cost is that of the rotations with
	// such a rule, not of the keys.
	UntilUnusedRotations(ctx context.Context, ids []string) (map[string]*Lineage, error)
	// ExpiringAPIKeys returns one page of the keys f selects, read by an
	// index on expiration.
	ExpiringAPIKeys(ctx context.Context, f ExpiringFilter) ([]*APIKey, error)
	// GetExpiryNotices returns the notices of the keys ids, ordered by
	// key id then lead.
	GetExpiryNotices(ctx context.Context, ids []string) ([]*ExpiryNotice, error)
	// GetExpiryPolicy returns the expiry policy name, or ErrNotFound.
	GetExpiryPolicy(ctx context.Context, name string) (*api.ExpiryPolicy, error)
	// ListExpiryPolicies returns every expiry policy ordered by name.
	ListExpiryPolicies(ctx context.Context) ([]*api.ExpiryPolicy, error)
	// GetKeyUsage returns the recorded usage of the keys ids, by id; a key
	// never used (or that does not exist) has no entry.
	GetKeyUsage(ctx context.Context, ids []string) (map[string]KeyUsage, error)
}

// Writer reads and writes records inside one transaction. A method that
// returns ErrNotFound or ErrConflict leaves the transaction usable.
type Writer interface {
	Reader
	// InsertAPIKey stores a new key with Version 1; a duplicate id is ErrConflict.
	InsertAPIKey(ctx context.Context, k *APIKey) error
	// UpdateAPIKey replaces the mutable fields of k (name, expiration,
	// invalidated, invalidation, role descriptors, limited-by, metadata,
	// creator) when
	// the stored version equals k.Version, and sets k.Version to the new
	// version. ErrNotFound or ErrConflict otherwise.
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	// InvalidateAPIKeys marks the keys f selects that are not yet
	// invalidated as invalidated at the instant at, in time linear in
	// their number, and returns their ids ordered by creation then id. It
	// increments their Version, so that an update based on an earlier
	// read fails with ErrConflict instead of undoing the invalidation.
	InvalidateAPIKeys(ctx context.Context, f KeyFilter, at int64) ([]string, error)
	// PutUser creates or replaces a user and reports whether it was created.
	PutUser(ctx context.Context, u *User) (created bool, err error)
	// DeleteUser removes a user, or returns ErrNotFound.
	DeleteUser(ctx context.Context, username string) error
	// PutRole creates or replaces a role and reports whether it was created.
	PutRole(ctx context.Context, r *Role) (created bool, err error)
	// DeleteRole removes a role, or returns ErrNotFound.
	DeleteRole(ctx context.Context, name string) error
	// PutApplicationPrivilege creates or replaces the privilege of
	// (p.Application, p.Name) and reports whether it was created.
	PutApplicationPrivilege(ctx context.Context, p *ApplicationPrivilege) (created bool, err error)
	// DeleteApplicationPrivilege removes a privilege, or returns
	// ErrNotFound.
	DeleteApplicationPrivilege(ctx context.Context, application, name string) error
	// DeleteInactiveAPIKeys deletes up to limit of the keys
	// InactiveAPIKeyIDs(cutoff) lists, the first ones by id, and returns
	// their ids. A limit of zero or less deletes nothing. The children of
	// a deleted key that had a parent take that parent as theirs, so that
	// a family stays one tree.
	DeleteInactiveAPIKeys(ctx context.Context, cutoff int64, limit int) ([]string, error)
	// InsertToken stores a new token with Version 1; a duplicate id or
	// hash is ErrConflict.
	InsertToken(ctx context.Context, t *Token) error
	// UpdateToken replaces the mutable fields of t (invalidated, refresh
	// invalidated, refreshed, refresh time, superseding) when the stored
	// version equals t.Version, and sets t.Version to the new version.
	// ErrNotFound or ErrConflict otherwise.
	UpdateToken(ctx context.Context, t *Token) error
	// DeleteTokensCreatedBefore deletes up to limit tokens created before
	// the instant before, oldest first, and returns how many it deleted.
	DeleteTokensCreatedBefore(ctx context.Context, before int64, limit int) (int, error)
	// PutExpiryNotice creates or replaces the notice of (n.KeyID, n.Lead).
	// The notices of a key go when the key is deleted.
	PutExpiryNotice(ctx context.Context, n *ExpiryNotice) error
	// PutExpiryPolicy creates or replaces an expiry policy and reports
	// whether it was created.
	PutExpiryPolicy(ctx context.Context, p *api.ExpiryPolicy) (created bool, err error)
	// DeleteExpiryPolicy removes an expiry policy, or returns ErrNotFound.
	DeleteExpiryPolicy(ctx context.Context, name string) error
	// RecordKeyUsage merges reports of uses into the keys' usage (see
	// KeyUsage.Merge), one statement per report. Reports of keys that do
	// not exist (deleted since they were used) are dropped; a report
	// without uses (Count 0 and LastUsed 0) changes nothing.
	RecordKeyUsage(ctx context.Context, usage []KeyUsage) error
}

// Store is a transactional record store.
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Reader) error) error
	// Update runs fn in a read-write transaction, committed when fn returns
	// nil and rolled back otherwise. Concurrent updates are serialised and
	// do not wait for open Views; a busy database is waited for, never
	// reported to the caller. fn may run more than once (a transaction
	// that lost a race is retried whole), so it must have no other side
	// effects and must not call the store's Update itself.
	Update(ctx context.Context, fn func(Writer) error) error
	// Generation returns a number that changes whenever a transaction
	// that may have changed records commits, through this store or any
	// other process sharing its data, and stays the same otherwise.
	// Records read after a call are at least as new as the number it
	// returned, so a cache that keeps them with it is coherent when it
	// drops them once Generation answers another number. It is called on
	// every authentication and must be cheap.
	Generation(ctx context.Context) (uint64, error)
	// Close releases the store.
	Close() error
}

// Backuper is a Store that can copy itself whole, for apikeyd's backups.
type Backuper interface {
	// Backup copies every record as of one instant, while writes go on,
	// into a file of the backend's own format that the backend opens as
	// a store again, and returns that copy to be read once.
	Backup(ctx context.Context) (*api.Backup, error)
}

// Copier is a Writer that can take records copied from another store as
// they are, for apikeyctl migrate: the export side is the Reader's own
// (FindAPIKeys, FindTokens and the List methods with no filter, in their
// stable orders).
type Copier interface {
	// ImportAPIKey stores k as InsertAPIKey does (its metadata leaves
	// built as for a new key, its Lineage recorded when set, whether or
	// not the parent exists) but keeps k.Version, which must be at least 1.
	// A duplicate id is ErrConflict.
	ImportAPIKey(ctx context.Context, k *APIKey) error
	// ImportToken stores t as InsertToken does but keeps t.Version, which
	// must be at least 1. A duplicate id or hash is ErrConflict.
	ImportToken(ctx context.Context, t *Token) error
}

// NetworksColumn is how a key's AllowedNetworks are stored: the entries
// joined by commas (none of them holds one), NULL (nil) for none.
func NetworksColumn(networks []string) *string {
	if len(networks) == 0 {
		return nil
	}
	s := strings.Join(networks, ",")
	return &s
}

// NetworksFromColumn reads back what NetworksColumn stored.
func NetworksFromColumn(col *string) []string {
	if col == nil || *col == "" {
		return nil
	}
	return strings.Split(*col, ",")
}
