package esapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createcrossclusterapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/clusterprivilege"
)

// xpackUsage is the body of GET /_xpack/usage with one search-only
// cross-cluster key active, over plain HTTP and without an audit log.
const xpackUsage = `{"security":{"available":true,"enabled":true,` +
	`"realms":{"native":{"available":true,"enabled":true,"name":["default_native"]}},` +
	`"roles":{"native":{"size":0,"fls":false,"dls":false},"file":{"size":0,"fls":false,"dls":false}},` +
	`"role_mapping":{"native":{"size":0,"enabled":0}},` +
	`"ssl":{"http":{"enabled":false},"transport":{"enabled":false}},` +
	`"token_service":{"enabled":true},"api_key_service":{"enabled":true},` +
	`"audit":{"enabled":false},"ipfilter":{"http":false,"transport":false},` +
	`"anonymous":{"enabled":false},"fips_140":{"enabled":false},` +
	`"operator_privileges":{"available":true,"enabled":false},` +
	`"remote_cluster_server":{"available":true,"enabled":false,"api_keys":{"total":1,"ccs":1,"ccr":0,"ccs_ccr":0}}}}`

// TestOfficialGoClientXPackUsage: the official Go client's typed xpack
// usage decodes apikeyd's answer without error (the features apikeyd
// does not have are absent), whose bytes are pinned; the cross-cluster key created shows
// as one ccs key; a key without monitor gets Elasticsearch's 403.
func TestOfficialGoClientXPackUsage(t *testing.T) {
	ctx := context.Background()
	base := newHealthServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{base}, Username: "elastic", Password: "wire-password"})
	name := "ccs"
	if _, err := es.Security.CreateCrossClusterApiKey().Request(&createcrossclusterapikey.Request{
		Name:   name,
		Access: types.Access{Search: []types.SearchAccess{{Names: []string{"logs*"}}}},
	}).Do(ctx); err != nil {
		t.Fatalf("create cross-cluster key: %v", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_xpack/usage?master_timeout=30s", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("elastic", "wire-password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(body) != xpackUsage {
		t.Fatalf("GET /_xpack/usage: %d\n%s\nwant\n%s", resp.StatusCode, body, xpackUsage)
	}

	usage, err := es.Xpack.Usage().Do(ctx)
	if err != nil {
		t.Fatalf("typed xpack usage: %v", err)
	}
	// Not sec.Enabled: the client's token-walking decoder does not skip
	// remote_cluster_server (its spec lacks it) and reads that section's
	// "enabled": false as security's, as it does on Elasticsearch's answer.
	sec := usage.Security
	if !sec.Available || !sec.ApiKeyService.Enabled || !sec.TokenService.Enabled ||
		!sec.Realms["native"].Enabled || sec.Roles.Native.Size != 0 || sec.RoleMapping["native"].Size != 0 {
		t.Fatalf("typed xpack usage security: %+v", sec)
	}

	created, err := es.Security.CreateApiKey().Request(&createapikey.Request{
		Name:            &name,
		RoleDescriptors: map[string]types.RoleDescriptor{name: {Cluster: []clusterprivilege.ClusterPrivilege{}}},
	}).Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	none := newTypedClient(t, elasticsearch.Config{Addresses: []string{base}, APIKey: created.Encoded})
	_, err = none.Xpack.Usage().Do(ctx)
	wantStatus(t, err, 403, "security_exception")
	var ee *types.ElasticsearchError
	if errors.As(err, &ee) {
		want := "action [cluster:monitor/xpack/usage] is unauthorized for API key id [" + created.Id + "] of user [elastic], this action is granted by the cluster privileges [monitor,manage,all]"
		if ee.ErrorCause.Reason == nil || *ee.ErrorCause.Reason != want {
			t.Fatalf("reason %v\nwant %s", ee.ErrorCause.Reason, want)
		}
	}
}
