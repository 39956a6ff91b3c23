package api

import (
	"bytes"
	"encoding/json"
)

// ParserExtendedUpdateAPIKey names the parser of the body of
// PUT /_apikeyd/api_key/{id} in its errors.
const ParserExtendedUpdateAPIKey = "apikeyd_update_api_key_request_payload"

// ExtendedUpdateAPIKeyRequest is PUT /_apikeyd/api_key/{id}: what the
// Update API key API takes, and what it leaves out: a new name, and an
// expiration of null, which makes the key never expire.
type ExtendedUpdateAPIKeyRequest struct {
	ID              string          `json:"-"`
	RoleDescriptors RoleDescriptors `json:"-"`
	Metadata        Metadata        `json:"-"`
	// Expiration is a time value from now, or null for none; nil leaves
	// the expiration as it is.
	Expiration *Clearable `json:"expiration,omitempty"`
	// Name renames the key; nil keeps its name.
	Name *string `json:"name,omitempty"`
	// AllowedNetworks replaces the networks the key may be used from; an
	// empty list clears them; nil leaves them as they are.
	AllowedNetworks *[]string `json:"allowed_networks,omitempty"`
}

// MarshalJSON renders role_descriptors and metadata when they are set.
func (r ExtendedUpdateAPIKeyRequest) MarshalJSON() ([]byte, error) {
	type plain ExtendedUpdateAPIKeyRequest
	return withOptionalFields(plain(r), map[string]any{
		"role_descriptors": descriptorsOrNil(r.RoleDescriptors),
		"metadata":         metadataOrNil(r.Metadata),
	})
}

// DecodeExtendedUpdateAPIKeyRequest decodes the body of an extended
// update; an empty body changes nothing but the owner's snapshot, as for
// the Update API key API.
func DecodeExtendedUpdateAPIKeyRequest(id string, body []byte) (*ExtendedUpdateAPIKeyRequest, error) {
	req := &ExtendedUpdateAPIKeyRequest{ID: id}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	var exp *string
	fields := updateFields(&req.RoleDescriptors, &req.Metadata, &exp)
	fields["expiration"] = func(raw json.RawMessage) error {
		if isNull(raw) {
			req.Expiration = &Clearable{Null: true}
			return nil
		}
		if err := expirationField(&exp)(raw); err != nil {
			return err
		}
		req.Expiration = &Clearable{Value: *exp}
		return nil
	}
	fields["name"] = stringField(&req.Name)
	fields["allowed_networks"] = networksEdit(&req.AllowedNetworks)
	return decodeRequest(body, ParserExtendedUpdateAPIKey, req, fields, nil)
}

// Check applies the rules of the parser: an expiration that is a time
// value.
func (r *ExtendedUpdateAPIKeyRequest) Check() error {
	if r.Expiration == nil || r.Expiration.Null {
		return nil
	}
	return checkExpiration(&r.Expiration.Value, ParserExtendedUpdateAPIKey)
}
