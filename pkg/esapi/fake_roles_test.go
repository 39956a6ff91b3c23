package esapi

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func (f *fakeService) BulkPutRoles(ctx context.Context, req *api.BulkPutRolesRequest) (*api.BulkRolesResponse, error) {
	if err := f.record(ctx, "BulkPutRoles", req); err != nil {
		return nil, err
	}
	resp := &api.BulkRolesResponse{}
	for _, r := range req.Roles {
		resp.Created = append(resp.Created, r.Name)
	}
	return resp, nil
}

func (f *fakeService) BulkDeleteRoles(ctx context.Context, req *api.BulkDeleteRolesRequest) (*api.BulkRolesResponse, error) {
	if err := f.record(ctx, "BulkDeleteRoles", req); err != nil {
		return nil, err
	}
	return &api.BulkRolesResponse{Deleted: req.Names}, nil
}

func (f *fakeService) ClearRealmCache(ctx context.Context, req *api.ClearRealmCacheRequest) (*api.ClearCacheResponse, error) {
	if err := f.record(ctx, "ClearRealmCache", req); err != nil {
		return nil, err
	}
	return &api.ClearCacheResponse{Nodes: api.NodesSummary{Total: 1, Successful: 1}, ClusterName: "apikeyd", NodeNames: map[string]api.NodeName{}}, nil
}

func (f *fakeService) ClearRolesCache(ctx context.Context, names []string) (*api.ClearCacheResponse, error) {
	if err := f.record(ctx, "ClearRolesCache", names); err != nil {
		return nil, err
	}
	return &api.ClearCacheResponse{Nodes: api.NodesSummary{Total: 1, Successful: 1}, ClusterName: "apikeyd", NodeNames: map[string]api.NodeName{}}, nil
}
