package esapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/elastic/go-elasticsearch/v9"
	"github.com/elastic/go-elasticsearch/v9/typedapi/security/createapikey"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/clusterprivilege"
	"github.com/elastic/go-elasticsearch/v9/typedapi/types/enums/healthstatus"

	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

const healthGreen = `{"cluster_name":"wire-cluster","status":"green","timed_out":false,"number_of_nodes":1,"number_of_data_nodes":1,` +
	`"active_primary_shards":0,"active_shards":0,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,` +
	`"unassigned_primary_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,` +
	`"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0}`

// newHealthServer is newWireServer with the cluster name wire-cluster.
func newHealthServer(t *testing.T) string {
	t.Helper()
	db := openTempDB(t)
	svc, err := keyservice.New(db, keyservice.Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(context.Background(), "wire-password"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc, Info: esapi.ClusterInfo{ClusterName: "wire-cluster"}}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWireClusterHealth pins the exact bodies of GET /_cluster/health:
// one node, no index, green; a wait that cannot be met answers 408 with
// timed_out true (timeout=0s answers at once); parameter mistakes are
// Elasticsearch's 400s.
func TestWireClusterHealth(t *testing.T) {
	base := newHealthServer(t)
	elastic := "Basic ZWxhc3RpYzp3aXJlLXBhc3N3b3Jk" // elastic:wire-password
	timedOut := func(status string) string {
		return `{"cluster_name":"wire-cluster","status":"` + status + `","timed_out":true,"number_of_nodes":1,"number_of_data_nodes":1,` +
			`"active_primary_shards":0,"active_shards":0,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,` +
			`"unassigned_primary_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,` +
			`"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0}`
	}
	withIndices := healthGreen[:len(healthGreen)-1] + `,"indices":{}}`
	human := `{"cluster_name":"wire-cluster","status":"green","timed_out":false,"number_of_nodes":1,"number_of_data_nodes":1,` +
		`"active_primary_shards":0,"active_shards":0,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,` +
		`"unassigned_primary_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,` +
		`"task_max_waiting_in_queue":"0s","task_max_waiting_in_queue_millis":0,"active_shards_percent":"100.0%","active_shards_percent_as_number":100.0}`
	badRequest := func(reason string) string {
		return `{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"` + reason + `"}],"type":"illegal_argument_exception","reason":"` + reason + `"},"status":400}`
	}

	tests := []struct {
		name   string
		path   string
		status int
		body   string
	}{
		{"plain", "/_cluster/health", 200, healthGreen},
		{"wait for green", "/_cluster/health?wait_for_status=green&timeout=50ms", 200, healthGreen},
		{"wait for yellow", "/_cluster/health?wait_for_status=YELLOW", 200, healthGreen},
		{"every parameter met", "/_cluster/health?local=true&master_timeout=10s&timeout=10s&wait_for_active_shards=all" +
			"&wait_for_nodes=%3E%3D1&wait_for_events=languid&wait_for_no_initializing_shards=true" +
			"&wait_for_no_relocating_shards=true&expand_wildcards=open,hidden&level=cluster", 200, healthGreen},
		{"level indices", "/_cluster/health?level=indices", 200, withIndices},
		{"level shards", "/_cluster/health?level=shards", 200, withIndices},
		{"human", "/_cluster/health?human", 200, human},
		{"wildcard index", "/_cluster/health/logs-*", 200, healthGreen},
		{"_all", "/_cluster/health/_all", 200, healthGreen},
		{"missing index", "/_cluster/health/logs?timeout=0s", 408, timedOut("red")},
		{"missing index among others", "/_cluster/health/logs-*,metrics?timeout=0s", 408, timedOut("red")},
		{"two nodes never come", "/_cluster/health?wait_for_nodes=2&timeout=0s", 408, timedOut("green")},
		{"active shards never come", "/_cluster/health?wait_for_active_shards=1&timeout=0s", 408, timedOut("green")},
		{"bad level", "/_cluster/health?level=node", 400, badRequest("level parameter must be one of [cluster] or [indices] or [shards] but was [node]")},
		{"bad status", "/_cluster/health?wait_for_status=blue", 400, badRequest("unknown cluster health status [blue]")},
		{"bad events", "/_cluster/health?wait_for_events=soon", 400, badRequest("No enum constant org.elasticsearch.common.Priority.SOON")},
		{"bad timeout", "/_cluster/health?timeout=soon", 400, badRequest("failed to parse setting [timeout] with value [soon] as a time value: unit is missing or unrecognized")},
		{"bad local", "/_cluster/health?local=yes", 400, badRequest("Failed to parse value [yes] as only [true] or [false] are allowed.")},
		{"bad expand_wildcards", "/_cluster/health?expand_wildcards=open,shut", 400, badRequest("No valid expand wildcard value [shut]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, base+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", elastic)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || string(data) != tt.body {
				t.Fatalf("HTTP %d %s\nwant %d %s", resp.StatusCode, data, tt.status, tt.body)
			}
		})
	}
}

// TestOfficialGoClientClusterHealth: the Elasticsearch docs' API key
// walkthrough, with the official client: a key whose only role is cluster
// monitor checks the cluster health; a key with no cluster privilege is
// refused with Elasticsearch's 403.
func TestOfficialGoClientClusterHealth(t *testing.T) {
	ctx := context.Background()
	base := newHealthServer(t)
	es := newTypedClient(t, elasticsearch.Config{Addresses: []string{base}, Username: "elastic", Password: "wire-password"})

	h, err := es.Cluster.Health().Do(ctx)
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	if h.ClusterName != "wire-cluster" || h.Status != healthstatus.Green || h.NumberOfNodes != 1 || h.TimedOut || h.ActiveShardsPercentAsNumber != 100 {
		t.Fatalf("health: %+v", h)
	}

	ids := map[string]string{}
	newKey := func(name string, cluster []clusterprivilege.ClusterPrivilege) string {
		t.Helper()
		created, err := es.Security.CreateApiKey().Request(&createapikey.Request{
			Name:            &name,
			RoleDescriptors: map[string]types.RoleDescriptor{name: {Cluster: cluster}},
		}).Do(ctx)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		ids[created.Encoded] = created.Id
		return created.Encoded
	}
	monitor := newTypedClient(t, elasticsearch.Config{Addresses: []string{base}, APIKey: newKey("monitor-only", []clusterprivilege.ClusterPrivilege{clusterprivilege.Monitor})})
	h, err = monitor.Cluster.Health().Do(ctx)
	if err != nil || h.Status != healthstatus.Green {
		t.Fatalf("monitor key: %+v, %v", h, err)
	}

	// A missing index is a normal answer (HTTP 408) to the client too.
	h, err = monitor.Cluster.Health().Index("logs").Timeout("0s").Do(ctx)
	if err != nil || !h.TimedOut || h.Status != healthstatus.Red {
		t.Fatalf("missing index: %+v, %v", h, err)
	}

	noneKey := newKey("nothing", []clusterprivilege.ClusterPrivilege{})
	noneID := ids[noneKey]
	none := newTypedClient(t, elasticsearch.Config{Addresses: []string{base}, APIKey: noneKey})
	_, err = none.Cluster.Health().Do(ctx)
	wantStatus(t, err, 403, "security_exception")
	var ee *types.ElasticsearchError
	if errors.As(err, &ee) {
		want := "action [cluster:monitor/health] is unauthorized for API key id [" + noneID + "] of user [elastic], this action is granted by the cluster privileges [monitor,manage,all]"
		if ee.ErrorCause.Reason == nil || *ee.ErrorCause.Reason != want {
			t.Fatalf("reason %v\nwant %s", ee.ErrorCause.Reason, want)
		}
	}
}
