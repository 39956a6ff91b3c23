package esapi

import (
	"context"
	"net/http"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// querySecurityRoutes are the routes of the query users and query roles
// APIs.
func querySecurityRoutes() []*route {
	userParams := []param{{"with_profile_uid", boolParam}}
	return []*route{
		{method: http.MethodGet, pattern: "/_security/_query/user", params: userParams, body: true, serve: serveQueryUsers},
		{method: http.MethodPost, pattern: "/_security/_query/user", params: userParams, body: true, serve: serveQueryUsers},
		{method: http.MethodGet, pattern: "/_security/_query/role", body: true, serve: serveQueryRoles},
		{method: http.MethodPost, pattern: "/_security/_query/role", body: true, serve: serveQueryRoles},
	}
}

func serveQueryUsers(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.QueryUsers(ctx, &api.QueryUsersRequest{Body: x.body, WithProfileUID: x.q.flag("with_profile_uid")})
	if err != nil {
		return 0, nil, err
	}
	if resp.Users == nil {
		resp.Users = []api.QueriedUser{}
	}
	return http.StatusOK, resp, nil
}

func serveQueryRoles(ctx context.Context, h *handler, x *exchange) (int, any, error) {
	resp, err := h.svc.QueryRoles(ctx, &api.QueryRolesRequest{Body: x.body})
	if err != nil {
		return 0, nil, err
	}
	if resp.Roles == nil {
		resp.Roles = []api.QueriedRole{}
	}
	return http.StatusOK, resp, nil
}
