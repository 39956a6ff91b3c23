package api

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// This file holds the strict request body decoders. Like Elasticsearch's
// parsers they reject unknown fields and values of the wrong JSON type, and
// their errors carry Elasticsearch's types and reasons, positions included.

// ErrBodyRequired is Elasticsearch's answer to a missing request body.
func ErrBodyRequired() *Error { return Errorf(BadFormat, "request body is required") }

// jsonKind names the JSON token kind of raw the way Jackson does.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "VALUE_NULL"
	}
	switch t[0] {
	case 'n':
		return "VALUE_NULL"
	case '"':
		return "VALUE_STRING"
	case 't', 'f':
		return "VALUE_BOOLEAN"
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	}
	return "VALUE_NUMBER"
}

// wrongType reports a value of a JSON kind the field does not take.
type wrongType struct{ kind string }

func (w wrongType) Error() string { return "wrong type " + w.kind }

// eachField calls fn for every member of the JSON object in data, in order,
// with the position of its name. data is read by the one strict reader of
// request bodies: duplicate fields, nesting deeper than 1,000 levels and
// invalid UTF-8 are refused as Elasticsearch refuses them.
func eachField(data []byte, fn func(key string, raw json.RawMessage, at strictjson.Pos) error) error {
	root, err := strictjson.Parse(data)
	if err != nil {
		return err
	}
	if root.Kind != strictjson.Object {
		return wrongType{root.Kind.Token()}
	}
	for _, m := range root.Members {
		if err := fn(m.Key, data[m.Value.Start:m.Value.End], m.KeyPos); err != nil {
			return err
		}
	}
	return nil
}

// fieldFunc decodes one field's raw value. It returns wrongType for a value
// of the wrong kind, an *Error to be reported as the cause of "failed to
// parse field", or an error with Code ParseFailed to be passed on unchanged.
type fieldFunc func(raw json.RawMessage) error

// decodeObject decodes a strict JSON object for the parser named parser.
func decodeObject(data []byte, parser string, fields map[string]fieldFunc) error {
	root, err := strictjson.Parse(data)
	if err == nil && root.Kind != strictjson.Object {
		err = wrongType{root.Kind.Token()}
	}
	if err == nil {
		err = decodeMembers(data, root, parser, fields)
	}
	return syntaxError(data, parser, err)
}

// decodeMembers decodes the members of the object node of the document
// data with fields, reporting positions in the whole document.
func decodeMembers(data []byte, node *strictjson.Node, parser string, fields map[string]fieldFunc) error {
	for _, m := range node.Members {
		key, raw, pos := m.Key, json.RawMessage(data[m.Value.Start:m.Value.End]), m.KeyPos
		f, ok := fields[key]
		if !ok {
			return Errorf(ParseFailed, "%s [%s] unknown field [%s]", pos, parser, key)
		}
		err := f(raw)
		if err == nil {
			continue
		}
		var wt wrongType
		if errors.As(err, &wt) {
			return Errorf(ParseFailed, "%s [%s] %s doesn't support values of type: %s", pos, parser, key, wt.kind)
		}
		if e, ok := AsError(err); ok {
			if e.Code == ParseFailed {
				return e
			}
			return Errorf(ParseFailed, "%s [%s] failed to parse field [%s]", pos, parser, key).Wrap(e)
		}
		return Errorf(ParseFailed, "%s [%s] failed to parse field [%s]", pos, parser, key).Wrap(Errorf(Invalid, "%s", err.Error()))
	}
	return nil
}

// syntaxError turns JSON syntax errors into x_content_parse_exception and
// passes other errors through.
func syntaxError(data []byte, parser string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := AsError(err); ok {
		return err
	}
	var wt wrongType
	if errors.As(err, &wt) {
		return Errorf(ParseFailed, "[1:1] [%s] Expected START_OBJECT but was %s", parser, wt.kind)
	}
	var se *strictjson.SyntaxError
	if errors.As(err, &se) {
		return Errorf(ParseFailed, "%s", se.Error())
	}
	return Errorf(ParseFailed, "[%s] %s", parser, err.Error())
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

func stringField(dst **string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			return wrongType{"VALUE_NULL"}
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return wrongType{jsonKind(raw)}
		}
		*dst = &s
		return nil
	}
}

func plainString(dst *string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			return wrongType{"VALUE_NULL"}
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return wrongType{jsonKind(raw)}
		}
		return nil
	}
}

func nullableString(dst **string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = nil
			return nil
		}
		return stringField(dst)(raw)
	}
}

func boolField(dst *bool) fieldFunc {
	return func(raw json.RawMessage) error {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			switch s {
			case "true":
				*dst = true
				return nil
			case "false":
				*dst = false
				return nil
			}
			return Errorf(Invalid, "Failed to parse value [%s] as only [true] or [false] are allowed.", s)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return wrongType{jsonKind(raw)}
		}
		return nil
	}
}

func boolPtrField(dst **bool) fieldFunc {
	return func(raw json.RawMessage) error {
		var b bool
		if err := boolField(&b)(raw); err != nil {
			return err
		}
		*dst = &b
		return nil
	}
}

// stringsField takes an array of strings, or a single string as a one
// element array, as Elasticsearch's array fields do. Null is neither (Go
// would read it as the empty string).
func stringsField(dst *[]string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			return wrongType{"VALUE_NULL"}
		}
		var one string
		if json.Unmarshal(raw, &one) == nil {
			*dst = []string{one}
			return nil
		}
		var many []string
		if jsonKind(raw) != "START_ARRAY" || json.Unmarshal(raw, &many) != nil {
			return wrongType{jsonKind(raw)}
		}
		if many == nil {
			many = []string{}
		}
		*dst = many
		return nil
	}
}

func objectField(dst *map[string]any) fieldFunc {
	return func(raw json.RawMessage) error {
		if jsonKind(raw) != "START_OBJECT" {
			return wrongType{jsonKind(raw)}
		}
		m, err := decodeMap(raw)
		if err != nil {
			return err
		}
		*dst = m
		return nil
	}
}

// metadataField takes a metadata object, keeping the order of its members.
func metadataField(dst *Metadata) fieldFunc {
	return func(raw json.RawMessage) error {
		if jsonKind(raw) != "START_OBJECT" {
			return wrongType{jsonKind(raw)}
		}
		return dst.UnmarshalJSON(raw)
	}
}

// decodeMap decodes a JSON object keeping numbers exactly as written.
func decodeMap(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeCreateAPIKeyRequest decodes the body of a create API key request.
func DecodeCreateAPIKeyRequest(body []byte) (*CreateAPIKeyRequest, error) {
	req := &CreateAPIKeyRequest{}
	return decodeRequest(body, ParserCreateAPIKey, req, apiKeyFields(req), req.Check)
}

// expirationField takes a time value and checks its syntax while the
// position is known.
func expirationField(dst **string) fieldFunc {
	return func(raw json.RawMessage) error {
		if isNull(raw) {
			*dst = nil
			return nil
		}
		if err := stringField(dst)(raw); err != nil {
			return err
		}
		_, err := ParseTimeValue(**dst, "expiration")
		return err
	}
}

// DecodeInvalidateAPIKeysRequest decodes the body of an invalidate request.
func DecodeInvalidateAPIKeysRequest(body []byte) (*InvalidateAPIKeysRequest, error) {
	req := &InvalidateAPIKeysRequest{}
	return decodeRequest(body, ParserInvalidateAPIKey, req, map[string]fieldFunc{
		"ids": func(raw json.RawMessage) error {
			if err := stringsField(&req.IDs)(raw); err != nil {
				return err
			}
			return CheckIDs(req.IDs)
		},
		"name":       plainString(&req.Name),
		"owner":      boolField(&req.Owner),
		"realm_name": plainString(&req.RealmName),
		"username":   plainString(&req.Username),
	}, nil)
}

// DecodePutUserRequest decodes the body of a put user request.
func DecodePutUserRequest(username string, body []byte) (*PutUserRequest, error) {
	req := &PutUserRequest{Username: username}
	err := decodeUserBody(body, "user", "add user", map[string]fieldFunc{
		"password":      stringField(&req.Password),
		"password_hash": stringField(&req.PasswordHash),
		"roles":         stringsField(&req.Roles),
		"full_name":     nullableString(&req.FullName),
		"email":         nullableString(&req.Email),
		"metadata":      metadataField(&req.Metadata),
		"enabled":       boolPtrField(&req.Enabled),
		"username": func(raw json.RawMessage) error {
			var s string
			if err := plainString(&s)(raw); err != nil {
				return err
			}
			if s != username {
				return Errorf(Invalid, "[username] in source does not match the username provided [%s]", username)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeChangePasswordRequest decodes the body of a change password request.
func DecodeChangePasswordRequest(username string, body []byte) (*ChangePasswordRequest, error) {
	req := &ChangePasswordRequest{Username: username}
	err := decodeUserBody(body, "change_password", "change password", map[string]fieldFunc{
		"password":      stringField(&req.Password),
		"password_hash": stringField(&req.PasswordHash),
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// decodeUserBody reads the body of a user request, which must not be
// empty, with fields. Elasticsearch's user parsers name the request (what)
// in their errors rather than a parser: "failed to parse add user
// request. unexpected field [x]".
func decodeUserBody(body []byte, parser, what string, fields map[string]fieldFunc) error {
	if err := requireBody(body); err != nil {
		return err
	}
	err := eachField(body, func(key string, raw json.RawMessage, _ strictjson.Pos) error {
		field, ok := fields[key]
		if !ok {
			return Errorf(BadFormat, "failed to parse %s request. unexpected field [%s]", what, key)
		}
		err := field(raw)
		var wt wrongType
		if errors.As(err, &wt) {
			return Errorf(BadFormat, "failed to parse %s request. expected field [%s] to be of type %s but found [%s] instead", what, key, expectedKind(key), wt.kind)
		}
		return err
	})
	return syntaxError(body, parser, err)
}

// expectedKind is the JSON type a user request field takes, as the
// errors name it.
func expectedKind(field string) string {
	switch field {
	case "roles":
		return "array"
	case "metadata":
		return "object"
	case "enabled":
		return "boolean"
	}
	return "string"
}

// DecodeRoleRequest decodes the body of a put role request.
func DecodeRoleRequest(name string, body []byte) (*PutRoleRequest, error) {
	if err := requireBody(body); err != nil {
		return nil, err
	}
	d, err := DecodeRoleDescriptor(name, body, true)
	if err != nil {
		return nil, syntaxError(body, "role", err)
	}
	return &PutRoleRequest{Name: name, Descriptor: d}, nil
}
