package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestParseAuthorization(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		header string
		want   Credential
		errMsg string
	}{
		{"none", "", Credential{Scheme: SchemeNone}, ""},
		{"basic", "Basic " + b64("elastic:pw:with:colons"), Credential{Scheme: SchemeBasic, Username: "elastic", Password: "pw:with:colons"}, ""},
		{"apikey as the JS client sends it", "ApiKey " + b64("id1:sec"), Credential{Scheme: SchemeAPIKey, KeyID: "id1", KeySecret: "sec"}, ""},
		{"APIKey as the Go client sends it", "APIKey " + b64("id1:sec"), Credential{Scheme: SchemeAPIKey, KeyID: "id1", KeySecret: "sec"}, ""},
		{"empty secret", "apikey " + b64("id1:"), Credential{Scheme: SchemeAPIKey, KeyID: "id1"}, ""},
		{"bearer", "Bearer tok", Credential{Scheme: SchemeBearer, Token: "tok"}, ""},
		{"apikey without colon", "ApiKey " + b64("id1"), Credential{}, "invalid ApiKey value"},
		{"apikey with empty id", "ApiKey " + b64(":sec"), Credential{}, "invalid ApiKey value"},
		{"apikey url-safe base64", "ApiKey a_b-", Credential{}, "invalid ApiKey value"},
		{"apikey empty", "ApiKey ", Credential{}, "invalid ApiKey value"},
		{"unknown scheme", "Negotiate x", Credential{}, "unable to authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.header)
			if tt.errMsg != "" {
				e, ok := api.AsError(err)
				if !ok || e.Code != api.Unauthenticated || !strings.Contains(e.Error(), tt.errMsg) || len(e.Header["WWW-Authenticate"]) != 3 {
					t.Fatalf("got %v, want a 401 %q", err, tt.errMsg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func descs(privs ...string) api.RoleDescriptors {
	return api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: privs}}}
}

func TestAuthorize(t *testing.T) {
	user := func(privs ...string) *Subject { return &Subject{Username: "u", Descriptors: descs(privs...)} }
	key := func(assigned, limited api.RoleDescriptors) *Subject {
		return &Subject{Username: "u", APIKey: &KeyIdentity{ID: "k", RoleDescriptors: assigned, LimitedBy: limited}}
	}
	tests := []struct {
		name   string
		sub    *Subject
		action string
		want   Level
	}{
		{"superuser", OSSubject("root"), ActionPutUser, Granted},
		{"manage_own creates own", user("manage_own_api_key"), ActionCreateAPIKey, OwnKeys},
		{"manage_own cannot grant", user("manage_own_api_key"), "cluster:admin/xpack/security/api_key/grant", Denied},
		{"manage_api_key gets all", user("manage_api_key"), ActionGetAPIKey, Granted},
		{"manage_api_key no cross-cluster", user("manage_api_key"), "cluster:admin/xpack/security/cross_cluster/api_key/create", Denied},
		{"read_security gets", user("read_security"), ActionGetAPIKey, Granted},
		{"read_security cannot invalidate", user("read_security"), ActionInvalidateAPIKey, Denied},
		{"manage excludes security", user("manage"), ActionGetAPIKey, Denied},
		{"action pattern", user("cluster:admin/xpack/security/api_key/*"), ActionCreateAPIKey, Granted},
		{"key inherits owner", key(nil, descs("manage_api_key")), ActionGetAPIKey, Granted},
		{"key limited by owner", key(descs("manage_api_key"), descs("manage_own_api_key")), ActionGetAPIKey, OwnKeys},
		{"key limited by its own descriptors", key(descs("monitor"), descs("all")), ActionGetAPIKey, Denied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Authorize(tt.sub, tt.action); got != tt.want {
				t.Fatalf("Authorize = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestForbiddenMessage(t *testing.T) {
	user := &Subject{Username: "bob", Roles: []string{"a", "b"}}
	key := &Subject{Username: "bob", APIKey: &KeyIdentity{ID: "kid"}}
	const (
		userText = "is unauthorized for user [bob] with effective roles [a,b]"
		keyText  = "is unauthorized for API key id [kid] of user [bob]"
	)
	tests := []struct {
		name   string
		sub    *Subject
		action string
		own    bool
		want   string
	}{
		{"get own keys", user, ActionGetAPIKey, true,
			"action [cluster:admin/xpack/security/api_key/get] " + userText + ", this action is granted by the cluster privileges [manage_own_api_key,read_security,manage_api_key,manage_security,all]"},
		{"get others' keys", user, ActionGetAPIKey, false,
			"action [cluster:admin/xpack/security/api_key/get] " + userText + ", this action is granted by the cluster privileges [read_security,manage_api_key,manage_security,all]"},
		{"invalidate others' keys", user, ActionInvalidateAPIKey, false,
			"action [cluster:admin/xpack/security/api_key/invalidate] " + userText + ", this action is granted by the cluster privileges [manage_api_key,manage_security,all]"},
		{"invalidate own keys", user, ActionInvalidateAPIKey, true,
			"action [cluster:admin/xpack/security/api_key/invalidate] " + userText + ", this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"},
		{"api key on other keys", key, ActionInvalidateAPIKey, false,
			"action [cluster:admin/xpack/security/api_key/invalidate] " + keyText + ", this action is granted by the cluster privileges [manage_api_key,manage_security,all]"},
		{"clone is never own", key, ActionCloneAPIKey, true,
			"action [cluster:admin/xpack/security/api_key/clone] " + keyText + ", this action is granted by the cluster privileges [clone_api_key,manage_api_key,manage_security,all]"},
		{"own has no bearing off api keys", user, ActionGetUser, true,
			"action [cluster:admin/xpack/security/user/get] " + userText + ", this action is granted by the cluster privileges [read_security,manage_security,all]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Forbidden(tt.sub, tt.action, tt.own)
			if e.Reason != tt.want || e.Code != api.Forbidden {
				t.Fatalf("got  %q\nwant %q", e.Reason, tt.want)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Basic ZTpw", "ApiKey aWQ6cw==", "Bearer x", "apikey", "ApiKey !!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		cred, err := ParseAuthorization(header)
		if err != nil {
			if e, ok := api.AsError(err); !ok || e.Code != api.Unauthenticated {
				t.Fatalf("%q: %v is not a 401", header, err)
			}
			return
		}
		if cred.Scheme == SchemeAPIKey && cred.KeyID == "" {
			t.Fatalf("%q: API key credential with an empty id", header)
		}
		// The header a client writes for the credential reads back as it.
		var again string
		switch cred.Scheme {
		case SchemeNone:
			return
		case SchemeBasic:
			again = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password))
		case SchemeAPIKey:
			again = "ApiKey " + base64.StdEncoding.EncodeToString([]byte(cred.KeyID+":"+cred.KeySecret))
		case SchemeBearer:
			again = "Bearer " + cred.Token
		}
		if back, err := ParseAuthorization(again); err != nil || back != cred {
			t.Fatalf("%q: %+v written as %q reads back as %+v, %v", header, cred, again, back, err)
		}
	})
}

func FuzzParseAPIKeyCredential(f *testing.F) {
	for _, s := range []string{"VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==", "aWQ6", "OnM=", "aWQ=", "aWQ6cw", "aWQ6\ncw==", "", "!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		id, secret, err := ParseAPIKeyCredential(encoded)
		if err != nil {
			if e, ok := api.AsError(err); !ok || e.Code != api.Invalid {
				t.Fatalf("%q: %v is not an illegal_argument_exception", encoded, err)
			}
			return
		}
		if id == "" || strings.Contains(id, ":") {
			t.Fatalf("%q: id %q", encoded, id)
		}
		// The id is everything before the first colon: the secret may
		// hold more.
		canonical := base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
		if id2, secret2, err := ParseAPIKeyCredential(canonical); err != nil || id2 != id || secret2 != secret {
			t.Fatalf("%q: %q:%q re-encoded as %q reads back as %q:%q, %v", encoded, id, secret, canonical, id2, secret2, err)
		}
	})
}
