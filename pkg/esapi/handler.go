// Package esapi serves the Elasticsearch security REST API for API keys,
// users and roles over an api.Service, so that Elasticsearch clients and
// curl cannot tell apikeyd from an Elasticsearch node.
//
// The handlers are thin: decode the request, call the Service, encode the
// answer. What Elasticsearch's REST layer does around them lives here too:
// the route table with its query parameters, authentication of every
// request, the error envelope, the product header, media types, gzip
// bodies, pretty and filter_path. No rule of the API itself does.
package esapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/orderedjson"
)

// Authenticator checks the credential a request carries and returns the
// subject it proves. keyservice.Service implements it.
type Authenticator interface {
	AuthenticateCredential(ctx context.Context, cred auth.Credential) (*auth.Subject, error)
	// AuthenticateSecondary checks the value of the request's
	// es-secondary-authorization header, for the caller ctx carries.
	AuthenticateSecondary(ctx context.Context, header string) (*auth.Subject, error)
}

// Config is what NewHandler serves.
type Config struct {
	// Service answers every API request.
	Service api.Service
	// Admin, when set, answers apikeyd's own endpoints under /_apikeyd/
	// (backup, doctor); without it they are not routed.
	Admin api.Admin
	// Authenticator checks Authorization headers.
	Authenticator Authenticator
	// Peer identifies a caller that sent no Authorization header, from
	// the connection it came on (the Unix socket's peer credentials). It
	// returns (nil, nil) when the connection tells nothing, and an error
	// to refuse the caller. Without Peer such a request is a 401.
	Peer func(r *http.Request) (*auth.Subject, *api.Error)
	// Logger receives one line per request and the internal errors;
	// slog.Default() when nil.
	Logger *slog.Logger
	// Info is the body of GET /; empty fields get defaults.
	Info ClusterInfo
	// MaxBodySize is the largest request body accepted, before and after
	// decompression; DefaultMaxBodySize when zero.
	MaxBodySize int64
	// RequestTimeout bounds the work of one request once it is read (0:
	// no bound): past it the request's context ends, its statements are
	// interrupted and its uncommitted writes rolled back, so that no
	// request holds the database's writer for longer.
	RequestTimeout time.Duration
	// AllowedHosts are the Host header names served on a loopback
	// connection besides the loopback names and addresses themselves
	// (DNS rebinding); "*" serves every name.
	AllowedHosts []string
	// TrustedProxies are the networks of the reverse proxies whose
	// X-Forwarded-For header is believed: behind one, a request's client
	// address (which keys bound to networks are checked against) is the
	// right-most forwarded address that is not itself a trusted proxy.
	// Without any, the header is ignored and the client is the TCP peer.
	TrustedProxies []netip.Prefix
	// Observer, when set, is told of every request answered (metrics).
	Observer RequestObserver
	// MetricsLoopback lets a request for the metrics that carries no
	// credential through to Admin.Metrics when it came over the Unix
	// socket or from a loopback address (the service checks again);
	// without it such a request is a 401 like any other.
	MetricsLoopback bool
}

// RequestObserver is told how long each request took to answer, by
// method, route and status. route is the pattern of the route that
// served it ("unmatched" for none) and method one of the methods the
// routes serve (or "other"), so that their values are bounded.
type RequestObserver interface {
	ObserveRequest(method, route string, code int, d time.Duration)
}

// handler is the http.Handler NewHandler returns.
type handler struct {
	svc     api.Service
	admin   api.Admin
	authn   Authenticator
	peer    func(r *http.Request) (*auth.Subject, *api.Error)
	log     *slog.Logger
	info    ClusterInfo
	maxBody int64
	hosts   hostCheck
	timeout time.Duration
	proxies []netip.Prefix
	routes  []*route
	// observer and metricsLoopback are Config.Observer and
	// Config.MetricsLoopback.
	observer        RequestObserver
	metricsLoopback bool
}

// NewHandler returns the HTTP handler of the Elasticsearch API over
// cfg.Service.
func NewHandler(cfg Config) http.Handler {
	h := &handler{
		svc:     cfg.Service,
		admin:   cfg.Admin,
		authn:   cfg.Authenticator,
		peer:    cfg.Peer,
		log:     cfg.Logger,
		info:    cfg.Info.withDefaults(),
		maxBody: cfg.MaxBodySize,
		hosts:   newHostCheck(cfg.AllowedHosts),
		timeout: cfg.RequestTimeout,
		proxies: cfg.TrustedProxies,
		routes:  routeTable(),

		observer:        cfg.Observer,
		metricsLoopback: cfg.MetricsLoopback,
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.admin != nil {
		for _, r := range adminRoutes() {
			r.segs = splitPath(r.pattern)
			h.routes = append(h.routes, r)
		}
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodySize
	}
	return h
}

// exchange is one request and what is known about it so far.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	start  time.Time
	status int
	pretty bool
	filter *filterPath
	q      query
	path   map[string]string
	body   []byte
	// bodyRead is set once the body has been read to its end: a request
	// answered before has its connection closed, its body left unread.
	bodyRead bool
	sub      *auth.Subject
	// secondary is the subject of the es-secondary-authorization header.
	secondary *auth.Subject
	// route is the route that serves the request, once found.
	route *route
}

// ServeHTTP answers one request and logs it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, start: time.Now()}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
				panic(v)
			}
			h.log.Error("panic while serving a request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if x.status == 0 {
				h.writeInternal(x)
			}
		}
		h.logRequest(x)
		h.observe(x)
	}()
	h.serve(x)
}

// serve answers one request, in Elasticsearch's order of checks: the
// query string, the route, the caller (from the headers alone, as
// Elasticsearch authenticates before it reads a body), the body, the
// route's parameters. Each step that refuses the request has answered it.
func (h *handler) serve(x *exchange) {
	hdr := x.w.Header()
	hdr.Set("X-Elastic-Product", "Elasticsearch")
	hdr.Set("Content-Type", "application/json")
	if !h.readQuery(x) {
		return
	}
	rt := h.route(x)
	if rt == nil {
		return
	}
	ctx, ok := h.authenticateExchange(x, rt)
	if !ok || !h.readRequestBody(x) || !h.authenticateSecondary(ctx, x) {
		return
	}
	if err := checkParams(x.r.URL.Path, x.q, rt.params); err != nil {
		h.writeError(x, err)
		return
	}
	if len(x.body) > 0 && !rt.body {
		h.writeError(x, api.Errorf(api.Invalid, "request [%s %s] does not support having a body", x.r.Method, x.r.URL.Path))
		return
	}
	x.filter = parseFilterPath(x.q["filter_path"])

	if h.timeout > 0 && !rt.untimed {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.timeout)
		defer cancel()
	}
	status, v, err := rt.serve(ctx, h, x)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = api.Errorf(api.TimedOut, "the request did not finish within [%s] and was cancelled; what it had not committed was rolled back", h.timeout)
		}
		h.writeError(x, err)
		return
	}
	if s, ok := v.(*stream); ok {
		h.writeStream(x, status, s)
		return
	}
	h.writeJSON(x, status, v)
}

// readQuery parses the query string (pretty first, so that even its
// errors honour it) and refuses browser-originated requests.
func (h *handler) readQuery(x *exchange) bool {
	q, qerr := parseQuery(x.r.URL.RawQuery)
	// Elasticsearch reads pretty and human first, and answers a bad value
	// of either as if the request had no parameter at all.
	var flagErr error
	if qerr == nil {
		x.q = q
		for _, name := range []string{"pretty", "human"} {
			if v, ok := q[name]; ok && flagErr == nil {
				_, flagErr = parseBool(v)
			}
		}
		x.pretty = flagErr == nil && q.flag("pretty")
	}
	if err := rejectBrowser(x.r); err != nil {
		h.writeError(x, err)
		return false
	}
	if err := h.hosts.check(x.r); err != nil {
		h.writeError(x, err)
		return false
	}
	if qerr != nil {
		h.writeError(x, qerr)
		return false
	}
	if flagErr != nil {
		h.writeError(x, flagErr)
		return false
	}
	if v, ok := q["error_trace"]; ok {
		if _, err := parseBool(v); err != nil {
			h.writeSimple(x, http.StatusBadRequest, err.(*api.Error).Reason, true)
			return false
		}
	}
	return true
}

// route finds the route of the request's method and path; nil when there
// is none, the request answered.
func (h *handler) route(x *exchange) *route {
	rs, ps := match(h.routes, x.r.URL.EscapedPath())
	for i, c := range rs {
		if c.method == x.r.Method {
			x.path = ps[i]
			x.route = c
			return c
		}
	}
	h.noRoute(x, rs)
	return nil
}

// readRequestBody reads the body within the size limit and checks its
// content type and the accepted one.
func (h *handler) readRequestBody(x *exchange) bool {
	body, err := readBody(x.w, x.r, h.maxBody)
	if err != nil {
		var tl errTooLarge
		var unread errUnreadable
		switch {
		case errors.As(err, &tl):
			h.writeEnvelope(x, http.StatusRequestEntityTooLarge, "content_too_long_exception", tl.Error())
		case errors.As(err, &unread):
			// The client is too slow or gone: whatever is answered, the
			// connection closes.
			h.log.Debug("request body not read", "method", x.r.Method, "path", x.r.URL.Path, "err", unread.err)
			h.writeEnvelope(x, http.StatusRequestTimeout, "request_timeout_exception", "the request body could not be read in time")
		default:
			h.writeError(x, err)
		}
		return false
	}
	x.body, x.bodyRead = body, true
	if len(body) > 0 {
		if err := checkContentType(x.r.Header.Values("Content-Type")); err != nil {
			var ct contentTypeError
			if errors.As(err, &ct) {
				h.writeSimple(x, http.StatusNotAcceptable, ct.msg, true)
				return false
			}
			h.writeError(x, err)
			return false
		}
	}
	if err := checkAccept(x.r.Header.Values("Accept")); err != nil {
		h.writeError(x, err)
		return false
	}
	return true
}

// authenticateExchange authenticates the caller; the returned context
// carries its subject and the call's origin. A request of a route open to
// loopback scrapes (Config.MetricsLoopback) that carries no credential
// goes on without a subject when it came from this machine.
func (h *handler) authenticateExchange(x *exchange, rt *route) (context.Context, bool) {
	// The origin goes into the context first, so that authentication is
	// audited with it.
	r := x.r.WithContext(h.withOrigin(x.r))
	sub, err := h.authenticate(r)
	if err != nil && rt.loopbackScrape && h.metricsLoopback && strings.TrimSpace(r.Header.Get("Authorization")) == "" {
		if o, ok := auth.OriginFrom(r.Context()); ok && o.Loopback() {
			return r.Context(), true
		}
	}
	if err != nil {
		h.writeError(x, err)
		return nil, false
	}
	x.sub = sub
	return auth.WithSubject(r.Context(), sub), true
}

// SecondaryAuthHeader carries a second user's credential, with the syntax
// of Authorization. Elasticsearch's security filter authenticates it on
// every request that reaches a handler, once the caller has
// authenticated and the request has been read.
const SecondaryAuthHeader = "es-secondary-authorization"

// authenticateSecondary authenticates the request's secondary credential,
// when it carries one; a credential that does not authenticate answers
// the request.
func (h *handler) authenticateSecondary(ctx context.Context, x *exchange) bool {
	header := strings.TrimSpace(x.r.Header.Get(SecondaryAuthHeader))
	if header == "" {
		return true
	}
	if h.authn == nil {
		h.internalError(x, errors.New("esapi: no Authenticator configured"))
		return false
	}
	sub, err := h.authn.AuthenticateSecondary(ctx, header)
	if err != nil {
		h.writeError(x, err)
		return false
	}
	x.secondary = sub
	return true
}

// withOrigin returns the request's context with the call's origin for
// the audit log and for keys bound to networks: the one the connection
// set (a Unix socket peer's uid, no network address), else the client's
// TCP address, and its IP address, or the forwarded one behind a trusted
// proxy.
func (h *handler) withOrigin(r *http.Request) context.Context {
	if _, ok := auth.OriginFrom(r.Context()); ok {
		return r.Context()
	}
	o := auth.Origin{Type: auth.OriginREST, Address: r.RemoteAddr}
	if peer, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		o.Client = clientAddress(peer.Addr().Unmap(), r.Header.Values("X-Forwarded-For"), h.proxies)
	}
	return auth.WithOrigin(r.Context(), o)
}

// clientAddress is the address of the client behind peer: peer itself,
// unless it is one of the trusted proxies; then, walking the
// X-Forwarded-For hops from the right (each proxy appends the address it
// received from), the first one that is not a trusted proxy. A hop that
// is not an address stops the walk at the proxy that wrote it.
func clientAddress(peer netip.Addr, forwarded []string, proxies []netip.Prefix) netip.Addr {
	trusted := func(a netip.Addr) bool {
		return slices.ContainsFunc(proxies, func(p netip.Prefix) bool { return p.Contains(a) })
	}
	var hops []string
	for _, v := range forwarded {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && trusted(client); i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			ap, perr := netip.ParseAddrPort(hop)
			if perr != nil {
				break
			}
			a = ap.Addr()
		}
		if a.Zone() != "" {
			break
		}
		client = a.Unmap()
	}
	return client
}

// rejectBrowser refuses requests a web browser sent on behalf of a page:
// apikeyd is a local admin surface that no web page may reach.
func rejectBrowser(r *http.Request) error {
	if origin := r.Header.Get("Origin"); origin != "" {
		return api.Errorf(api.Forbidden, "requests from a web browser are not allowed: the request carries the Origin header [%s]", origin)
	}
	switch site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); site {
	case "cross-site", "same-site":
		return api.Errorf(api.Forbidden, "requests from a web browser are not allowed: the request is [Sec-Fetch-Site: %s]", site)
	}
	return nil
}

// noRoute answers a request whose path or method has no handler, as
// Elasticsearch's RestController does.
func (h *handler) noRoute(x *exchange, matched []*route) {
	uri := x.r.RequestURI
	if uri == "" {
		uri = x.r.URL.RequestURI()
	}
	if len(matched) == 0 {
		h.writeSimple(x, http.StatusBadRequest, fmt.Sprintf("no handler found for uri [%s] and method [%s]", uri, x.r.Method), false)
		return
	}
	allowed := allowedMethods(matched)
	x.w.Header().Set("Allow", strings.Join(allowed, ","))
	if x.r.Method == http.MethodOptions {
		x.send(http.StatusOK, nil)
		return
	}
	h.writeSimple(x, http.StatusMethodNotAllowed, fmt.Sprintf("Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]",
		uri, x.r.Method, strings.Join(allowed, ", ")), true)
}

// authenticate identifies the caller: from the Authorization header, or,
// without one, from the connection's peer.
func (h *handler) authenticate(r *http.Request) (*auth.Subject, error) {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	if header == "" {
		if h.peer != nil {
			sub, perr := h.peer(r)
			if perr != nil {
				return nil, perr
			}
			if sub != nil {
				return sub, nil
			}
		}
		uri := r.RequestURI
		if uri == "" {
			uri = r.URL.RequestURI()
		}
		return nil, auth.Unauthenticated(fmt.Sprintf("missing authentication credentials for REST request [%s]", uri))
	}
	cred, err := auth.ParseAuthorization(header)
	if err != nil {
		return nil, err
	}
	if h.authn == nil {
		return nil, errors.New("esapi: no Authenticator configured")
	}
	sub, err := h.authn.AuthenticateCredential(r.Context(), cred)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, errors.New("esapi: the Authenticator returned no subject and no error")
	}
	return sub, nil
}

// marshal encodes v without HTML escaping, as Elasticsearch does.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeJSON answers a successful request, applying filter_path and pretty.
func (h *handler) writeJSON(x *exchange, status int, v any) {
	data, err := marshal(v)
	if err != nil {
		h.internalError(x, fmt.Errorf("encode response: %w", err))
		return
	}
	if x.filter != nil || x.pretty {
		tree, err := orderedjson.Decode(data)
		if err != nil {
			h.internalError(x, fmt.Errorf("re-read response: %w", err))
			return
		}
		if x.filter != nil {
			tree = x.filter.apply(tree)
		}
		data = orderedjson.Encode(tree, orderedjson.Format{Pretty: x.pretty})
	}
	x.send(status, data)
}

// writeError answers with the error envelope of err: an *api.Error as
// itself, anything else as a generic internal error.
func (h *handler) writeError(x *exchange, err error) {
	e, ok := api.AsError(err)
	if !ok {
		h.internalError(x, err)
		return
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			x.w.Header().Add(k, v)
		}
	}
	status := e.Code.Status()
	if status >= 500 {
		h.log.Error("internal error", "method", x.r.Method, "path", x.r.URL.Path, "err", e.Error())
	}
	h.sendError(x, status, api.Envelope(e))
}

// internalError logs err and answers 500 without revealing it.
func (h *handler) internalError(x *exchange, err error) {
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelDebug
	}
	h.log.Log(x.r.Context(), level, "internal error", "method", x.r.Method, "path", x.r.URL.Path, "err", err.Error())
	h.writeInternal(x)
}

func (h *handler) writeInternal(x *exchange) {
	h.sendError(x, http.StatusInternalServerError, api.Envelope(&api.Error{Code: api.Internal, Reason: "internal error"}))
}

// writeEnvelope answers with an exception envelope for a status that has
// no api.Code (such as 413).
func (h *handler) writeEnvelope(x *exchange, status int, typ, reason string) {
	exc := `{"type":` + string(orderedjson.Encode(typ, orderedjson.Format{})) + `,"reason":` + string(orderedjson.Encode(reason, orderedjson.Format{})) + `}`
	body := `{"error":{"root_cause":[` + exc + `],` + exc[1:len(exc)-1] + `},"status":` + strconv.Itoa(status) + `}`
	h.sendError(x, status, []byte(body))
}

// writeSimple answers with Elasticsearch's simple error body
// {"error":"...","status":N} (without status for "no handler found").
func (h *handler) writeSimple(x *exchange, status int, msg string, withStatus bool) {
	body := `{"error":` + string(orderedjson.Encode(msg, orderedjson.Format{}))
	if withStatus {
		body += `,"status":` + strconv.Itoa(status)
	}
	body += "}"
	h.sendError(x, status, []byte(body))
}

// sendError sends an error body; like Elasticsearch it honours pretty but
// not filter_path.
func (h *handler) sendError(x *exchange, status int, body []byte) {
	if x.pretty {
		if tree, err := orderedjson.Decode(body); err == nil {
			body = orderedjson.Encode(tree, orderedjson.Format{Pretty: true})
		}
	}
	x.send(status, body)
}

// send writes the status and body. A request answered before its body
// was read gets its connection closed rather than its body drained.
func (x *exchange) send(status int, body []byte) {
	x.status = status
	if !x.bodyRead && x.r.Body != nil && x.r.Body != http.NoBody {
		// The server would otherwise read up to 256 KiB of the body
		// after the answer, waiting on a slow client: no more reading.
		x.w.Header().Set("Connection", "close")
		_ = http.NewResponseController(x.w).SetReadDeadline(time.Unix(1, 0))
	}
	x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = x.w.Write(body)
	}
}

// observe tells the observer of the request, by its route.
func (h *handler) observe(x *exchange) {
	if h.observer == nil {
		return
	}
	method, pattern := "other", "unmatched"
	if x.route != nil {
		method, pattern = x.route.method, x.route.pattern
	} else if knownMethods[x.r.Method] {
		method = x.r.Method
	}
	h.observer.ObserveRequest(method, pattern, x.status, time.Since(x.start))
}

// knownMethods are the methods a request is counted under when no route
// served it; any other is "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodPatch: true,
}

// logRequest logs one line per request: never its query values, headers
// or body, which may carry secrets.
func (h *handler) logRequest(x *exchange) {
	attrs := []slog.Attr{
		slog.String("method", x.r.Method),
		slog.String("path", x.r.URL.Path),
		slog.Int("status", x.status),
		slog.Duration("duration", time.Since(x.start)),
	}
	if x.sub != nil {
		attrs = append(attrs, slog.String("user", x.sub.Username))
		if x.sub.APIKey != nil {
			attrs = append(attrs, slog.String("api_key_id", x.sub.APIKey.ID))
		}
	}
	if x.secondary != nil {
		attrs = append(attrs, slog.String("secondary_user", x.secondary.Username))
		if x.secondary.APIKey != nil {
			attrs = append(attrs, slog.String("secondary_api_key_id", x.secondary.APIKey.ID))
		}
	}
	h.log.LogAttrs(x.r.Context(), slog.LevelInfo, "request", attrs...)
}
