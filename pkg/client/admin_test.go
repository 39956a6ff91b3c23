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
