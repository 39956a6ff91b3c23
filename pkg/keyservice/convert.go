package keyservice

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// decodeObject decodes a stored JSON object, keeping numbers as written.
// Empty input is an empty object.
// The members keep the order they were stored in.
func decodeObject(raw json.RawMessage) (api.Metadata, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return api.Metadata{}, nil
	}
	var m api.Metadata
	if err := m.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("decode stored object: %w", err)
	}
	if m == nil {
		m = api.Metadata{}
	}
	return m, nil
}

func unmarshalDescriptors(raw json.RawMessage, dst *api.RoleDescriptors) error {
	*dst = api.RoleDescriptors{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("decode stored role descriptors: %w", err)
	}
	return nil
}

func encodeObject(m api.Metadata) (json.RawMessage, error) {
	if m == nil {
		return json.RawMessage(`{}`), nil
	}
	return json.Marshal(m)
}

// keyInfo renders a stored key as the Get/Query information object.
func keyInfo(k *store.APIKey, withLimitedBy bool) (api.APIKey, error) {
	info := api.APIKey{
		ID:           k.ID,
		Name:         k.Name,
		Type:         k.Type,
		Creation:     k.Creation,
		Expiration:   k.Expiration,
		Invalidated:  k.Invalidated,
		Invalidation: k.Invalidation,
		Username:     k.Creator.Principal,
		Realm:        k.Creator.Realm,
		RealmType:    k.Creator.RealmType,
	}
	var err error
	if info.Metadata, err = decodeObject(k.Metadata); err != nil {
		return info, err
	}
	if err := unmarshalDescriptors(k.RoleDescriptors, &info.RoleDescriptors); err != nil {
		return info, err
	}
	if k.Type == api.TypeCrossCluster {
		info.Access = descriptorAccess(info.RoleDescriptors)
		info.CertificateIdentity = k.CertificateIdentity
	}
	if withLimitedBy && k.Type == api.TypeRest {
		var limited api.RoleDescriptors
		if err := unmarshalDescriptors(k.LimitedBy, &limited); err != nil {
			return info, err
		}
		info.LimitedBy = []api.RoleDescriptors{limited}
	}
	return info, nil
}
