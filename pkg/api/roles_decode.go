package api

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// DecodeRoleDescriptors strictly decodes an object of role descriptors keyed
// by name, keeping their order. API key role descriptors (allowDescription
// false) may not carry a description, as in Elasticsearch.
func DecodeRoleDescriptors(raw json.RawMessage, allowDescription bool) (RoleDescriptors, error) {
	if jsonKind(raw) != "START_OBJECT" {
		return nil, wrongType{jsonKind(raw)}
	}
	out := RoleDescriptors{}
	err := eachField(raw, func(name string, body json.RawMessage, _ strictjson.Pos) error {
		d, err := DecodeRoleDescriptor(name, body, allowDescription)
		if err != nil {
			return err
		}
		out = append(out, NamedRoleDescriptor{Name: name, Descriptor: d})
		return nil
	})
	if err != nil {
		if _, ok := AsError(err); !ok {
			return nil, Errorf(BadFormat, "failed to parse role descriptors: %v", err)
		}
		return nil, err
	}
	return out, nil
}

func roleErr(role, format string, args ...any) *Error {
	return Errorf(BadFormat, "failed to parse role [%s]. "+format, append([]any{role}, args...)...)
}

func indicesErr(role, format string, args ...any) *Error {
	return Errorf(BadFormat, "failed to parse indices privileges for role [%s]. "+format, append([]any{role}, args...)...)
}

// DecodeRoleDescriptor strictly decodes one role descriptor named name.
func DecodeRoleDescriptor(name string, raw json.RawMessage, allowDescription bool) (RoleDescriptor, error) {
	var d RoleDescriptor
	if jsonKind(raw) != "START_OBJECT" {
		return d, roleErr(name, "expected an object but found [%s] instead", jsonKind(raw))
	}
	// cluster and run_as may be null, which Elasticsearch's role parser
	// reads as absent.
	strs := func(field string, dst *[]string) fieldFunc {
		return func(raw json.RawMessage) error {
			if isNull(raw) {
				return nil
			}
			if err := stringsField(dst)(raw); err != nil {
				return roleErr(name, "expected field [%s] value to be an array of strings, but found [%s] instead", field, jsonKind(raw))
			}
			return nil
		}
	}
	err := eachField(raw, func(key string, val json.RawMessage, _ strictjson.Pos) error {
		var err error
		switch key {
		case "cluster":
			err = strs(key, &d.Cluster)(val)
		case "run_as":
			err = strs(key, &d.RunAs)(val)
		case "indices", "index":
			d.Indices, err = decodeIndices(name, key, val)
		case "remote_indices":
			d.RemoteIndices, err = decodeRemoteIndices(name, key, val)
		case "applications", "application":
			if jsonKind(val) != "START_ARRAY" || json.Unmarshal(val, &d.Applications) != nil {
				return roleErr(name, "expected field [%s] value to be an array of application privileges", key)
			}
		case "remote_cluster":
			if jsonKind(val) != "START_ARRAY" || json.Unmarshal(val, &d.RemoteCluster) != nil {
				return roleErr(name, "expected field [%s] value to be an array of remote cluster privileges", key)
			}
		case "global":
			err = objectField(&d.Global)(val)
		case "metadata":
			err = metadataField(&d.Metadata)(val)
		case "transient_metadata":
			var ignored map[string]any
			err = objectField(&ignored)(val)
		case "restriction":
			var r Restriction
			if jsonKind(val) != "START_OBJECT" || decodeStrictStruct(val, &r) != nil {
				return roleErr(name, "expected field [%s] value to be an object with [workflows]", key)
			}
			d.Restriction = &r
		case "description":
			if !allowDescription {
				return roleErr(name, "unexpected field [%s]", key)
			}
			err = plainString(&d.Description)(val)
		default:
			return roleErr(name, "unexpected field [%s]", key)
		}
		var wt wrongType
		if errors.As(err, &wt) {
			return roleErr(name, "expected field [%s] to be of a different type but found [%s] instead", key, wt.kind)
		}
		return err
	})
	return d, err
}

func decodeIndices(role, field string, raw json.RawMessage) ([]IndicesPrivileges, error) {
	var entries []json.RawMessage
	if jsonKind(raw) != "START_ARRAY" || json.Unmarshal(raw, &entries) != nil {
		return nil, roleErr(role, "expected field [%s] value to be an array, but found [%s] instead", field, jsonKind(raw))
	}
	out := make([]IndicesPrivileges, 0, len(entries))
	for _, e := range entries {
		ip, err := decodeIndexEntry(role, e)
		if err != nil {
			return nil, err
		}
		out = append(out, ip)
	}
	return out, nil
}

// decodeRemoteIndices decodes the remote_indices of the role named role:
// index entries that also name their clusters.
func decodeRemoteIndices(role, field string, raw json.RawMessage) ([]RemoteIndicesPrivileges, error) {
	var entries []json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return nil, roleErr(role, "expected field [%s] value to be an array, but found [%s] instead", field, jsonKind(raw))
	}
	var out []RemoteIndicesPrivileges
	for _, e := range entries {
		var r RemoteIndicesPrivileges
		var clusters json.RawMessage
		rest, err := withoutField(e, "clusters", &clusters)
		if err != nil {
			return out, indicesErr(role, "expected an object but found [%s] instead", jsonKind(e))
		}
		if clusters == nil {
			return out, indicesErr(role, "missing required [clusters] field")
		}
		if err := stringsField(&r.Clusters)(clusters); err != nil {
			return out, indicesErr(role, "expected field [clusters] value to be an array of strings")
		}
		if r.IndicesPrivileges, err = decodeIndexEntry(role, rest); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func decodeIndexEntry(role string, raw json.RawMessage) (IndicesPrivileges, error) {
	var ip IndicesPrivileges
	if jsonKind(raw) != "START_OBJECT" {
		return ip, indicesErr(role, "expected field [indices] value to be an array of objects, but found an array element of type [%s]", jsonKind(raw))
	}
	var haveNames, havePrivileges bool
	err := eachField(raw, func(key string, val json.RawMessage, _ strictjson.Pos) error {
		switch key {
		case "names":
			haveNames = true
			if stringsField(&ip.Names)(val) != nil {
				return indicesErr(role, "expected field [names] value to be a string or an array of strings, but found [%s] instead", jsonKind(val))
			}
		case "privileges":
			havePrivileges = true
			if stringsField(&ip.Privileges)(val) != nil {
				return indicesErr(role, "expected field [privileges] value to be an array of strings, but found [%s] instead", jsonKind(val))
			}
		case "field_security":
			var fs FieldSecurity
			if jsonKind(val) != "START_OBJECT" || decodeStrictStruct(val, &fs) != nil {
				return indicesErr(role, "expected field [field_security] value to be an object with [grant] and [except]")
			}
			ip.FieldSecurity = &fs
		case "query":
			switch jsonKind(val) {
			case "VALUE_STRING":
				var s string
				_ = json.Unmarshal(val, &s)
				ip.Query = &s
			case "START_OBJECT":
				var buf bytes.Buffer
				if err := json.Compact(&buf, val); err != nil {
					return err
				}
				s := buf.String()
				ip.Query = &s
			case "VALUE_NULL":
			default:
				return indicesErr(role, "expected field [query] value to be null, a string or an object, but found [%s] instead", jsonKind(val))
			}
		case "allow_restricted_indices":
			if boolField(&ip.AllowRestrictedIndices)(val) != nil {
				return indicesErr(role, "expected field [allow_restricted_indices] value to be a boolean, but found [%s] instead", jsonKind(val))
			}
		default:
			return indicesErr(role, "unexpected field [%s]", key)
		}
		return nil
	})
	if err != nil {
		return ip, err
	}
	if !haveNames {
		return ip, indicesErr(role, "missing required [names] field")
	}
	if !havePrivileges {
		return ip, indicesErr(role, "missing required [privileges] field")
	}
	return ip, nil
}

// withoutField returns the object raw without field, storing its value.
func withoutField(raw json.RawMessage, field string, value *json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if v, ok := m[field]; ok {
		*value = v
		delete(m, field)
	}
	return json.Marshal(m)
}

// decodeStrictStruct decodes raw into v rejecting unknown fields.
func decodeStrictStruct(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
