package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// indexOrder fails unless each of parts appears in s after the one before.
func indexOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", p, s)
		}
		at += i + len(p)
	}
}

func TestDefaultFormat(t *testing.T) {
	v := createResponse()
	want, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("pipe gets the API's JSON", func(t *testing.T) {
		got := mustRun(t, modePipe, Options{}, v)
		if got != string(want)+"\n" {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("pipe with CLICOLOR_FORCE still gets plain JSON", func(t *testing.T) {
		got := mustRun(t, mode{env: map[string]string{"CLICOLOR_FORCE": "1"}}, Options{}, v)
		if got != string(want)+"\n" {
			t.Errorf("got:\n%s", got)
		}
	})
	t.Run("terminal gets a card", func(t *testing.T) {
		got := mustRun(t, modeTTYNoColor, Options{}, v)
		if !strings.Contains(got, "Authorization: ApiKey "+v.Encoded) {
			t.Errorf("got:\n%s", got)
		}
	})
}

func TestJSONOrder(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		order   []string
		absent  []string
		present []string
	}{
		{
			name:   "key fields in the API's order",
			v:      keyActive(),
			order:  []string{`"id"`, `"name"`, `"type"`, `"creation"`, `"expiration"`, `"invalidated"`, `"username"`, `"realm"`, `"realm_type"`, `"metadata"`, `"role_descriptors"`},
			absent: []string{`"limited_by"`, `"invalidation"`, `"access"`, `"profile_uid"`, `"_sort"`},
		},
		{
			name:  "role descriptors keep their order",
			v:     keyActive(),
			order: []string{`"writer"`, `"reader"`},
		},
		{
			name:  "descriptor fields in Elasticsearch's order",
			v:     keyActive(),
			order: []string{`"cluster"`, `"indices"`, `"applications"`, `"run_as"`, `"metadata"`, `"transient_metadata"`},
		},
		{
			name:    "limited_by when set",
			v:       keyInvalidated(),
			order:   []string{`"role_descriptors"`, `"limited_by"`},
			present: []string{`"invalidation"`},
			absent:  []string{`"expiration"`},
		},
		{
			name:   "create response without expiration",
			v:      api.CreateAPIKeyResponse{ID: "i", Name: "n", APIKey: "k", Encoded: "e"},
			order:  []string{`"id"`, `"name"`, `"api_key"`, `"encoded"`},
			absent: []string{`"expiration"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustRun(t, modePipe, Options{Format: JSON}, tt.v)
			if !strings.HasPrefix(got, "{\n  \"") || !strings.HasSuffix(got, "}\n") {
				t.Errorf("not indented by two spaces and newline-terminated:\n%s", got)
			}
			indexOrder(t, got, tt.order...)
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("%s present:\n%s", a, got)
				}
			}
			for _, p := range tt.present {
				if !strings.Contains(got, p) {
					t.Errorf("%s missing:\n%s", p, got)
				}
			}
			// The same bytes as the api types marshal themselves.
			compact, _ := json.Marshal(tt.v)
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(got)); err != nil {
				t.Fatal(err)
			}
			if buf.String() != string(compact) {
				t.Errorf("JSON differs from json.Marshal:\n%s\n%s", buf.String(), compact)
			}
		})
	}
}

func TestYAMLOrder(t *testing.T) {
	tests := []struct {
		name  string
		v     any
		order []string
		want  []string
	}{
		{
			name:  "key fields and role descriptors in order",
			v:     keyActive(),
			order: []string{"id:", "name:", "type:", "creation:", "expiration:", "invalidated:", "username:", "realm:", "realm_type:", "metadata:", "role_descriptors:", "writer:", "reader:"},
			want:  []string{"creation: 1748520000000\n", "invalidated: false\n"},
		},
		{
			name: "strings that look like other types stay strings",
			v: api.CreateAPIKeyResponse{
				ID: "123", Name: "true", APIKey: "null", Encoded: "multi\nline",
			},
			want: []string{`id: "123"`, `name: "true"`, `api_key: "null"`, "encoded: |-\n  multi\n  line\n"},
		},
		{
			name: "nulls and empty collections",
			v:    usersResponse()["bob"],
			want: []string{"roles: []\n", "full_name: null\n", "metadata: {}\n", "enabled: false\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustRun(t, modePipe, Options{Format: YAML}, tt.v)
			indexOrder(t, got, tt.order...)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
		})
	}
}

func TestJSONL(t *testing.T) {
	tests := []struct {
		name   string
		v      any
		lines  int
		first  string
		prefix string
	}{
		{name: "one key per line", v: keyList(), lines: 5, prefix: `{"id":"VuaCfGcBCdbkQm-e5aOx","name":"ci-deploy",`},
		{name: "empty list", v: api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}, lines: 0},
		{name: "users by name", v: usersResponse(), lines: 3, prefix: `{"username":"alice",`},
		{name: "roles by name, named", v: rolesResponse(), lines: 3, prefix: `{"name":"key_manager","cluster":["manage_own_api_key","monitor"],`},
		{name: "single response on one line", v: createResponse(), lines: 1, prefix: `{"id":"VuaCfGcBCdbkQm-e5aOx","name":"ci-deploy","expiration":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustRun(t, modePipe, Options{Format: JSONL}, tt.v)
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if got == "" {
				lines = nil
			}
			if len(lines) != tt.lines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.lines, got)
			}
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("invalid JSON line %q", l)
				}
			}
			if tt.lines > 0 && !strings.HasPrefix(lines[0], tt.prefix) {
				t.Errorf("first line %q does not start with %q", lines[0], tt.prefix)
			}
		})
	}
	t.Run("a key line is the key as the API gives it", func(t *testing.T) {
		got := mustRun(t, modePipe, Options{Format: JSONL}, keyList())
		want, _ := json.Marshal(keyInvalidated())
		if strings.Split(got, "\n")[3] != string(want) {
			t.Errorf("line 4 = %s, want %s", strings.Split(got, "\n")[3], want)
		}
	})
}

func TestField(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		field   string
		want    string
		wantErr []string
	}{
		{name: "single", v: createResponse(), field: "encoded", want: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==\n"},
		{name: "single pointer", v: ptr(createResponse()), field: "id", want: "VuaCfGcBCdbkQm-e5aOx\n"},
		{name: "number", v: createResponse(), field: "expiration", want: "1751371200000\n"},
		{name: "optional field left out is empty", v: api.CreateAPIKeyResponse{ID: "i"}, field: "expiration", want: "\n"},
		{name: "list", v: keyList(), field: "id", want: "VuaCfGcBCdbkQm-e5aOx\nn8sQzW1cRlq0bX3aYt4e\np0AZcX9vTqL2mN7kR5sW\nZk3Lq8RtYb2Wm5NcXa1D\nRc7Hd2Kf9Ls4Mq6Np8Tv\n"},
		{name: "list booleans", v: keyList(), field: "invalidated", want: "false\nfalse\nfalse\ntrue\nfalse\n"},
		{name: "empty list", v: api.GetAPIKeysResponse{}, field: "id", want: ""},
		{name: "nested", v: keyList(), field: "metadata.env", want: "prod\n\nstaging\n\n\n"},
		{name: "nested object is compact JSON", v: keyActive(), field: "metadata.limits", want: `{"rps":100}` + "\n"},
		{name: "role descriptor by name", v: keyActive(), field: "role_descriptors.reader.indices.0.names", want: "logs-*\n"},
		{name: "array on a single response, one per line", v: invalidateResponse(), field: "invalidated_api_keys", want: "VuaCfGcBCdbkQm-e5aOx\nn8sQzW1cRlq0bX3aYt4e\n"},
		{name: "array in a list, one line per item", v: usersResponse(), field: "roles", want: "[\"key_manager\",\"viewer\"]\n[]\n[\"superuser\"]\n"},
		{name: "limited_by by index", v: keyList(), field: "limited_by.0.superuser.cluster", want: "\n\n\n[\"all\"]\n\n"},
		{name: "users", v: usersResponse(), field: "username", want: "alice\nbob\nelastic\n"},
		{name: "null is empty", v: usersResponse(), field: "email", want: "\n\nadmin@example.com\n"},
		{name: "roles by name", v: rolesResponse(), field: "name", want: "key_manager\nsuperuser\nviewer\n"},
		{name: "queried users in the answer's order", v: queriedUsers(), field: "username", want: "elastic\nbob\n"},
		{name: "queried users' sort values", v: queriedUsers(), field: "_sort", want: "[\"elastic\"]\n[\"bob\"]\n"},
		{name: "queried roles by name", v: queriedRoles(), field: "name", want: "viewer\nkey_manager\n"},
		{name: "queried roles' descriptors", v: queriedRoles(), field: "cluster", want: "[]\n[\"manage_own_api_key\",\"monitor\"]\n"},
		{name: "whoami nested struct", v: authenticateResponse(), field: "api_key.id", want: "VuaCfGcBCdbkQm-e5aOx\n"},
		{name: "error details", v: invalidateResponse(), field: "error_details.0.type", want: "security_exception\n"},
		{
			name: "missing field", v: keyList(), field: "nmae",
			wantErr: []string{`unknown field "nmae"`, "available fields: id, name, type, creation, expiration, invalidated, invalidation, username, realm, realm_type, metadata, role_descriptors, access, certificate_identity, limited_by, profile_uid, last_used, last_used_from, usage_count, allowed_networks, _sort"},
		},
		{
			name: "missing field on a single response", v: createResponse(), field: "secret",
			wantErr: []string{`unknown field "secret"`, "available fields: id, name, expiration, api_key, encoded"},
		},
		{
			name: "missing nested field", v: authenticateResponse(), field: "authentication_realm.nmae",
			wantErr: []string{`unknown field "nmae" in authentication_realm; available fields: name, type`},
		},
		{
			name: "missing field in a role descriptor", v: keyActive(), field: "role_descriptors.writer.clusters",
			wantErr: []string{`unknown field "clusters" in role_descriptors.writer`, "cluster, global, indices"},
		},
		{name: "field of a string", v: createResponse(), field: "id.x", wantErr: []string{`unknown field "x": id has no fields`}},
		{name: "list needs an index", v: createResponse(), field: "invalidated_api_keys.x", wantErr: []string{`unknown field "invalidated_api_keys"`}},
		{name: "name in a list", v: invalidateResponse(), field: "invalidated_api_keys.first", wantErr: []string{"invalidated_api_keys is a list"}},
		{name: "empty segment", v: createResponse(), field: "id..x", wantErr: []string{"empty name between dots"}},
		{name: "unknown field on an empty list", v: api.GetAPIKeysResponse{}, field: "nope", wantErr: []string{`unknown field "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []mode{modePipe, modeTTY} {
				out, _, err := run(t, m, Options{Field: tt.field}, tt.v)
				if tt.wantErr != nil {
					if err == nil {
						t.Fatalf("no error; output %q", out)
					}
					for _, w := range tt.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not contain %q", err, w)
						}
					}
					if !IsUsageError(err) {
						t.Errorf("error %v is not a usage error", err)
					}
					if out != "" {
						t.Errorf("wrote %q before failing", out)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if out != tt.want {
					t.Errorf("%s: got %q, want %q", m.name, out, tt.want)
				}
			}
		})
	}
}

func TestJQ(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		expr    string
		want    string
		wantErr string
	}{
		{name: "strings raw", v: keyList(), expr: ".api_keys[].id", want: "VuaCfGcBCdbkQm-e5aOx\nn8sQzW1cRlq0bX3aYt4e\np0AZcX9vTqL2mN7kR5sW\nZk3Lq8RtYb2Wm5NcXa1D\nRc7Hd2Kf9Ls4Mq6Np8Tv\n"},
		{name: "select", v: keyList(), expr: `.api_keys[] | select(.invalidated) | .name`, want: "revoked-key\n"},
		{name: "millisecond numbers stay exact", v: createResponse(), expr: ".expiration", want: "1751371200000\n"},
		{name: "objects indented", v: createResponse(), expr: "{id, name}", want: "{\n  \"id\": \"VuaCfGcBCdbkQm-e5aOx\",\n  \"name\": \"ci-deploy\"\n}\n"},
		// gojq keeps objects as maps: their keys come out sorted.
		{name: "object keys sorted", v: keyActive(), expr: ".role_descriptors | keys | join(\",\")", want: "reader,writer\n"},
		{name: "bad expression", v: keyList(), expr: ".api_keys[", wantErr: "invalid --jq expression"},
		{name: "runtime error", v: keyList(), expr: ".api_keys.id", wantErr: "--jq: expected an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, modePipe, Options{JQ: tt.expr}, tt.v)
			checkResult(t, out, err, tt.want, tt.wantErr)
		})
	}
}

func TestTemplate(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		tpl     string
		want    string
		wantErr string
	}{
		{
			name: "range with functions", v: keyList(),
			tpl:  `{{range .api_keys}}{{.id}} {{ms2time .creation}} {{timeago .creation}}{{"\n"}}{{end}}`,
			want: "VuaCfGcBCdbkQm-e5aOx 2025-05-29T12:00:00Z 3 days ago\nn8sQzW1cRlq0bX3aYt4e 2025-05-04T12:00:00Z 28 days ago\np0AZcX9vTqL2mN7kR5sW 2024-04-27T12:00:00Z 13 months ago\nZk3Lq8RtYb2Wm5NcXa1D 2025-05-22T12:00:00Z 10 days ago\nRc7Hd2Kf9Ls4Mq6Np8Tv 2025-06-01T11:15:00Z 45 minutes ago\n",
		},
		{name: "join and json", v: authenticateResponse(), tpl: `{{join "," .roles}} {{json .api_key}}`, want: `superuser {"id":"VuaCfGcBCdbkQm-e5aOx","managed_by":"elasticsearch","name":"ci-deploy"}`},
		{name: "parse error", v: keyList(), tpl: `{{range}}`, wantErr: "invalid --template"},
		{name: "execution error", v: keyList(), tpl: `{{ms2time .api_keys}}`, wantErr: "--template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, modePipe, Options{Template: tt.tpl}, tt.v)
			checkResult(t, out, err, tt.want, tt.wantErr)
		})
	}
}

// checkResult fails the test unless err contains wantErr or, when wantErr
// is empty, out is want.
func checkResult(t *testing.T, out string, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
