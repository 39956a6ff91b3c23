package output

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// fixedNow is the clock of every rendering test: golden files do not move.
var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func ms(d time.Duration) *int64 {
	v := fixedNow.Add(d).UnixMilli()
	return &v
}

const day = 24 * time.Hour

func ptr[T any](v T) *T { return &v }

// writerReader grants in an order that is not alphabetical, to show that
// the order is kept.
var writerReader = api.RoleDescriptors{
	{Name: "writer", Descriptor: api.RoleDescriptor{
		Cluster: []string{"monitor", "manage_own_api_key"},
		Indices: []api.IndicesPrivileges{{
			Names:      []string{"logs-*", "metrics-*"},
			Privileges: []string{"write", "create_index"},
		}},
	}},
	{Name: "reader", Descriptor: api.RoleDescriptor{
		Indices: []api.IndicesPrivileges{{
			Names:         []string{"logs-*"},
			Privileges:    []string{"read"},
			FieldSecurity: &api.FieldSecurity{Grant: []string{"*"}, Except: []string{"secret"}},
			Query:         ptr(`{"term":{"team":"payments"}}`),
		}},
		Metadata: api.MetadataFromMap(map[string]any{"owner": "payments"}),
	}},
}

var superuser = api.RoleDescriptors{
	{Name: "superuser", Descriptor: api.RoleDescriptor{
		Cluster: []string{"all"},
		Indices: []api.IndicesPrivileges{{
			Names:                  []string{"*"},
			Privileges:             []string{"all"},
			AllowRestrictedIndices: true,
		}},
		RunAs: []string{"*"},
	}},
}

func keyActive() api.APIKey {
	return api.APIKey{
		ID:         "VuaCfGcBCdbkQm-e5aOx",
		Name:       "ci-deploy",
		Type:       api.TypeRest,
		Creation:   *ms(-3 * day),
		Expiration: ms(29 * day),
		Username:   "elastic",
		Realm:      "native",
		RealmType:  "native",
		Metadata: api.MetadataFromMap(map[string]any{
			"env":  "prod",
			"team": "payments",
			"tags": []any{"ci", "deploy"},
			"limits": map[string]any{
				"rps": 100,
			},
		}),
		RoleDescriptors: writerReader,
	}
}

func keyExpiring() api.APIKey {
	return api.APIKey{
		ID:              "n8sQzW1cRlq0bX3aYt4e",
		Name:            "nightly-backup",
		Type:            api.TypeRest,
		Creation:        *ms(-28 * day),
		Expiration:      ms(2*day + 5*time.Hour),
		Username:        "backup-bot",
		Realm:           "file",
		Metadata:        api.Metadata{},
		RoleDescriptors: api.RoleDescriptors{},
	}
}

func keyExpired() api.APIKey {
	return api.APIKey{
		ID:              "p0AZcX9vTqL2mN7kR5sW",
		Name:            "old-ingest",
		Type:            api.TypeRest,
		Creation:        *ms(-400 * day),
		Expiration:      ms(-5 * day),
		Username:        "elastic",
		Realm:           "native",
		Metadata:        api.MetadataFromMap(map[string]any{"env": "staging"}),
		RoleDescriptors: api.RoleDescriptors{},
	}
}

func keyInvalidated() api.APIKey {
	return api.APIKey{
		ID:              "Zk3Lq8RtYb2Wm5NcXa1D",
		Name:            "revoked-key",
		Type:            api.TypeRest,
		Creation:        *ms(-10 * day),
		Invalidated:     true,
		Invalidation:    ms(-1 * day),
		Username:        "alice",
		Realm:           "native",
		Metadata:        api.Metadata{},
		RoleDescriptors: api.RoleDescriptors{},
		LimitedBy:       []api.RoleDescriptors{superuser},
	}
}

func keyCrossCluster() api.APIKey {
	return api.APIKey{
		ID:       "Rc7Hd2Kf9Ls4Mq6Np8Tv",
		Name:     "replication-of-application-logs-from-the-eu-west-cluster",
		Type:     api.TypeCrossCluster,
		Creation: *ms(-45 * time.Minute),
		Username: "elastic",
		Realm:    "reserved",
		Metadata: api.Metadata{},
		RoleDescriptors: api.RoleDescriptors{
			{Name: "cross_cluster", Descriptor: api.RoleDescriptor{
				Cluster: []string{"cross_cluster_replication"},
				Indices: []api.IndicesPrivileges{{
					Names:      []string{"logs-*"},
					Privileges: []string{"cross_cluster_replication", "cross_cluster_replication_internal"},
				}},
			}},
		},
		Access: &api.CrossClusterAccess{
			Replication: []api.ReplicationAccess{{Names: []string{"logs-*"}}},
		},
	}
}

func keyList() api.GetAPIKeysResponse {
	return api.GetAPIKeysResponse{APIKeys: []api.APIKey{
		keyActive(), keyExpiring(), keyExpired(), keyInvalidated(), keyCrossCluster(),
	}}
}

// longKeys has every status, both types, long names and long owners: the
// rows a narrow terminal must still show one line each.
func longKeys() api.GetAPIKeysResponse {
	long := func(k api.APIKey, name, user, realm string) api.APIKey {
		k.Name, k.Username, k.Realm = name, user, realm
		return k
	}
	return api.GetAPIKeysResponse{APIKeys: []api.APIKey{
		long(keyActive(), "ci-deploy-payments-service-production-eu-west-1", "svc-continuous-integration-deployer", "corporate-ldap-directory"),
		long(keyExpiring(), "nightly-backup-of-every-snapshot-repository", "backup-bot", "file"),
		long(keyExpired(), "old-ingest-pipeline-for-metrics-and-logs", "data-platform-engineering-team", "saml-okta-production"),
		long(keyInvalidated(), "revoked-key-after-the-incident-of-march", "alice.liddell@example.com", "native"),
		keyCrossCluster(),
	}}
}

// queryWithAggs is a page of keys with aggregations over date fields, as
// Elasticsearch keys them: in epoch milliseconds.
func queryWithAggs() api.QueryAPIKeysResponse {
	day1, day2 := fmt.Sprint(*ms(-day)), fmt.Sprint(*ms(-2 * day))
	return api.QueryAPIKeysResponse{
		Total: 3, Count: 3,
		APIKeys: []api.APIKey{keyActive(), keyExpiring(), keyExpired()},
		Aggregations: json.RawMessage(`{
			"created":{"buckets":[
				{"key":"*-` + day2 + `","to":` + day2 + `.0,"to_as_string":"` + day2 + `","doc_count":1},
				{"key":"recent","from":` + day2 + `.0,"from_as_string":"` + day2 + `","doc_count":2},
				{"key":"` + day2 + `-` + day1 + `","from":` + day2 + `.0,"from_as_string":"` + day2 + `","to":` + day1 + `.0,"to_as_string":"` + day1 + `","doc_count":0}]},
			"by_expiration":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[
				{"key":` + day1 + `,"key_as_string":"` + day1 + `","doc_count":1}]},
			"by_name":{"buckets":[{"key":"ci-deploy","doc_count":1},{"key":"1234","doc_count":1}]}}`),
	}
}

func createResponse() api.CreateAPIKeyResponse {
	return api.CreateAPIKeyResponse{
		ID:         "VuaCfGcBCdbkQm-e5aOx",
		Name:       "ci-deploy",
		Expiration: ms(30 * day),
		APIKey:     "ui2lp2axTNmsyakw9tvNnw",
		Encoded:    "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
	}
}

func invalidateResponse() api.InvalidateAPIKeysResponse {
	return api.InvalidateAPIKeysResponse{
		InvalidatedAPIKeys:           []string{"VuaCfGcBCdbkQm-e5aOx", "n8sQzW1cRlq0bX3aYt4e"},
		PreviouslyInvalidatedAPIKeys: []string{"Zk3Lq8RtYb2Wm5NcXa1D"},
		ErrorCount:                   1,
		ErrorDetails: []*api.Error{
			api.Errorf(api.Forbidden, "action [cluster:admin/xpack/security/api_key/invalidate] is unauthorized for API key id [p0AZcX9vTqL2mN7kR5sW]"),
		},
	}
}

func authenticateResponse() api.AuthenticateResponse {
	return api.AuthenticateResponse{
		Username:            "elastic",
		Roles:               []string{"superuser"},
		FullName:            ptr("Elastic Admin"),
		Email:               nil,
		Metadata:            api.MetadataFromMap(map[string]any{"_reserved": true}),
		Enabled:             true,
		AuthenticationRealm: api.Realm{Name: "_es_api_key", Type: "_es_api_key"},
		LookupRealm:         api.Realm{Name: "native", Type: "native"},
		AuthenticationType:  "api_key",
		APIKey:              &api.AuthenticatedAPIKey{ID: "VuaCfGcBCdbkQm-e5aOx", Name: "ci-deploy", ManagedBy: "elasticsearch"},
	}
}

func usersResponse() api.GetUsersResponse {
	return api.GetUsersResponse{
		"elastic": {Username: "elastic", Roles: []string{"superuser"}, FullName: ptr("Elastic Admin"), Email: ptr("admin@example.com"), Metadata: api.Metadata{}, Enabled: true},
		"alice":   {Username: "alice", Roles: []string{"key_manager", "viewer"}, FullName: ptr("Alice Liddell"), Metadata: api.Metadata{}, Enabled: true},
		"bob":     {Username: "bob", Roles: []string{}, Metadata: api.Metadata{}, Enabled: false},
	}
}

func rolesResponse() api.GetRolesResponse {
	return api.GetRolesResponse{
		"viewer":      {Indices: []api.IndicesPrivileges{{Names: []string{"logs-*", "metrics-*"}, Privileges: []string{"read", "view_index_metadata"}}}},
		"key_manager": {Cluster: []string{"manage_own_api_key", "monitor"}},
		"superuser":   superuser[0].Descriptor,
	}
}

// queriedUsers is a sorted page of a query users answer, in its order.
func queriedUsers() api.QueryUsersResponse {
	u := usersResponse()
	return api.QueryUsersResponse{Total: 2, Count: 2, Users: []api.QueriedUser{
		{User: u["elastic"], Sort: []any{"elastic"}},
		{User: u["bob"], Sort: []any{"bob"}},
	}}
}

// queriedRoles is a page of a query roles answer.
func queriedRoles() api.QueryRolesResponse {
	r := rolesResponse()
	return api.QueryRolesResponse{Total: 2, Count: 2, Roles: []api.QueriedRole{
		{Name: "viewer", Descriptor: r["viewer"]},
		{Name: "key_manager", Descriptor: r["key_manager"]},
	}}
}

func singleKey(k api.APIKey) api.GetAPIKeysResponse {
	return api.GetAPIKeysResponse{APIKeys: []api.APIKey{k}}
}

func whoamiRealm() api.AuthenticateResponse {
	return api.AuthenticateResponse{
		Username:            "alice",
		Roles:               []string{"key_manager", "viewer"},
		Metadata:            api.Metadata{},
		Enabled:             true,
		AuthenticationRealm: api.Realm{Name: "native", Type: "native"},
		LookupRealm:         api.Realm{Name: "native", Type: "native"},
		AuthenticationType:  "realm",
	}
}

func putUserResponse() api.PutUserResponse {
	return api.PutUserResponse{Created: true}
}

func userPrivilegesResponse() api.GetUserPrivilegesResponse {
	q := `{"term":{"team":"a"}}`
	return api.GetUserPrivilegesResponse{
		Cluster: []string{"manage_own_api_key", "monitor"},
		Global:  []map[string]any{{"application": map[string]any{"manage": map[string]any{"applications": []any{"kibana"}}}}},
		Indices: []api.UserIndexPrivileges{
			{Names: []string{"audit", "logs-*"}, Privileges: []string{"read", "write"}, FieldSecurity: []api.FieldSecurity{{Grant: []string{"public.*"}}}, Query: []string{q}},
			{Names: []string{".security"}, Privileges: []string{"read"}, AllowRestrictedIndices: true},
		},
		Applications:  []api.ApplicationPrivileges{{Application: "kibana", Privileges: []string{"read"}, Resources: []string{"*"}}},
		RunAs:         []string{"bob"},
		RemoteIndices: []api.UserIndexPrivileges{{Names: []string{"r-*"}, Privileges: []string{"read"}, Clusters: []string{"eu"}}},
	}
}
