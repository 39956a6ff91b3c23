package esapi

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// serveFunc answers one route: it decodes the request, calls the Service
// and returns the status and the value to encode.
type serveFunc func(ctx context.Context, h *handler, x *exchange) (int, any, error)

// route is one method on one path pattern.
type route struct {
	method  string
	pattern string
	segs    []string
	params  []param
	// body says whether the route reads a request body.
	body bool
	// untimed exempts the route from RequestTimeout: its work holds no
	// writer and grows with the whole database (a backup).
	untimed bool
	// loopbackScrape lets a request without credentials through when
	// Config.MetricsLoopback is set and it came from this machine (see
	// authenticateExchange).
	loopbackScrape bool
	serve          serveFunc
}

var refresh = param{"refresh", refreshParam}

// routeTable lists every endpoint with the query parameters it accepts
// (besides commonParams).
func routeTable() []*route {
	rs := []*route{
		{method: http.MethodGet, pattern: "/", serve: serveInfo},
		{method: http.MethodHead, pattern: "/", serve: serveInfo},

		{method: http.MethodPut, pattern: "/_security/api_key", params: []param{refresh}, body: true, serve: serveCreateAPIKey},
		{method: http.MethodPost, pattern: "/_security/api_key", params: []param{refresh}, body: true, serve: serveCreateAPIKey},
		{method: http.MethodGet, pattern: "/_security/api_key", params: []param{
			{"id", stringParam}, {"name", stringParam}, {"username", stringParam}, {"realm_name", stringParam},
			{"owner", boolParam}, {"active_only", boolParam}, {"with_limited_by", boolParam}, {"with_profile_uid", boolParam},
			{"with_last_used", boolParam}, {"with_restrictions", boolParam},
		}, serve: serveGetAPIKeys},
		{method: http.MethodDelete, pattern: "/_security/api_key", body: true, serve: serveInvalidateAPIKeys},

		{method: http.MethodGet, pattern: "/_security/_authenticate", serve: serveAuthenticate},

		{method: http.MethodGet, pattern: "/_security/user", params: []param{{"with_profile_uid", boolParam}}, serve: serveGetUsers},
		{method: http.MethodGet, pattern: "/_security/user/{username}", params: []param{{"with_profile_uid", boolParam}}, serve: serveGetUsers},
		{method: http.MethodPut, pattern: "/_security/user/{username}", params: []param{refresh}, body: true, serve: servePutUser},
		{method: http.MethodPost, pattern: "/_security/user/{username}", params: []param{refresh}, body: true, serve: servePutUser},
		{method: http.MethodDelete, pattern: "/_security/user/{username}", params: []param{refresh}, serve: serveDeleteUser},
		{method: http.MethodPut, pattern: "/_security/user/_password", params: []param{refresh}, body: true, serve: serveChangePassword},
		{method: http.MethodPost, pattern: "/_security/user/_password", params: []param{refresh}, body: true, serve: serveChangePassword},
		{method: http.MethodPut, pattern: "/_security/user/{username}/_password", params: []param{refresh}, body: true, serve: serveChangePassword},
		{method: http.MethodPost, pattern: "/_security/user/{username}/_password", params: []param{refresh}, body: true, serve: serveChangePassword},
		{method: http.MethodPut, pattern: "/_security/user/{username}/_enable", params: []param{refresh}, serve: serveSetEnabled(true)},
		{method: http.MethodPost, pattern: "/_security/user/{username}/_enable", params: []param{refresh}, serve: serveSetEnabled(true)},
		{method: http.MethodPut, pattern: "/_security/user/{username}/_disable", params: []param{refresh}, serve: serveSetEnabled(false)},
		{method: http.MethodPost, pattern: "/_security/user/{username}/_disable", params: []param{refresh}, serve: serveSetEnabled(false)},
		{method: http.MethodGet, pattern: "/_security/user/_privileges", serve: serveGetUserPrivileges},

		{method: http.MethodGet, pattern: "/_security/role", serve: serveGetRoles},
		{method: http.MethodGet, pattern: "/_security/role/{name}", serve: serveGetRoles},
		{method: http.MethodPut, pattern: "/_security/role/{name}", params: []param{refresh}, body: true, serve: servePutRole},
		{method: http.MethodPost, pattern: "/_security/role/{name}", params: []param{refresh}, body: true, serve: servePutRole},
		{method: http.MethodDelete, pattern: "/_security/role/{name}", params: []param{refresh}, serve: serveDeleteRole},
		{method: http.MethodPost, pattern: "/_security/role", params: []param{refresh}, body: true, serve: serveBulkPutRoles},
		{method: http.MethodDelete, pattern: "/_security/role", params: []param{refresh}, body: true, serve: serveBulkDeleteRoles},
		{method: http.MethodPost, pattern: "/_security/role/{name}/_clear_cache", serve: serveClearRolesCache},
		{method: http.MethodPost, pattern: "/_security/realm/{realms}/_clear_cache", params: []param{{"usernames", stringParam}}, serve: serveClearRealmCache},
	}
	rs = append(rs, lifecycleRoutes()...)
	rs = append(rs, queryRoutes()...)
	rs = append(rs, querySecurityRoutes()...)
	rs = append(rs, tokenRoutes()...)
	rs = append(rs, healthRoutes()...)
	rs = append(rs, xpackRoutes()...)
	rs = append(rs, privilegeRoutes()...)
	for _, r := range rs {
		r.segs = splitPath(r.pattern)
	}
	return rs
}

// splitPath splits a path into its non-empty segments, as Elasticsearch's
// path trie does.
func splitPath(p string) []string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return segs
}

// match returns the routes whose pattern matches the raw path, explicit
// segments before wildcards as in Elasticsearch's path trie, each with its
// decoded path parameters.
func match(routes []*route, rawPath string) ([]*route, []map[string]string) {
	segs := splitPath(rawPath)
	type hit struct {
		r      *route
		params map[string]string
		rank   string
	}
	var hits []hit
	for _, r := range routes {
		if len(r.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		rank := make([]byte, len(segs))
		ok := true
		for i, s := range r.segs {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					v = segs[i]
				}
				params[s[1:len(s)-1]] = v
				rank[i] = '1'
				continue
			}
			rank[i] = '0'
			if segs[i] != s {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, hit{r, params, string(rank)})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	rs := make([]*route, len(hits))
	ps := make([]map[string]string, len(hits))
	for i, h := range hits {
		rs[i], ps[i] = h.r, h.params
	}
	return rs, ps
}

// methodOrder is the order of Elasticsearch's RestRequest.Method, used to
// list allowed methods.
var methodOrder = []string{"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT"}

// allowedMethods lists the methods of the matched routes.
func allowedMethods(rs []*route) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.method] = true
	}
	var out []string
	for _, m := range methodOrder {
		if seen[m] {
			out = append(out, m)
		}
	}
	return out
}

func serveInfo(_ context.Context, h *handler, _ *exchange) (int, any, error) {
	return http.StatusOK, h.info, nil
}

func serveCreateAPIKey(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeCreateAPIKeyRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	req.Refresh = x.q["refresh"]
	resp, err := h.svc.CreateAPIKey(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

func serveGetAPIKeys(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req := &api.GetAPIKeysRequest{
		ID:               x.q["id"],
		Name:             x.q["name"],
		Username:         x.q["username"],
		RealmName:        x.q["realm_name"],
		Owner:            x.q.flag("owner"),
		ActiveOnly:       x.q.flag("active_only"),
		WithLimitedBy:    x.q.flag("with_limited_by"),
		WithProfileUID:   x.q.flag("with_profile_uid"),
		WithLastUsed:     x.q.flag("with_last_used"),
		WithRestrictions: x.q.flag("with_restrictions"),
	}
	resp, err := h.svc.GetAPIKeys(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	if resp.APIKeys == nil {
		resp.APIKeys = []api.APIKey{}
	}
	// Elasticsearch answers 404, with the usual body, when an id was asked
	// for and nothing matched.
	if req.ID != "" && len(resp.APIKeys) == 0 {
		return http.StatusNotFound, resp, nil
	}
	return http.StatusOK, resp, nil
}

func serveInvalidateAPIKeys(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeInvalidateAPIKeysRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return invalidated(h.svc.InvalidateAPIKeys(ctx, req))
}

// invalidated answers as Elasticsearch's invalidate does, with its empty
// lists present.
func invalidated(resp *api.InvalidateAPIKeysResponse, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	if resp.InvalidatedAPIKeys == nil {
		resp.InvalidatedAPIKeys = []string{}
	}
	if resp.PreviouslyInvalidatedAPIKeys == nil {
		resp.PreviouslyInvalidatedAPIKeys = []string{}
	}
	return http.StatusOK, resp, nil
}

func serveAuthenticate(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	resp, err := h.svc.Authenticate(ctx)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

// names splits a comma-separated path parameter, trimming blanks, as
// Elasticsearch's splitStringByCommaToArray does.
func names(value string) []string {
	var out []string
	for _, n := range strings.Split(value, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func serveGetUsers(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	ns := names(x.path["username"])
	resp, err := h.svc.GetUsers(ctx, ns)
	if err != nil {
		return 0, nil, err
	}
	if resp == nil {
		resp = api.GetUsersResponse{}
	}
	// Named users of which none exists: 404 with an empty object.
	if len(ns) > 0 && len(resp) == 0 {
		return http.StatusNotFound, resp, nil
	}
	return http.StatusOK, resp, nil
}

func servePutUser(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodePutUserRequest(x.path["username"], x.body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := h.svc.PutUser(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

func serveDeleteUser(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.DeleteUser(ctx, x.path["username"])
	if err != nil {
		return 0, nil, err
	}
	return deleteStatus(resp), resp, nil
}

// deleteStatus is 404 when nothing was deleted, as Elasticsearch answers.
func deleteStatus(resp *api.DeleteResponse) int {
	if !resp.Found {
		return http.StatusNotFound
	}
	return http.StatusOK
}

func serveChangePassword(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	username, ok := x.path["username"]
	if !ok && x.sub != nil {
		// PUT /_security/user/_password changes the caller's own password.
		username = x.sub.Username
	}
	req, err := api.DecodeChangePasswordRequest(username, x.body)
	if err != nil {
		return 0, nil, err
	}
	if err := h.svc.ChangePassword(ctx, req); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, struct{}{}, nil
}

func servePutRole(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeRoleRequest(x.path["name"], x.body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := h.svc.PutRole(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

func serveGetRoles(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	ns := names(x.path["name"])
	resp, err := h.svc.GetRoles(ctx, ns)
	if err != nil {
		return 0, nil, err
	}
	if resp == nil {
		resp = api.GetRolesResponse{}
	}
	if len(ns) > 0 && len(resp) == 0 {
		return http.StatusNotFound, resp, nil
	}
	return http.StatusOK, resp, nil
}

func serveDeleteRole(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.DeleteRole(ctx, x.path["name"])
	if err != nil {
		return 0, nil, err
	}
	return deleteStatus(resp), resp, nil
}

func serveBulkPutRoles(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeBulkPutRolesRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.BulkPutRoles(ctx, req))
}

func serveBulkDeleteRoles(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	req, err := api.DecodeBulkDeleteRolesRequest(x.body)
	if err != nil {
		return 0, nil, err
	}
	return ok(h.svc.BulkDeleteRoles(ctx, req))
}

func serveClearRolesCache(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.svc.ClearRolesCache(ctx, names(x.path["name"])))
}

func serveClearRealmCache(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	return ok(h.svc.ClearRealmCache(ctx, &api.ClearRealmCacheRequest{Realms: names(x.path["realms"]), Usernames: names(x.q["usernames"])}))
}

// serveSetEnabled serves the enable (enabled true) or disable user API,
// answered with an empty object.
func serveSetEnabled(enabled bool) func(context.Context, *handler, *exchange) (int, any, error) {
	return func(ctx context.Context, h *handler, x *exchange) (int, any, error) {
		if err := h.svc.SetUserEnabled(ctx, x.path["username"], enabled); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, struct{}{}, nil
	}
}

func serveGetUserPrivileges(ctx context.Context, h *handler, _ *exchange) (int, any, error) {
	resp, err := h.svc.GetUserPrivileges(ctx)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}
