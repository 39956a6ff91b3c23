package api

import "testing"

// TestDecodeUserRequestErrors pins the errors of the user parsers, which
// name the request rather than a parser.
func TestDecodeUserRequestErrors(t *testing.T) {
	putUser := func(body string) error {
		_, err := DecodePutUserRequest("bob", []byte(body))
		return err
	}
	changePassword := func(body string) error {
		_, err := DecodeChangePasswordRequest("bob", []byte(body))
		return err
	}
	tests := []struct {
		name   string
		decode func(string) error
		body   string
		code   Code
		reason string
	}{
		{"put user: empty body", putUser, " ", BadFormat, "request body is required"},
		{"put user: unknown field", putUser, `{"password":"secret","nope":1}`, BadFormat,
			"failed to parse add user request. unexpected field [nope]"},
		{"put user: roles not an array", putUser, `{"roles":{}}`, BadFormat,
			"failed to parse add user request. expected field [roles] to be of type array but found [START_OBJECT] instead"},
		{"put user: null roles", putUser, `{"roles":null}`, BadFormat,
			"failed to parse add user request. expected field [roles] to be of type array but found [VALUE_NULL] instead"},
		{"put user: metadata not an object", putUser, `{"metadata":[]}`, BadFormat,
			"failed to parse add user request. expected field [metadata] to be of type object but found [START_ARRAY] instead"},
		{"put user: enabled not a boolean", putUser, `{"enabled":[]}`, BadFormat,
			"failed to parse add user request. expected field [enabled] to be of type boolean but found [START_ARRAY] instead"},
		{"put user: username not a string", putUser, `{"username":1}`, BadFormat,
			"failed to parse add user request. expected field [username] to be of type string but found [VALUE_NUMBER] instead"},
		{"put user: another username", putUser, `{"username":"alice"}`, Invalid,
			"[username] in source does not match the username provided [bob]"},
		{"change password: empty body", changePassword, "", BadFormat, "request body is required"},
		{"change password: unknown field", changePassword, `{"pasword":"secret"}`, BadFormat,
			"failed to parse change password request. unexpected field [pasword]"},
		{"change password: password not a string", changePassword, `{"password":true}`, BadFormat,
			"failed to parse change password request. expected field [password] to be of type string but found [VALUE_BOOLEAN] instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := AsError(tt.decode(tt.body))
			if !ok {
				t.Fatalf("decode %s: no api.Error", tt.body)
			}
			if e.Code != tt.code || e.Reason != tt.reason {
				t.Errorf("decode %s = %s %q, want %s %q", tt.body, e.Code.Type(), e.Reason, tt.code.Type(), tt.reason)
			}
		})
	}
}

// TestDecodeUserRequests reads a full put user body and a change password
// body.
func TestDecodeUserRequests(t *testing.T) {
	u, err := DecodePutUserRequest("bob", []byte(`{"username":"bob","password":"secret","roles":["a"],"full_name":null,"email":"b@x","metadata":{"k":1},"enabled":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "bob" || *u.Password != "secret" || len(u.Roles) != 1 || u.FullName != nil || *u.Email != "b@x" || u.Metadata.Map()["k"] == nil || *u.Enabled {
		t.Errorf("put user = %+v", u)
	}
	p, err := DecodeChangePasswordRequest("bob", []byte(`{"password_hash":"$2a$x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Username != "bob" || p.Password != nil || *p.PasswordHash != "$2a$x" {
		t.Errorf("change password = %+v", p)
	}
}
