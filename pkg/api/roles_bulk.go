package api

import (
	"bytes"
	"encoding/json"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// The parsers of the bulk role requests, as Elasticsearch's errors name
// them.
const (
	ParserBulkPutRoles    = "bulk_update_roles_request_payload"
	ParserBulkDeleteRoles = "bulk_delete_roles_request"
)

// BulkPutRolesRequest is POST /_security/role: roles to create or
// replace, in the order of the request.
type BulkPutRolesRequest struct {
	Roles RoleDescriptors
}

// MarshalJSON renders the request body, {"roles":{name:descriptor,...}}.
func (r BulkPutRolesRequest) MarshalJSON() ([]byte, error) {
	roles := r.Roles
	if roles == nil {
		roles = RoleDescriptors{}
	}
	return marshalJSON(struct {
		Roles RoleDescriptors `json:"roles"`
	}{roles})
}

// BulkDeleteRolesRequest is DELETE /_security/role: the roles to delete.
type BulkDeleteRolesRequest struct {
	Names []string `json:"names"`
}

// DecodeBulkPutRolesRequest decodes the body of a bulk put roles request.
// A descriptor that cannot be read fails the whole request, as in
// Elasticsearch; the rules of each role are the key service's, which
// answers them role by role.
func DecodeBulkPutRolesRequest(body []byte) (*BulkPutRolesRequest, error) {
	req := &BulkPutRolesRequest{}
	return decodeRequest(body, ParserBulkPutRoles, req, map[string]fieldFunc{
		"roles": func(raw json.RawMessage) error {
			rds, err := DecodeRoleDescriptors(raw, true)
			if err != nil {
				return err
			}
			req.Roles = rds
			return nil
		},
	}, func() error {
		if req.Roles == nil {
			return MissingField(ParserBulkPutRoles, "roles")
		}
		return nil
	})
}

// DecodeBulkDeleteRolesRequest decodes the body of a bulk delete roles
// request.
func DecodeBulkDeleteRolesRequest(body []byte) (*BulkDeleteRolesRequest, error) {
	req := &BulkDeleteRolesRequest{}
	seen := false
	return decodeRequest(body, ParserBulkDeleteRoles, req, map[string]fieldFunc{
		"names": func(raw json.RawMessage) error {
			seen = true
			return stringsField(&req.Names)(raw)
		},
	}, func() error {
		if !seen {
			return MissingField(ParserBulkDeleteRoles, "names")
		}
		return nil
	})
}

// BulkRolesResponse answers the bulk put and bulk delete roles requests:
// the names of the roles by outcome, each list in the order of the
// request, and the failures by role. Lists without names are left out.
type BulkRolesResponse struct {
	Created  []string
	Updated  []string
	Noop     []string
	Deleted  []string
	NotFound []string
	Errors   []RoleError
}

// RoleError is the failure of one role of a bulk request.
type RoleError struct {
	Name  string
	Error *Error
}

// Failed reports whether any role failed.
func (r *BulkRolesResponse) Failed() bool { return len(r.Errors) > 0 }

// MarshalJSON writes the members in the order Elasticsearch writes them
// (the iteration order of its hash map of outcomes, which for these names
// is fixed): noop, deleted, created, not_found, updated, errors.
func (r BulkRolesResponse) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	member := func(name string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := marshalJSON(name)
		b.Write(k)
		b.WriteByte(':')
		data, err := marshalJSON(v)
		b.Write(data)
		return err
	}
	for _, list := range []struct {
		name  string
		names []string
	}{{"noop", r.Noop}, {"deleted", r.Deleted}, {"created", r.Created}, {"not_found", r.NotFound}, {"updated", r.Updated}} {
		if len(list.names) == 0 {
			continue
		}
		if err := member(list.name, list.names); err != nil {
			return nil, err
		}
	}
	if len(r.Errors) > 0 {
		var details bytes.Buffer
		details.WriteByte('{')
		for i, e := range r.Errors {
			if i > 0 {
				details.WriteByte(',')
			}
			k, _ := marshalJSON(e.Name)
			details.Write(k)
			details.WriteByte(':')
			data, err := marshalJSON(e.Error)
			if err != nil {
				return nil, err
			}
			details.Write(data)
		}
		details.WriteByte('}')
		if err := member("errors", struct {
			Count   int             `json:"count"`
			Details json.RawMessage `json:"details"`
		}{len(r.Errors), details.Bytes()}); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the answer, keeping the order of the failures.
func (r *BulkRolesResponse) UnmarshalJSON(data []byte) error {
	var plain struct {
		Created  []string        `json:"created"`
		Updated  []string        `json:"updated"`
		Noop     []string        `json:"noop"`
		Deleted  []string        `json:"deleted"`
		NotFound []string        `json:"not_found"`
		Errors   json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(data, &plain); err != nil {
		return err
	}
	*r = BulkRolesResponse{Created: plain.Created, Updated: plain.Updated, Noop: plain.Noop, Deleted: plain.Deleted, NotFound: plain.NotFound}
	if len(plain.Errors) == 0 || isNull(plain.Errors) {
		return nil
	}
	var errs struct {
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(plain.Errors, &errs); err != nil {
		return err
	}
	if len(errs.Details) == 0 || isNull(errs.Details) {
		return nil
	}
	return eachField(errs.Details, func(name string, raw json.RawMessage, _ strictjson.Pos) error {
		var e Error
		if err := json.Unmarshal(raw, &e); err != nil {
			return err
		}
		r.Errors = append(r.Errors, RoleError{Name: name, Error: &e})
		return nil
	})
}

// ClearRealmCacheRequest is POST /_security/realm/{realms}/_clear_cache:
// the realms ("*" or "_all" for every realm) and, when given, only these
// users of them.
type ClearRealmCacheRequest struct {
	Realms    []string
	Usernames []string
}
