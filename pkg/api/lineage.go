package api

import (
	"context"
	"encoding/json"
)

// Lineage is apikeyd's key rotation and key families, beside the
// Elasticsearch API under /_apikeyd/: a key made from another (a clone, a
// rotation's successor) names its parent, a rotation overlaps the old key
// and its successor for a grace period, and invalidation can take a key's
// descendants with it.
type Lineage interface {
	// RotateAPIKey creates the successor of a key, with every attribute
	// of the old one, and sets the old key to expire at the end of the
	// grace period (POST /_apikeyd/api_key/{id}/_rotate).
	RotateAPIKey(ctx context.Context, req *RotateAPIKeyRequest) (*RotateAPIKeyResponse, error)
	// GetAPIKeyLineage returns a key with its ancestors and descendants
	// (GET /_apikeyd/api_key/{id}/_lineage).
	GetAPIKeyLineage(ctx context.Context, id string) (*APIKeyLineage, error)
	// InvalidateAPIKeysCascade invalidates the keys an Elasticsearch
	// invalidate request selects and, with Cascade, all their
	// descendants, in one transaction (POST /_apikeyd/api_key/_invalidate).
	InvalidateAPIKeysCascade(ctx context.Context, req *CascadeInvalidateRequest) (*InvalidateAPIKeysResponse, error)
}

// The relations of a key to its parent.
const (
	RelationClone    = "clone"
	RelationRotation = "rotation"
)

// DefaultGrace is the grace period of a rotation that names none: the old
// key keeps working for a day beside its successor.
const DefaultGrace = "24h"

// Parser names of apikeyd's own request bodies, used in their errors.
const (
	ParserRotateAPIKey      = "rotate_api_key_request"
	ParserCascadeInvalidate = "invalidate_api_key"
)

// RotateAPIKeyRequest is the request of POST /_apikeyd/api_key/{id}/_rotate.
// Its body is optional.
type RotateAPIKeyRequest struct {
	// ID is the key to rotate, from the path.
	ID string `json:"-"`
	// Grace is how long the old key keeps working beside its successor, a
	// time value (DefaultGrace when nil); "0" ends it at once.
	Grace *string `json:"grace,omitempty"`
	// UntilUnused, a positive time value no longer than Grace, ends the
	// old key earlier: once it has gone unused that long after the
	// successor was first used.
	UntilUnused *string `json:"until_unused,omitempty"`
	// AllowedNetworks are the networks the successor may be used from; an
	// empty list none; nil inherits the old key's.
	AllowedNetworks *[]string `json:"allowed_networks,omitempty"`
}

// RotateAPIKeyResponse is the successor, shown once as create shows a new
// key, and what became of its predecessor.
type RotateAPIKeyResponse struct {
	CreateAPIKeyResponse
	Predecessor RotatedAPIKey `json:"predecessor"`
}

// RotatedAPIKey is the old key of a rotation.
type RotatedAPIKey struct {
	ID string `json:"id"`
	// Expiration is the old key's new expiration, the end of its grace
	// period (or its earlier expiration, which a rotation never extends).
	Expiration int64 `json:"expiration"`
	// UntilUnusedMillis is the until-unused rule of the rotation in
	// milliseconds, absent when it has none.
	UntilUnusedMillis int64 `json:"until_unused_in_millis,omitempty"`
}

// LineageKey is a key in a family: enough to draw it in a tree.
type LineageKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Parent and Relation are absent for the eldest key known.
	Parent     string `json:"parent,omitempty"`
	Relation   string `json:"relation,omitempty"`
	Creation   int64  `json:"creation"`
	Expiration *int64 `json:"expiration,omitempty"`
	// Invalidated is true for an invalidated key.
	Invalidated bool `json:"invalidated"`
	// GraceEnd and UntilUnusedMillis are a rotation's: when its parent
	// was set to stop, and its until-unused rule.
	GraceEnd          *int64 `json:"grace_end,omitempty"`
	UntilUnusedMillis int64  `json:"until_unused_in_millis,omitempty"`
}

// APIKeyLineage is the body of GET /_apikeyd/api_key/{id}/_lineage: the
// key, its ancestors from the eldest down to its parent, and its
// descendants of every generation by creation. Each names its parent, so
// that the family can be drawn as a tree.
type APIKeyLineage struct {
	APIKey      LineageKey   `json:"api_key"`
	Ancestors   []LineageKey `json:"ancestors"`
	Descendants []LineageKey `json:"descendants"`
}

// CascadeInvalidateRequest is the body of POST /_apikeyd/api_key/_invalidate:
// an Elasticsearch invalidate request, and whether the descendants of the
// keys it selects go with them.
type CascadeInvalidateRequest struct {
	InvalidateAPIKeysRequest
	Cascade bool `json:"cascade,omitempty"`
}

// DecodeRotateAPIKeyRequest decodes the optional body of a rotate request
// for the key id.
func DecodeRotateAPIKeyRequest(id string, body []byte) (*RotateAPIKeyRequest, error) {
	req := &RotateAPIKeyRequest{ID: id}
	if len(body) == 0 {
		return req, nil
	}
	err := decodeObject(body, ParserRotateAPIKey, map[string]fieldFunc{
		"grace":            timeValueField(&req.Grace, "grace"),
		"until_unused":     timeValueField(&req.UntilUnused, "until_unused"),
		"allowed_networks": networksEdit(&req.AllowedNetworks),
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// timeValueField takes a time value, or null for none, and checks its
// syntax while the position is known.
func timeValueField(dst **string, setting string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = nil
			return nil
		}
		if err := stringField(dst)(raw); err != nil {
			return err
		}
		_, err := ParseTimeValue(**dst, setting)
		return err
	}
}

// DecodeCascadeInvalidateRequest decodes the body of a cascading
// invalidate request: the fields of Elasticsearch's, and cascade.
func DecodeCascadeInvalidateRequest(body []byte) (*CascadeInvalidateRequest, error) {
	req := &CascadeInvalidateRequest{}
	inv := &req.InvalidateAPIKeysRequest
	_, err := decodeRequest(body, ParserCascadeInvalidate, req, map[string]fieldFunc{
		"ids": func(raw json.RawMessage) error {
			if err := stringsField(&inv.IDs)(raw); err != nil {
				return err
			}
			return CheckIDs(inv.IDs)
		},
		"name":       plainString(&inv.Name),
		"owner":      boolField(&inv.Owner),
		"realm_name": plainString(&inv.RealmName),
		"username":   plainString(&inv.Username),
		"cascade":    boolField(&req.Cascade),
	}, nil)
	if err != nil {
		return nil, err
	}
	return req, nil
}
