package esapi

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// The fake's answers for the lifecycle endpoints: each records its call.

func (f *fakeService) GrantAPIKey(ctx context.Context, req *api.GrantAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if err := f.record(ctx, "GrantAPIKey", req); err != nil {
		return nil, err
	}
	return &api.CreateAPIKeyResponse{ID: "granted", Name: "k"}, nil
}

func (f *fakeService) BulkGrantAPIKeys(ctx context.Context, req *api.BulkGrantAPIKeysRequest) (*api.BulkGrantAPIKeysResponse, error) {
	if err := f.record(ctx, "BulkGrantAPIKeys", req); err != nil {
		return nil, err
	}
	return &api.BulkGrantAPIKeysResponse{Created: []api.CreateAPIKeyResponse{}}, nil
}

func (f *fakeService) CloneAPIKey(ctx context.Context, req *api.CloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if err := f.record(ctx, "CloneAPIKey", req); err != nil {
		return nil, err
	}
	return &api.CreateAPIKeyResponse{ID: "cloned", Name: "k"}, nil
}

func (f *fakeService) UpdateAPIKey(ctx context.Context, req *api.UpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	if err := f.record(ctx, "UpdateAPIKey", req); err != nil {
		return nil, err
	}
	return &api.UpdateAPIKeyResponse{Updated: true}, nil
}

func (f *fakeService) BulkUpdateAPIKeys(ctx context.Context, req *api.BulkUpdateAPIKeysRequest) (*api.BulkUpdateAPIKeysResponse, error) {
	if err := f.record(ctx, "BulkUpdateAPIKeys", req); err != nil {
		return nil, err
	}
	return &api.BulkUpdateAPIKeysResponse{Updated: req.IDs, Noops: []string{}}, nil
}

func (f *fakeService) CreateCrossClusterAPIKey(ctx context.Context, req *api.CreateCrossClusterAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	if err := f.record(ctx, "CreateCrossClusterAPIKey", req); err != nil {
		return nil, err
	}
	return &api.CreateAPIKeyResponse{ID: "cc", Name: "k"}, nil
}

func (f *fakeService) UpdateCrossClusterAPIKey(ctx context.Context, req *api.UpdateCrossClusterAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	if err := f.record(ctx, "UpdateCrossClusterAPIKey", req); err != nil {
		return nil, err
	}
	return &api.UpdateAPIKeyResponse{}, nil
}

func (f *fakeService) ClearAPIKeyCache(ctx context.Context, ids []string) (*api.ClearCacheResponse, error) {
	if err := f.record(ctx, "ClearAPIKeyCache", ids); err != nil {
		return nil, err
	}
	return &api.ClearCacheResponse{Nodes: api.NodesSummary{Total: 1, Successful: 1}, ClusterName: "apikeyd", NodeNames: map[string]api.NodeName{}}, nil
}

func (f *fakeService) HasPrivileges(ctx context.Context, req *api.HasPrivilegesRequest) (*api.HasPrivilegesResponse, error) {
	if err := f.record(ctx, "HasPrivileges", req); err != nil {
		return nil, err
	}
	return &api.HasPrivilegesResponse{HasAllRequested: true}, nil
}
