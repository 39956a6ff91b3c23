package client

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestBackup(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reply  reply
		body   string // the copy, when it succeeds
		code   api.Code
		reason string // a fragment of the error's reason
	}{
		{"the copy", reply{body: "SQLite format 3\x00", header: map[string]string{"Content-Type": "application/octet-stream"}},
			"SQLite format 3\x00", 0, ""},
		{"forbidden", reply{status: 403, body: `{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized"}],"type":"security_exception","reason":"action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized"},"status":403}`},
			"", api.Forbidden, "apikeyd/backup] is unauthorized"},
		{"an Elasticsearch node", reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/backup] and method [GET]"}`},
			"", api.Invalid, "backup is an apikeyd feature and the server at"},
		{"an apikeyd 400", reply{status: 400, body: `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"bad"}],"type":"illegal_argument_exception","reason":"bad"},"status":400}`},
			"", api.Invalid, "bad"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, tt.reply)
			c := mustNew(t, Config{URL: srv.URL})
			bk, err := c.Backup(context.Background())
			if tt.reason != "" {
				e, ok := api.AsError(err)
				if !ok || e.Code != tt.code || !strings.Contains(e.Reason, tt.reason) {
					t.Fatalf("got %v, want code %v with %q", err, tt.code, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(bk.Body)
			bk.Body.Close()
			if err != nil || string(data) != tt.body || bk.Size != int64(len(tt.body)) {
				t.Fatalf("got %q (size %d), %v; want %q", data, bk.Size, err, tt.body)
			}
			if got := f.last(t); got.Method != "GET" || got.Path != "/_apikeyd/backup" {
				t.Fatalf("sent %s %s", got.Method, got.Path)
			}
		})
	}
}

func TestDoctor(t *testing.T) {
	_, srv := newFake(t, reply{body: `{"checks":[{"name":"schema version","status":"warn","message":"version 3"}]}`})
	rep, err := mustNew(t, Config{URL: srv.URL}).Doctor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 1 || rep.Checks[0].Status != api.CheckWarn {
		t.Fatalf("got %+v", rep)
	}
	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/doctor] and method [GET]"}`})
	_, err = mustNew(t, Config{URL: es.URL}).Doctor(context.Background())
	var e *api.Error
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "apikeyctl doctor checks apikeyd only") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}

func TestInvalidateAPIKeysByQuery(t *testing.T) {
	plan := "sha256:" + strings.Repeat("ab", 32)
	f, srv := newFake(t, reply{body: `{"dry_run":false,"count":1,"plan":"` + plan + `","invalidated_api_keys":["7Q2eJ5gBc8uQ3hY1Zk9w"],"previously_invalidated_api_keys":[],"error_count":0}`})
	resp, err := mustNew(t, Config{URL: srv.URL}).InvalidateAPIKeysByQuery(context.Background(),
		&api.InvalidateByQueryRequest{Query: []byte(`{"prefix":{"name":"fleet-"}}`), ExpectCount: new(int), Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 1 || resp.Plan != plan || resp.InvalidateAPIKeysResponse == nil || resp.InvalidatedAPIKeys[0] != "7Q2eJ5gBc8uQ3hY1Zk9w" {
		t.Fatalf("got %+v", resp)
	}
	got := f.last(t)
	if got.Method != "POST" || got.Path != "/_apikeyd/api_key/_invalidate_by_query" ||
		got.Body != `{"query":{"prefix":{"name":"fleet-"}},"expect_count":0,"plan":"`+plan+`"}` {
		t.Fatalf("sent %s %s %s", got.Method, got.Path, got.Body)
	}

	_, conflict := newFake(t, reply{status: 409, body: `{"error":{"root_cause":[{"type":"version_conflict_engine_exception","reason":"not those expected"}],"type":"version_conflict_engine_exception","reason":"not those expected"},"status":409}`})
	_, err = mustNew(t, Config{URL: conflict.URL}).InvalidateAPIKeysByQuery(context.Background(), &api.InvalidateByQueryRequest{Plan: plan})
	if e, ok := api.AsError(err); !ok || e.Code != api.Conflict {
		t.Fatalf("a changed plan: %v", err)
	}

	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/api_key/_invalidate_by_query] and method [POST]"}`})
	_, err = mustNew(t, Config{URL: es.URL}).InvalidateAPIKeysByQuery(context.Background(), &api.InvalidateByQueryRequest{DryRun: true})
	if e, ok := api.AsError(err); !ok || !strings.Contains(e.Reason, "invalidate by query is an apikeyd feature") || !strings.Contains(e.Reason, "apikeyctl invalidate ID") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}

func TestUpdateAPIKeyExtended(t *testing.T) {
	f, srv := newFake(t, reply{body: `{"updated":true}`})
	name := "renamed"
	resp, err := mustNew(t, Config{URL: srv.URL}).UpdateAPIKeyExtended(context.Background(),
		&api.ExtendedUpdateAPIKeyRequest{ID: "7Q2eJ5gBc8uQ3hY1Zk9w", Name: &name, Expiration: &api.Clearable{Null: true}, Metadata: api.MetadataFromMap(map[string]any{"env": "prod"})})
	if err != nil || !resp.Updated {
		t.Fatalf("got %+v %v", resp, err)
	}
	got := f.last(t)
	if got.Method != "PUT" || got.Path != "/_apikeyd/api_key/7Q2eJ5gBc8uQ3hY1Zk9w" || got.Body != `{"expiration":null,"name":"renamed","metadata":{"env":"prod"}}` {
		t.Fatalf("sent %s %s %s", got.Method, got.Path, got.Body)
	}
	_, es := newFake(t, reply{status: 400, body: `{"error":"no handler found for uri [/_apikeyd/api_key/7Q2eJ5gBc8uQ3hY1Zk9w] and method [PUT]"}`})
	_, err = mustNew(t, Config{URL: es.URL}).UpdateAPIKeyExtended(context.Background(), &api.ExtendedUpdateAPIKeyRequest{ID: "7Q2eJ5gBc8uQ3hY1Zk9w", Name: &name})
	if e, ok := api.AsError(err); !ok || !strings.Contains(e.Reason, "renaming a key or clearing its expiration is an apikeyd feature") {
		t.Fatalf("against Elasticsearch: %v", err)
	}
}
