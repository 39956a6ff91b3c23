package esapi

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func (f *fakeService) QueryAPIKeys(ctx context.Context, req *api.QueryAPIKeysRequest) (*api.QueryAPIKeysResponse, error) {
	if err := f.record(ctx, "QueryAPIKeys", req); err != nil {
		return nil, err
	}
	keys := f.apiKeys
	if keys == nil {
		keys = []api.APIKey{}
	}
	return &api.QueryAPIKeysResponse{Total: len(keys), Count: len(keys), APIKeys: keys}, nil
}

func (f *fakeService) QueryUsers(ctx context.Context, req *api.QueryUsersRequest) (*api.QueryUsersResponse, error) {
	if err := f.record(ctx, "QueryUsers", req); err != nil {
		return nil, err
	}
	return &api.QueryUsersResponse{}, nil
}

func (f *fakeService) QueryRoles(ctx context.Context, req *api.QueryRolesRequest) (*api.QueryRolesResponse, error) {
	if err := f.record(ctx, "QueryRoles", req); err != nil {
		return nil, err
	}
	return &api.QueryRolesResponse{}, nil
}
