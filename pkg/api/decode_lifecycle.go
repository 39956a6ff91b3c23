package api

import (
	"bytes"
	"encoding/json"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// parserGrantAPIKey is the parser of grant and bulk grant bodies, as
// Elasticsearch's errors name it.
const parserGrantAPIKey = "grant_api_key_request"

// apiKeyFields are the fields of the api_key_request parser, shared by
// create, grant (its api_key object) and bulk grant (its api_keys array).
func apiKeyFields(req *CreateAPIKeyRequest) map[string]fieldFunc {
	return map[string]fieldFunc{
		"name":       stringField(&req.Name),
		"expiration": expirationField(&req.Expiration),
		"role_descriptors": func(raw json.RawMessage) error {
			rd, err := DecodeRoleDescriptors(raw, false)
			req.RoleDescriptors = rd
			return err
		},
		"metadata": metadataField(&req.Metadata),
	}
}

func grantFields(g *GrantCredential) map[string]fieldFunc {
	return map[string]fieldFunc{
		"grant_type":   plainString(&g.GrantType),
		"username":     stringField(&g.Username),
		"password":     stringField(&g.Password),
		"access_token": stringField(&g.AccessToken),
		"run_as":       stringField(&g.RunAs),
		"client_authentication": func(raw json.RawMessage) error {
			var ca ClientAuthentication
			if jsonKind(raw) != "START_OBJECT" {
				return wrongType{jsonKind(raw)}
			}
			err := decodeObject(raw, "client_authentication", map[string]fieldFunc{
				"scheme": plainString(&ca.Scheme),
				"value":  plainString(&ca.Value),
			})
			g.ClientAuthentication = &ca
			return err
		},
	}
}

// nested decodes the object raw with parser as the value of a field; its
// errors become the cause of "failed to parse field".
func nested(raw json.RawMessage, parser string, fields map[string]fieldFunc) error {
	if jsonKind(raw) != "START_OBJECT" {
		return wrongType{jsonKind(raw)}
	}
	err := decodeObject(raw, parser, fields)
	if e, ok := AsError(err); ok && e.Code == ParseFailed {
		// Report it as the cause of the outer field, not in its place.
		return &Error{Code: Invalid, Type: e.ErrType(), Reason: e.Reason, Cause: e.Cause}
	}
	return err
}

// requireBody refuses an empty body as Elasticsearch does.
func requireBody(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrBodyRequired()
	}
	return nil
}

// decodeRequest reads body, which must not be empty, into req with the
// fields of the parser named parser, then applies check (when not nil):
// the rules Elasticsearch's parser applies once the object is read.
func decodeRequest[R any](body []byte, parser string, req *R, fields map[string]fieldFunc, check func() error) (*R, error) {
	if err := requireBody(body); err != nil {
		return nil, err
	}
	if err := decodeObject(body, parser, fields); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// DecodeGrantAPIKeyRequest decodes the body of a grant API key request.
func DecodeGrantAPIKeyRequest(body []byte) (*GrantAPIKeyRequest, error) {
	req := &GrantAPIKeyRequest{}
	fields := grantFields(&req.GrantCredential)
	fields["api_key"] = func(raw json.RawMessage) error {
		req.APIKey = &CreateAPIKeyRequest{}
		return nested(raw, ParserCreateAPIKey, apiKeyFields(req.APIKey))
	}
	return decodeRequest(body, parserGrantAPIKey, req, fields, nil)
}

// DecodeBulkGrantAPIKeysRequest decodes the body of a bulk grant request.
func DecodeBulkGrantAPIKeysRequest(body []byte) (*BulkGrantAPIKeysRequest, error) {
	req := &BulkGrantAPIKeysRequest{}
	fields := grantFields(&req.GrantCredential)
	fields["api_keys"] = func(raw json.RawMessage) error {
		var items []json.RawMessage
		if jsonKind(raw) != "START_ARRAY" || json.Unmarshal(raw, &items) != nil {
			return wrongType{jsonKind(raw)}
		}
		req.APIKeys = make([]CreateAPIKeyRequest, len(items))
		for i, item := range items {
			if err := nested(item, ParserCreateAPIKey, apiKeyFields(&req.APIKeys[i])); err != nil {
				return err
			}
		}
		return nil
	}
	return decodeRequest(body, parserGrantAPIKey, req, fields, nil)
}

// DecodeCloneAPIKeyRequest decodes the body of a clone API key request.
func DecodeCloneAPIKeyRequest(body []byte) (*CloneAPIKeyRequest, error) {
	req := &CloneAPIKeyRequest{}
	return decodeRequest(body, ParserCloneAPIKey, req, cloneFields(req), nil)
}

// cloneFields are the fields of a clone request.
func cloneFields(req *CloneAPIKeyRequest) map[string]fieldFunc {
	return map[string]fieldFunc{
		"api_key": plainString(&req.APIKey),
		"name":    stringField(&req.Name),
		"expiration": func(raw json.RawMessage) error {
			if isNull(raw) {
				req.Expiration = &Clearable{Null: true}
				return nil
			}
			var s *string
			if err := expirationField(&s)(raw); err != nil {
				return err
			}
			req.Expiration = &Clearable{Value: *s}
			return nil
		},
		"metadata": metadataField(&req.Metadata),
	}
}

// updateFields are the fields shared by update and bulk update.
func updateFields(rds *RoleDescriptors, md *Metadata, exp **string) map[string]fieldFunc {
	return map[string]fieldFunc{
		"role_descriptors": func(raw json.RawMessage) error {
			rd, err := DecodeRoleDescriptors(raw, false)
			*rds = rd
			return err
		},
		"metadata":   metadataField(md),
		"expiration": expirationField(exp),
	}
}

// DecodeUpdateAPIKeyRequest decodes the optional body of an update request.
func DecodeUpdateAPIKeyRequest(id string, body []byte) (*UpdateAPIKeyRequest, error) {
	req := &UpdateAPIKeyRequest{ID: id}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	return decodeRequest(body, ParserUpdateAPIKey, req, updateFields(&req.RoleDescriptors, &req.Metadata, &req.Expiration), nil)
}

// DecodeBulkUpdateAPIKeysRequest decodes the body of a bulk update request.
func DecodeBulkUpdateAPIKeysRequest(body []byte) (*BulkUpdateAPIKeysRequest, error) {
	req := &BulkUpdateAPIKeysRequest{}
	fields := updateFields(&req.RoleDescriptors, &req.Metadata, &req.Expiration)
	fields["ids"] = stringsField(&req.IDs)
	return decodeRequest(body, ParserBulkUpdateAPIKeys, req, fields, req.Check)
}

// decodeAccess strictly decodes a cross-cluster access object.
func decodeAccess(raw json.RawMessage) (*CrossClusterAccess, error) {
	if jsonKind(raw) != "START_OBJECT" {
		return nil, wrongType{jsonKind(raw)}
	}
	a := &CrossClusterAccess{}
	entries := func(raw json.RawMessage) ([]IndicesPrivileges, error) {
		var items []json.RawMessage
		if jsonKind(raw) != "START_ARRAY" || json.Unmarshal(raw, &items) != nil {
			return nil, wrongType{jsonKind(raw)}
		}
		out := make([]IndicesPrivileges, 0, len(items))
		for _, item := range items {
			// The privileges are predefined: an entry may not name any.
			// An entry that is no object is left for decodeIndexEntry to
			// refuse.
			var probe map[string]json.RawMessage
			if jsonKind(item) == "START_OBJECT" && json.Unmarshal(item, &probe) == nil {
				if _, ok := probe["privileges"]; ok {
					return nil, indicesErr("cross_cluster", "unexpected field [privileges]")
				}
				probe["privileges"] = json.RawMessage(`[]`)
				item, _ = json.Marshal(probe)
			}
			ip, err := decodeIndexEntry("cross_cluster", item)
			if err != nil {
				return nil, err
			}
			ip.Privileges = nil
			out = append(out, ip)
		}
		return out, nil
	}
	err := decodeObject(raw, "cross_cluster_api_key_request_access", map[string]fieldFunc{
		"search": func(raw json.RawMessage) error {
			ips, err := entries(raw)
			for _, ip := range ips {
				a.Search = append(a.Search, SearchAccess{Names: ip.Names, FieldSecurity: ip.FieldSecurity, Query: ip.Query, AllowRestrictedIndices: ip.AllowRestrictedIndices})
			}
			return err
		},
		"replication": func(raw json.RawMessage) error {
			ips, err := entries(raw)
			for _, ip := range ips {
				if ip.FieldSecurity != nil || ip.Query != nil {
					return Errorf(Invalid, "replication does not support document or field level security")
				}
				a.Replication = append(a.Replication, ReplicationAccess{Names: ip.Names, AllowRestrictedIndices: ip.AllowRestrictedIndices})
			}
			return err
		},
	})
	if e, ok := AsError(err); ok && e.Code == ParseFailed {
		return nil, &Error{Code: Invalid, Type: e.ErrType(), Reason: e.Reason, Cause: e.Cause}
	}
	return a, err
}

// DecodeCreateCrossClusterAPIKeyRequest decodes a cross-cluster create body.
// crossClusterFields are the fields shared by cross-cluster create and
// update.
func crossClusterFields(access **CrossClusterAccess, md *Metadata, exp **string) map[string]fieldFunc {
	return map[string]fieldFunc{
		"expiration": expirationField(exp),
		"metadata":   metadataField(md),
		"access": func(raw json.RawMessage) error {
			a, err := decodeAccess(raw)
			*access = a
			return err
		},
	}
}

func DecodeCreateCrossClusterAPIKeyRequest(body []byte) (*CreateCrossClusterAPIKeyRequest, error) {
	req := &CreateCrossClusterAPIKeyRequest{}
	fields := crossClusterFields(&req.Access, &req.Metadata, &req.Expiration)
	fields["name"] = stringField(&req.Name)
	fields["certificate_identity"] = nullableString(&req.CertificateIdentity)
	return decodeRequest(body, ParserCreateCrossClusterAPIKey, req, fields, req.Check)
}

// DecodeUpdateCrossClusterAPIKeyRequest decodes a cross-cluster update body.
func DecodeUpdateCrossClusterAPIKeyRequest(id string, body []byte) (*UpdateCrossClusterAPIKeyRequest, error) {
	req := &UpdateCrossClusterAPIKeyRequest{ID: id}
	fields := crossClusterFields(&req.Access, &req.Metadata, &req.Expiration)
	fields["certificate_identity"] = clearableString(&req.CertificateIdentity)
	return decodeRequest(body, ParserUpdateCrossClusterAPIKey, req, fields, nil)
}

// clearableString takes a string, or null to clear the field.
func clearableString(dst **Clearable) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = &Clearable{Null: true}
			return nil
		}
		var s *string
		if err := stringField(&s)(raw); err != nil {
			return err
		}
		*dst = &Clearable{Value: *s}
		return nil
	}
}

// DecodeHasPrivilegesRequest decodes a has privileges body.
func DecodeHasPrivilegesRequest(body []byte) (*HasPrivilegesRequest, error) {
	if err := requireBody(body); err != nil {
		return nil, err
	}
	req := &HasPrivilegesRequest{}
	err := eachField(body, func(key string, raw json.RawMessage, _ strictjson.Pos) error {
		var target any
		switch key {
		case "cluster":
			target = &req.Cluster
		case "index":
			target = &req.Index
		case "application":
			target = &req.Application
		default:
			return Errorf(BadFormat, "failed to parse privileges check. unexpected field [%s]", key)
		}
		if err := decodeStrictStruct(raw, target); err != nil {
			return Errorf(BadFormat, "failed to parse privileges check. field [%s]: %v", key, err)
		}
		return nil
	})
	if err := syntaxError(body, "has_privileges", err); err != nil {
		return nil, err
	}
	return req, nil
}
