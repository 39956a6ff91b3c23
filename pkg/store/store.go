// Package store defines the storage contract of apikeyd: the records it
// keeps (API keys, users, roles) and the Store interface that every backend
// implements. The SQLite backend lives in store/sqlite; storetest holds the
// contract test suite that every backend must pass.
//
// A Store keeps records, it makes no decisions: every rule of the API lives
// in keyservice. JSON-valued fields are stored and returned as the exact
// bytes the service gave; an empty one may come back nil.
package store

import (
	"context"
	"encoding/json"
	"errors"
)

// Errors a Store returns. Backends wrap them with context; callers test with
// errors.Is.
var (
	// ErrNotFound is a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a write that lost a race: a duplicate id, or a version
	// that changed since it was read.
	ErrConflict = errors.New("conflict")
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
	// Version counts the writes to the key; UpdateAPIKey succeeds only when
	// the stored version still equals it.
	Version int64
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
	// ExcludeInvalidated drops invalidated keys.
	ExcludeInvalidated bool
	// ActiveAt, when non-zero, keeps only keys that are neither invalidated
	// nor expired at that instant (epoch milliseconds).
	ActiveAt int64
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

// Reader reads records.
type Reader interface {
	// GetAPIKey returns the key with id, or ErrNotFound.
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKeys returns the keys matching f, ordered by creation then id.
	FindAPIKeys(ctx context.Context, f KeyFilter) ([]*APIKey, error)
	// GetUser returns the user, or ErrNotFound.
	GetUser(ctx context.Context, username string) (*User, error)
	// ListUsers returns all users ordered by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// GetRole returns the role, or ErrNotFound.
	GetRole(ctx context.Context, name string) (*Role, error)
	// ListRoles returns all roles ordered by name.
	ListRoles(ctx context.Context) ([]*Role, error)
}

// Writer reads and writes records inside one transaction. A method that
// returns ErrNotFound or ErrConflict leaves the transaction usable.
type Writer interface {
	Reader
	// InsertAPIKey stores a new key with Version 1; a duplicate id is ErrConflict.
	InsertAPIKey(ctx context.Context, k *APIKey) error
	// UpdateAPIKey replaces the mutable fields of k (expiration, invalidated,
	// invalidation, role descriptors, limited-by, metadata, creator) when
	// the stored version equals k.Version, and sets k.Version to the new
	// version. ErrNotFound or ErrConflict otherwise.
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	// InvalidateAPIKeys marks the listed keys that are not yet invalidated
	// as invalidated at the instant at, and returns the ids it changed.
	// It increments their Version, so that an update based on an earlier
	// read fails with ErrConflict instead of undoing the invalidation.
	InvalidateAPIKeys(ctx context.Context, ids []string, at int64) ([]string, error)
	// PutUser creates or replaces a user and reports whether it was created.
	PutUser(ctx context.Context, u *User) (created bool, err error)
	// DeleteUser removes a user, or returns ErrNotFound.
	DeleteUser(ctx context.Context, username string) error
	// PutRole creates or replaces a role and reports whether it was created.
	PutRole(ctx context.Context, r *Role) (created bool, err error)
	// DeleteRole removes a role, or returns ErrNotFound.
	DeleteRole(ctx context.Context, name string) error
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
	// Close releases the store.
	Close() error
}
