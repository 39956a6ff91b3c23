package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHostileRequests sends the running daemon (real store) every kind of
// bad request on every endpoint: each is answered with a 4xx in the
// Elasticsearch envelope (or accepted, where the input is in fact valid),
// never a 5xx; afterwards its goroutines, descriptors and memory are back
// where they were.
func TestHostileRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("sends thousands of requests")
	}
	clearEnv(t)
	t.Setenv("APIKEYD_BOOTSTRAP_PASSWORD", "hostile-password")
	d := startMain(t, "--data-dir", shortDir(t), "--socket", "", "--listen", "127.0.0.1:0", "--max-content-length", "1mb",
		"--failed-auth-limit", "0")
	base := "http://" + d.addrs.Addr
	admin := "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:hostile-password"))
	client := &http.Client{Timeout: time.Minute}

	bodyEndpoints := []struct{ method, path string }{
		{"POST", "/_security/api_key"}, {"PUT", "/_security/api_key"}, {"DELETE", "/_security/api_key"},
		{"POST", "/_security/api_key/grant"}, {"POST", "/_security/api_key/_bulk_grant"}, {"POST", "/_security/api_key/clone"},
		{"PUT", "/_security/api_key/someid"}, {"POST", "/_security/api_key/_bulk_update"},
		{"POST", "/_security/cross_cluster/api_key"}, {"PUT", "/_security/cross_cluster/api_key/someid"},
		{"POST", "/_security/_query/api_key"}, {"GET", "/_security/_query/api_key"},
		{"PUT", "/_security/user/mallory"}, {"POST", "/_security/user/_password"}, {"PUT", "/_security/user/mallory/_password"},
		{"PUT", "/_security/role/evil"}, {"POST", "/_security/user/_has_privileges"},
		{"POST", "/_security/oauth2/token"}, {"DELETE", "/_security/oauth2/token"},
		{"POST", "/_apikeyd/api_key/someid/_rotate"}, {"POST", "/_apikeyd/api_key/_invalidate"},
	}
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	hugeIDs := `{"ids":[` + strings.TrimSuffix(strings.Repeat(`"abcdefghijklmnopqrst",`, 40000), ",") + `]}`
	bodies := map[string]string{
		"malformed":         `{"name":`,
		"not an object":     `["name"]`,
		"scalar":            `42`,
		"unknown field":     `{"bogus_field":1}`,
		"duplicate field":   `{"name":"a","name":"b"}`,
		"invalid UTF-8":     "{\"name\":\"\xff\xfe\"}",
		"deep nesting":      `{"metadata":{"a":` + deep + `}}`,
		"deep query":        `{"query":` + strings.Repeat(`{"bool":{"must":`, 600) + `{"match_all":{}}` + strings.Repeat(`}}`, 600) + `}`,
		"huge id list":      hugeIDs,
		"huge number":       `{"size":1e400,"from":-99999999999999999999}`,
		"nulls":             `{"name":null,"metadata":null,"role_descriptors":null,"expiration":null,"ids":null,"query":null}`,
		"control character": "{\"name\":\"a\x01b\"}",
		"trailing garbage":  `{"name":"a"} {"name":"b"}`,
		"lone surrogate":    `{"name":"\ud800"}`,
	}
	for _, field := range []string{"name", "metadata", "role_descriptors", "expiration", "ids", "access", "query", "sort",
		"password", "roles", "api_key", "grant_type", "username", "cluster", "indices", "size", "search_after", "aggs", "realm_name",
		"grace", "until_unused", "cascade"} {
		for _, v := range []string{`1`, `"x"`, `[]`, `{}`, `true`, `[{"a":[1,{"b":null}]}]`} {
			bodies[fmt.Sprintf("%s=%s", field, v)] = fmt.Sprintf(`{%q:%s}`, field, v)
		}
	}
	var sent int
	check := func(what string, req *http.Request) {
		t.Helper()
		sent++
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d %s", what, resp.StatusCode, data)
			return
		}
		var answer map[string]any
		switch {
		case resp.StatusCode < 400 || req.Method == "HEAD" || resp.StatusCode == http.StatusRequestHeaderFieldsTooLarge:
			// 431 is net/http's, before any handler: plain text.
		case resp.StatusCode == http.StatusNotFound:
			// Get by id or name answers 404 with its usual body, as
			// Elasticsearch does.
			if json.Unmarshal(data, &answer) != nil {
				t.Errorf("%s: 404 with a body that is not JSON: %s", what, data)
			}
		default:
			if json.Unmarshal(data, &answer) != nil || answer["error"] == nil {
				t.Errorf("%s: %d without the error envelope: %s", what, resp.StatusCode, data)
			}
		}
	}
	newReq := func(method, url, body string) *http.Request {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", admin)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}

	attack := func() {
		for _, ep := range bodyEndpoints {
			for name, body := range bodies {
				check(ep.method+" "+ep.path+" "+name, newReq(ep.method, base+ep.path, body))
			}
			oversize := newReq(ep.method, base+ep.path, `{"name":"`+strings.Repeat("x", 2<<20)+`"}`)
			check(ep.method+" "+ep.path+" oversize", oversize)
		}
		for _, q := range []string{"?%zz", "?pretty=maybe", "?refresh=sideways", "?a=b&a=c", "?" + strings.Repeat("x=1&", 2000),
			"?id=" + strings.Repeat("i", 10000), "?size=-1", "?with_limited_by=2", "?filter_path=" + strings.Repeat("a.", 5000)} {
			for _, path := range []string{"/_security/api_key", "/_security/user", "/_security/role", "/_security/_authenticate"} {
				check("GET "+path+q, newReq("GET", base+path+q, ""))
			}
		}
		for _, authz := range []string{"Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "ApiKey xyz",
			"ApiKey " + base64.StdEncoding.EncodeToString([]byte(":")), "Bearer", "Bearer " + strings.Repeat("t", 8000),
			"Digest abc", "Basic", strings.Repeat("A", 60000), "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:\xff\xfe"))} {
			req := newReq("GET", base+"/_security/_authenticate", "")
			req.Header.Set("Authorization", authz)
			check("Authorization "+authz[:min(len(authz), 20)], req)
		}
		for _, m := range []string{"PATCH", "TRACE", "FOO", "OPTIONS", "HEAD", "CONNECT"} {
			for _, path := range []string{"/_security/api_key", "/_security/user/x", "/nothing", "/_security/api_key/%2e%2e/", "//",
				"/_security/user/" + strings.Repeat("u", 10000), "/_security/role/%00"} {
				if m == "CONNECT" {
					continue // net/http's client sends CONNECT only to proxies
				}
				check(m+" "+path, newReq(m, base+path, ""))
			}
		}
		huge := newReq("GET", base+"/_security/_authenticate", "")
		huge.Header.Set("X-Filler", strings.Repeat("h", 2<<20))
		check("huge headers", huge)
	}
	// The first round warms the daemon up (its read connections open as
	// they are needed); the second must leave it as the first did.
	attack()
	client.CloseIdleConnections()
	baseline := settled(t)
	attack()
	client.CloseIdleConnections()
	t.Logf("%d hostile requests answered", sent)
	waitForBaseline(t, baseline)
}

// settled is the process's usage once it stops changing (connections close
// and goroutines end asynchronously after the last answer).
func settled(t *testing.T) usage {
	t.Helper()
	prev := resources()
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		now := resources()
		if now.goroutines == prev.goroutines && now.fds == prev.fds {
			return now
		}
		prev = now
	}
	return prev
}

// usage is what the process holds: goroutines, open descriptors and live
// heap.
type usage struct {
	goroutines, fds int
	heap            uint64
}

func resources() usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return usage{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: ms.HeapAlloc}
}

// waitForBaseline waits until the process is back near base (connections
// close and goroutines end asynchronously; the deadline is a failure
// guard, not a measure).
func waitForBaseline(t *testing.T, base usage) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := resources()
		ok := now.goroutines <= base.goroutines+2 && (base.fds == 0 || now.fds <= base.fds+2) && now.heap <= base.heap+32<<20
		if ok {
			t.Logf("resources: before %+v, after %+v", base, now)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("not back to baseline: before %+v, after %+v\n%s", base, now, bytes.TrimSpace(buf[:n]))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
