package esapi

import (
	"context"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func (f *fakeService) PutPrivileges(ctx context.Context, req *api.PutPrivilegesRequest) (api.PutPrivilegesResponse, error) {
	if err := f.record(ctx, "PutPrivileges", req); err != nil {
		return nil, err
	}
	resp := api.PutPrivilegesResponse{}
	for _, p := range req.Privileges {
		if resp[p.Application] == nil {
			resp[p.Application] = map[string]api.CreatedStatus{}
		}
		resp[p.Application][p.Name] = api.CreatedStatus{Created: true}
	}
	return resp, nil
}

func (f *fakeService) GetPrivileges(ctx context.Context, application string, names []string) (api.GetPrivilegesResponse, error) {
	if err := f.record(ctx, "GetPrivileges", append([]string{application}, names...)); err != nil {
		return nil, err
	}
	if f.notFound {
		return api.GetPrivilegesResponse{}, nil
	}
	return api.GetPrivilegesResponse{"myapp": {"read": {Application: "myapp", Name: "read", Actions: []string{"data:read/*"}, Metadata: api.Metadata{}}}}, nil
}

func (f *fakeService) DeletePrivileges(ctx context.Context, application string, names []string) (api.DeletePrivilegesResponse, error) {
	if err := f.record(ctx, "DeletePrivileges", append([]string{application}, names...)); err != nil {
		return nil, err
	}
	resp := api.DeletePrivilegesResponse{application: {}}
	for _, n := range names {
		resp[application][n] = api.DeleteResponse{Found: !f.notFound}
	}
	return resp, nil
}

func (f *fakeService) ClearPrivilegesCache(ctx context.Context, applications []string) (*api.ClearCacheResponse, error) {
	if err := f.record(ctx, "ClearPrivilegesCache", applications); err != nil {
		return nil, err
	}
	return &api.ClearCacheResponse{Nodes: api.NodesSummary{Total: 1, Successful: 1}, NodeNames: map[string]api.NodeName{}}, nil
}

func (f *fakeService) GetBuiltinPrivileges(ctx context.Context) (*api.BuiltinPrivilegesResponse, error) {
	if err := f.record(ctx, "GetBuiltinPrivileges", nil); err != nil {
		return nil, err
	}
	return &api.BuiltinPrivilegesResponse{Cluster: []string{"all"}, Index: []string{"all"}, RemoteCluster: []string{"monitor_enrich"}}, nil
}
