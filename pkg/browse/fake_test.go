package browse

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// now is the clock of every test: golden screens do not move.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(t time.Time) int64 { return t.UnixMilli() }

func ptr[T any](v T) *T { return &v }

// fakeService holds keys in memory and answers queries sorted by one field
// and then by index (_doc), with size and search_after, as the daemon does.
// It records what it was asked.
type fakeService struct {
	keys        []api.APIKey
	queries     []map[string]json.RawMessage
	invalidated [][]string
	clones      []api.CloneAPIKeyRequest
	gets        []api.GetAPIKeysRequest
	updates     []api.UpdateAPIKeyRequest
	// updateErr, when set, is the answer to every update.
	updateErr error
	// queryErr, when set, is the answer to every query with a "query".
	queryErr error
}

// newFake returns n keys: alternately owned by alice and bob, some with
// metadata, one invalidated, one expiring soon.
func newFake(n int) *fakeService {
	f := &fakeService{}
	for i := range n {
		k := api.APIKey{
			ID:              fmt.Sprintf("k%019d", i),
			Name:            fmt.Sprintf("svc-%03d", i),
			Type:            api.TypeRest,
			Creation:        ms(now.Add(-time.Duration(n-i) * time.Hour)),
			Username:        "alice",
			Realm:           "native",
			Metadata:        api.Metadata{},
			RoleDescriptors: api.RoleDescriptors{},
		}
		if i%2 == 1 {
			k.Username = "bob"
		}
		if i == 0 {
			k.RoleDescriptors = api.RoleDescriptors{{Name: "reader", Descriptor: api.RoleDescriptor{
				Cluster: []string{"monitor"},
				Indices: []api.IndicesPrivileges{{Names: []string{"logs-*"}, Privileges: []string{"read"}}},
			}}}
		}
		if i%3 == 0 {
			k.Metadata = api.Metadata{{Key: "env", Value: "prod"}, {Key: "team", Value: fmt.Sprintf("team-%d", i%4)}}
		}
		if i == 2 {
			k.Invalidated = true
			k.Invalidation = ptr(ms(now.Add(-time.Hour)))
		}
		if i == 1 {
			k.Expiration = ptr(ms(now.Add(2 * 24 * time.Hour)))
		}
		f.keys = append(f.keys, k)
	}
	return f
}

func (f *fakeService) GetAPIKeys(_ context.Context, req *api.GetAPIKeysRequest) (*api.GetAPIKeysResponse, error) {
	f.gets = append(f.gets, *req)
	resp := &api.GetAPIKeysResponse{APIKeys: []api.APIKey{}}
	for _, k := range f.keys {
		if k.ID == req.ID {
			if req.WithLimitedBy {
				k.LimitedBy = []api.RoleDescriptors{{{Name: "superuser", Descriptor: api.RoleDescriptor{Cluster: []string{"all"}}}}}
			}
			resp.APIKeys = append(resp.APIKeys, k)
		}
	}
	return resp, nil
}

func (f *fakeService) QueryAPIKeys(_ context.Context, req *api.QueryAPIKeysRequest) (*api.QueryAPIKeysResponse, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return nil, err
	}
	f.queries = append(f.queries, body)
	if _, ok := body["query"]; ok && f.queryErr != nil {
		return nil, f.queryErr
	}
	var sorts []any
	if err := json.Unmarshal(body["sort"], &sorts); err != nil {
		return nil, err
	}
	field, desc := "creation", false
	if len(sorts) > 0 {
		if obj, ok := sorts[0].(map[string]any); ok {
			for name, o := range obj {
				field = name
				desc = o.(map[string]any)["order"] == "desc"
			}
		}
	}
	value := func(i int) any {
		k := f.keys[i]
		switch field {
		case "name":
			return k.Name
		case "username":
			return k.Username
		case "type":
			return k.Type
		case "expiration":
			if k.Expiration == nil {
				return float64(1 << 53)
			}
			return float64(*k.Expiration)
		case "invalidated":
			if k.Invalidated {
				return "true"
			}
			return "false"
		}
		return float64(k.Creation)
	}
	compare := func(a, b int) int {
		var c int
		switch va := value(a).(type) {
		case string:
			c = cmp.Compare(va, value(b).(string))
		case float64:
			c = cmp.Compare(va, value(b).(float64))
		}
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a, b))
	}
	owner := ownerOf(body["query"])
	order := make([]int, 0, len(f.keys))
	for i, k := range f.keys {
		if owner == "" || k.Username == owner {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, compare)
	start := 0
	if raw, ok := body["search_after"]; ok {
		var after []any
		if err := json.Unmarshal(raw, &after); err != nil {
			return nil, err
		}
		doc := int(after[1].(float64))
		start = slices.IndexFunc(order, func(i int) bool { return i == doc }) + 1
	}
	size := 10
	if raw, ok := body["size"]; ok {
		_ = json.Unmarshal(raw, &size)
	}
	resp := &api.QueryAPIKeysResponse{Total: len(order), APIKeys: []api.APIKey{}}
	for _, i := range order[start:min(start+size, len(order))] {
		k := f.keys[i]
		k.Sort = []any{value(i), float64(i)}
		resp.APIKeys = append(resp.APIKeys, k)
	}
	resp.Count = len(resp.APIKeys)
	return resp, nil
}

func (f *fakeService) InvalidateAPIKeys(_ context.Context, req *api.InvalidateAPIKeysRequest) (*api.InvalidateAPIKeysResponse, error) {
	f.invalidated = append(f.invalidated, req.IDs)
	resp := &api.InvalidateAPIKeysResponse{InvalidatedAPIKeys: []string{}, PreviouslyInvalidatedAPIKeys: []string{}}
	for i := range f.keys {
		if slices.Contains(req.IDs, f.keys[i].ID) {
			if f.keys[i].Invalidated {
				resp.PreviouslyInvalidatedAPIKeys = append(resp.PreviouslyInvalidatedAPIKeys, f.keys[i].ID)
				continue
			}
			f.keys[i].Invalidated = true
			f.keys[i].Invalidation = ptr(ms(now))
			resp.InvalidatedAPIKeys = append(resp.InvalidatedAPIKeys, f.keys[i].ID)
		}
	}
	return resp, nil
}

func (f *fakeService) CloneAPIKey(_ context.Context, req *api.CloneAPIKeyRequest) (*api.CreateAPIKeyResponse, error) {
	f.clones = append(f.clones, *req)
	return &api.CreateAPIKeyResponse{
		ID:      "c0000000000000000001",
		Name:    *req.Name,
		APIKey:  "s3cr3t-s3cr3t-s3cr3t-s",
		Encoded: "YzAwMDAwMDAwMDAwMDAwMDAwMDE6czNjcjN0LXMzY3IzdC1zM2NyM3Qtcw==",
	}, nil
}

func (f *fakeService) UpdateAPIKey(_ context.Context, req *api.UpdateAPIKeyRequest) (*api.UpdateAPIKeyResponse, error) {
	f.updates = append(f.updates, *req)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	for i := range f.keys {
		if f.keys[i].ID == req.ID {
			if req.Metadata != nil {
				f.keys[i].Metadata = req.Metadata
			}
			if req.Expiration != nil {
				d, err := api.ParseTimeValue(*req.Expiration, "expiration")
				if err != nil {
					return nil, err
				}
				f.keys[i].Expiration = ptr(ms(now.Add(d)))
			}
			return &api.UpdateAPIKeyResponse{Updated: true}, nil
		}
	}
	return nil, api.Errorf(api.NotFound, "no API key owned by requesting user found for ID [%s]", req.ID)
}

// ownerOf is the username a query's term clause asks for, anywhere in it:
// the one filter the fake applies.
func ownerOf(q json.RawMessage) string {
	var walk func(v any) string
	walk = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if t, ok := x["term"].(map[string]any); ok {
				if u, ok := t["username"].(string); ok {
					return u
				}
			}
			for _, e := range x {
				if u := walk(e); u != "" {
					return u
				}
			}
		case []any:
			for _, e := range x {
				if u := walk(e); u != "" {
					return u
				}
			}
		}
		return ""
	}
	var v any
	_ = json.Unmarshal(q, &v)
	return walk(v)
}
