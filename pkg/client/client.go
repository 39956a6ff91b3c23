// Package client implements api.Service over HTTP: against apikeyd on its
// Unix socket or on a URL, or against an Elasticsearch node, whose wire is
// the same.
//
// Error responses come back as *api.Error, decoded from the Elasticsearch
// error envelope, so callers use errors.As whichever Service they hold. A
// target that cannot be reached comes back as *UnreachableError, with a
// message that says what to do about it.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// SocketHost is the placeholder host of requests sent over the Unix socket.
const SocketHost = "apikeyd.sock"

// maxBody caps the size of a response body the client reads.
const maxBody = 256 << 20

// Config says where the server is and how to talk to it.
type Config struct {
	// Socket is the path of apikeyd's Unix socket. Set exactly one of
	// Socket and URL.
	Socket string
	// URL is the http or https base URL of apikeyd or of an Elasticsearch
	// node. It may carry a path prefix (https://proxy/es); user info in it
	// is used as Basic credentials when no other credentials are given.
	URL string

	// Username and Password are sent as Basic credentials.
	Username string
	Password string
	// APIKey is an encoded API key credential, sent as "ApiKey <APIKey>".
	// Without any credentials, the daemon identifies a caller on its socket
	// by the socket's peer credentials.
	APIKey string

	// CACertFile is a PEM file of certificates trusted, besides the
	// system's, to sign the server's certificate.
	CACertFile string
	// Insecure skips the verification of the server's certificate.
	Insecure bool

	// UserAgent is the User-Agent header; "apikeyctl" when empty.
	UserAgent string
	// Timeout limits each request, reading the answer included; zero is no
	// limit beyond the context's.
	Timeout time.Duration

	// DialContext, when set, replaces the dialer: it is called with
	// ("unix", Socket) for a socket and with the network and address of
	// the URL's host otherwise. Tests use it for in-memory connections.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is an api.Service that sends every call to a server over HTTP.
// It is safe for concurrent use.
type Client struct {
	hc        *http.Client
	base      string // scheme://host[/prefix], no user info, no trailing slash
	target    string // the socket path or base, for messages
	auth      string // the Authorization header value, or ""
	userAgent string
	// socket is set for a Unix socket target, always apikeyd; dialect
	// caches the answer of IsApikeyd for a URL.
	socket  bool
	dialect dialectCache
}

var _ api.Service = (*Client)(nil)

// New returns a Client for the target cfg describes. It checks cfg and reads
// the CA file, but does not contact the server.
func New(cfg Config) (*Client, error) {
	c := &Client{userAgent: cfg.UserAgent}
	if c.userAgent == "" {
		c.userAgent = "apikeyctl"
	}
	username, password := cfg.Username, cfg.Password
	if password != "" && username == "" {
		return nil, errors.New("a password was given without a username")
	}
	if cfg.APIKey != "" && username != "" {
		return nil, errors.New("choose one kind of credentials: a username and password, or an API key")
	}
	tr := &http.Transport{
		TLSHandshakeTimeout:   10 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   4,
	}
	switch {
	case cfg.Socket != "" && cfg.URL != "":
		return nil, errors.New("choose one target: a socket or a URL, not both")
	case cfg.Socket != "":
		c.base = "http://" + SocketHost
		c.target = cfg.Socket
		c.socket = true
		dial := dialer(cfg)
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, "unix", cfg.Socket)
		}
	case cfg.URL != "":
		u, err := c.useURL(cfg, tr)
		if err != nil {
			return nil, err
		}
		if u.User != nil && username == "" && cfg.APIKey == "" {
			username = u.User.Username()
			password, _ = u.User.Password()
		}
	default:
		return nil, errors.New("no target: give a socket path or a URL")
	}

	switch {
	case cfg.APIKey != "":
		c.auth = "ApiKey " + cfg.APIKey
	case username != "":
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
	}
	c.hc = &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		// Elasticsearch never redirects; following one would turn a
		// POST into a GET. Report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// dialer is cfg's DialContext, or a plain dialer's, its failures marked
// as dialErrors (the target is unreachable).
func dialer(cfg Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, &dialError{err}
		}
		return conn, nil
	}
}

// useURL points c and tr at cfg.URL (proxies from the environment, TLS for
// https) and returns the parsed URL, its user info as it was given.
func (c *Client) useURL(cfg Config, tr *http.Transport) (*url.URL, error) {
	u, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	withoutUser := *u
	withoutUser.User = nil
	c.base = strings.TrimSuffix(withoutUser.String(), "/")
	c.target = c.base
	tr.DialContext = dialer(cfg)
	if cfg.DialContext == nil {
		tr.Proxy = http.ProxyFromEnvironment
	}
	if u.Scheme == "https" {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tc
	}
	return u, nil
}

// parseURL checks a base URL. Its errors never repeat the URL, which may
// hold a password.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(raw, "@") {
			return nil, fmt.Errorf("invalid URL %q: %v", raw, ue.Err)
		}
		return nil, errors.New("invalid URL (not shown, it holds credentials)")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid URL %s: the scheme must be http or https", redact(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid URL %s: no host", redact(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid URL %s: a base URL has no query or fragment", redact(u))
	}
	return u, nil
}

// redact renders u without its user info.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// tlsConfig builds the TLS settings of cfg.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile != "" {
		data, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("read CA certificate: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("read CA certificate: no PEM certificate in %s", cfg.CACertFile)
		}
		tc.RootCAs = pool
	}
	if cfg.Insecure {
		tc.InsecureSkipVerify = true //nolint:gosec // asked for with --insecure
	}
	return tc, nil
}

// Target is the socket path or the base URL (without user info) the client
// talks to.
func (c *Client) Target() string { return c.target }

// String describes the client without its credentials.
func (c *Client) String() string { return "apikeyd client for " + c.target }

// GoString is String, so that %#v shows no credentials either.
func (c *Client) GoString() string { return c.String() }

// Close closes idle connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

// call is one request.
type call struct {
	method string
	path   string // escaped
	query  url.Values
	body   any // nil: no body
	// raw, when set, is sent as the body as it is (JSON the server parses).
	raw []byte
	// normal404 marks the endpoints where Elasticsearch answers "nothing
	// found" with HTTP 404 and a normal body rather than an error envelope.
	normal404 bool
	// normalStatus, when not zero, is an error status that Elasticsearch
	// answers with a normal body (the cluster health's 408 on a timeout).
	normalStatus int
	// errorBody, when set, reads an error response of a shape other than
	// the envelope (the get token API's OAuth2 errors); it returns nil to
	// leave the body to the envelope decoder.
	errorBody func(status int, body []byte) error
}

// do sends cl and decodes a successful answer into out (unless out is nil).
func (c *Client) do(ctx context.Context, cl call, out any) error {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := c.readBody(ctx, cl, resp)
	if err != nil {
		return err
	}
	if err := c.checkAnswer(cl, resp, data); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s %s at %s: decode the answer: %w", cl.method, cl.path, c.target, err)
	}
	return nil
}

// send sends cl and returns the response, whatever its status.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	var body io.Reader
	if cl.raw != nil {
		body = bytes.NewReader(cl.raw)
	} else if cl.body != nil {
		data, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode the request: %w", cl.method, cl.path, err)
		}
		body = bytes.NewReader(data)
	}
	u := c.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, cl, err)
	}
	return resp, nil
}

// readBody reads a JSON answer, up to maxBody.
func (c *Client) readBody(ctx context.Context, cl call, resp *http.Response) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, cl, err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("%s %s at %s: the answer is larger than %d MiB", cl.method, cl.path, c.target, maxBody>>20)
	}
	return data, nil
}

// checkAnswer returns the error an answer stands for: an error status,
// a redirect, or a success that does not come from Elasticsearch. data is
// the body, read for an error status.
func (c *Client) checkAnswer(cl call, resp *http.Response, data []byte) error {
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
	case s == http.StatusNotFound && cl.normal404 && isPlainObject(data):
	case s == cl.normalStatus && isPlainObject(data):
	case s >= 400:
		if cl.errorBody != nil {
			if err := cl.errorBody(s, data); err != nil {
				return err
			}
		}
		return c.apiError(resp, data)
	case s >= 300 && s < 400:
		return fmt.Errorf("the server at %s answered %s %s with a redirect (HTTP %d) to %q; point at the final URL instead",
			c.target, cl.method, cl.path, s, resp.Header.Get("Location"))
	default:
		return fmt.Errorf("the server at %s answered %s %s with unexpected HTTP status %d", c.target, cl.method, cl.path, s)
	}
	return c.checkProduct(resp.Header)
}

// ErrNotElasticsearch is wrapped by the error for a successful answer that
// lacks Elasticsearch's X-Elastic-Product header.
var ErrNotElasticsearch = errors.New("not Elasticsearch or apikeyd")

// checkProduct does what the official clients do with a successful answer:
// it must come from Elasticsearch, or from apikeyd, which says it is.
func (c *Client) checkProduct(h http.Header) error {
	switch v := h.Values("X-Elastic-Product"); {
	case len(v) == 0:
		return fmt.Errorf("the server at %s is %w: missing X-Elastic-Product header", c.target, ErrNotElasticsearch)
	case v[0] != "Elasticsearch":
		return fmt.Errorf("the server at %s is %w: X-Elastic-Product header is %q", c.target, ErrNotElasticsearch, v[0])
	}
	return nil
}

// apiError turns an error response into an *api.Error.
func (c *Client) apiError(resp *http.Response, body []byte) error {
	e := api.DecodeEnvelope(resp.StatusCode, body)
	if !isEnvelope(body) {
		// Not Elasticsearch speaking (a proxy, say): keep the reason short.
		reason := fmt.Sprintf("HTTP %d %s from %s", resp.StatusCode, http.StatusText(resp.StatusCode), c.target)
		if line := strings.TrimSpace(string(body)); line != "" && len(line) <= 200 && !strings.ContainsAny(line, "\r\n<") {
			reason += ": " + line
		}
		e.Reason = reason
	}
	if len(e.Header) == 0 {
		if v := resp.Header.Values("WWW-Authenticate"); len(v) > 0 {
			e.Header = map[string][]string{"WWW-Authenticate": v}
		}
	}
	return e
}

// isEnvelope reports whether body is a JSON object with an error member.
func isEnvelope(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m["error"]
	return ok
}

// isPlainObject reports whether body is a JSON object that is not an error
// envelope.
func isPlainObject(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return false
	}
	_, ok := m["error"]
	return !ok
}

// transportError explains a request that got no answer.
func (c *Client) transportError(ctx context.Context, cl call, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s %s at %s: %w", cl.method, cl.path, c.target, ctxErr)
	}
	var de *dialError
	if errors.As(err, &de) {
		return &UnreachableError{Target: c.target, Err: de.err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if tlsHint(err) != "" {
		return &UnreachableError{Target: c.target, Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s %s at %s: no answer in time: %w", cl.method, cl.path, c.target, err)
	}
	return fmt.Errorf("%s %s at %s: %w", cl.method, cl.path, c.target, err)
}

// dialError marks a failure to connect.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }
