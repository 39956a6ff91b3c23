package esapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/bulkupdateapikeys"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/cloneapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createcrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/grantapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/hasprivileges"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/putuser"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/updateapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/updatecrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/apikeygranttype"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/clusterprivilege"
)

// TestOfficialGoClientLifecycle drives every write endpoint of the key
// lifecycle with the official Go client, decoding into its own types.
func TestOfficialGoClientLifecycle(t *testing.T) {
	ctx := context.Background()
	_, srv := newWireServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "elastic", Password: "wire-password"})
	// A native user to grant keys for.
	pw := "alice-password"
	if _, err := es.Security.PutUser("alice").Request(&putuser.Request{Password: &pw, Roles: []string{"superuser"}}).Do(ctx); err != nil {
		t.Fatalf("put user: %v", err)
	}

	granted, err := es.Security.GrantApiKey().Request(&grantapikey.Request{
		GrantType: apikeygranttype.Password, Username: &[]string{"alice"}[0], Password: &pw,
		ApiKey: types.GrantApiKey{Name: "alice-key"},
	}).Do(ctx)
	if err != nil || granted.Name != "alice-key" || granted.Encoded == "" {
		t.Fatalf("grant: %+v %v", granted, err)
	}

	fiveMin := "5m"
	cloned, err := es.Security.CloneApiKey().Request(&cloneapikey.Request{ApiKey: granted.Encoded, Name: &[]string{"alice-ci"}[0], Expiration: fiveMin}).Do(ctx)
	if err != nil || cloned.Expiration == nil || cloned.Id == granted.Id {
		t.Fatalf("clone: %+v %v", cloned, err)
	}

	alice := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, Username: "alice", Password: pw})
	updated, err := alice.Security.UpdateApiKey(granted.Id).Request(&updateapikey.Request{
		Metadata: types.Metadata{"env": json.RawMessage(`"prod"`)},
	}).Do(ctx)
	if err != nil || !updated.Updated {
		t.Fatalf("update: %+v %v", updated, err)
	}
	bulk, err := alice.Security.BulkUpdateApiKeys().Request(&bulkupdateapikeys.Request{
		Ids: []string{granted.Id, cloned.Id, "not-a-key"}, Metadata: types.Metadata{"env": json.RawMessage(`"prod"`)},
	}).Do(ctx)
	if err != nil {
		t.Fatalf("bulk update: %v", err)
	}
	if len(bulk.Updated) != 1 || len(bulk.Noops) != 1 || bulk.Errors == nil || bulk.Errors.Count != 1 || bulk.Errors.Details["not-a-key"].Type != "resource_not_found_exception" {
		t.Fatalf("bulk update: %+v", bulk)
	}

	cc, err := es.Security.CreateCrossClusterApiKey().Request(&createcrossclusterapikey.Request{
		Name:   "eu-west",
		Access: types.Access{Search: []types.SearchAccess{{Names: []string{"logs-*"}}}, Replication: []types.ReplicationAccess{{Names: []string{"archive-*"}}}},
	}).Do(ctx)
	if err != nil || len(cc.ApiKey) != 22 {
		t.Fatalf("cross-cluster create: %+v %v", cc, err)
	}
	got, err := es.Security.GetApiKey().Id(cc.Id).Do(ctx)
	if err != nil || got.ApiKeys[0].Access == nil || len(got.ApiKeys[0].Access.Replication) != 1 || got.ApiKeys[0].Type.String() != "cross_cluster" {
		t.Fatalf("get cross-cluster: %+v %v", got, err)
	}
	ccUpdated, err := es.Security.UpdateCrossClusterApiKey(cc.Id).Request(&updatecrossclusterapikey.Request{
		Access: types.Access{Search: []types.SearchAccess{{Names: []string{"logs-*", "metrics-*"}}}},
	}).Do(ctx)
	if err != nil || !ccUpdated.Updated {
		t.Fatalf("cross-cluster update: %+v %v", ccUpdated, err)
	}

	cleared, err := es.Security.ClearApiKeyCache("*").Do(ctx)
	if err != nil || cleared.NodeStats.Successful != 1 || len(cleared.Nodes) != 1 {
		t.Fatalf("clear cache: %+v %v", cleared, err)
	}

	keyClient := newTypedClient(t, elasticsearch.Config{Addresses: []string{srv}, APIKey: cloned.Encoded})
	has, err := keyClient.Security.HasPrivileges().Request(&hasprivileges.Request{
		Cluster: []clusterprivilege.ClusterPrivilege{clusterprivilege.Manageownapikey},
	}).Do(ctx)
	if err != nil || !has.HasAllRequested || has.Username != "alice" {
		t.Fatalf("has privileges: %+v %v", has, err)
	}
	// Naming the user in the path: only the caller's own name.
	has, err = keyClient.Security.HasPrivileges().User("alice").Request(&hasprivileges.Request{
		Cluster: []clusterprivilege.ClusterPrivilege{clusterprivilege.Manageownapikey},
	}).Do(ctx)
	if err != nil || !has.HasAllRequested || has.Username != "alice" {
		t.Fatalf("has privileges of alice: %+v %v", has, err)
	}
	_, err = keyClient.Security.HasPrivileges().User("elastic").Request(&hasprivileges.Request{
		Cluster: []clusterprivilege.ClusterPrivilege{clusterprivilege.Manageownapikey},
	}).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")

	// Errors keep Elasticsearch's status and type through the client.
	_, err = keyClient.Security.UpdateApiKey(cloned.Id).Do(ctx)
	wantStatus(t, err, 400, "illegal_argument_exception")
	_, err = es.Security.CloneApiKey().Request(&cloneapikey.Request{ApiKey: "bm9jb2xvbg=="}).Do(ctx)
	wantStatus(t, err, 400, "status_exception")
	_, err = alice.Security.UpdateApiKey("not-a-key").Do(ctx)
	wantStatus(t, err, 404, "resource_not_found_exception")
}
