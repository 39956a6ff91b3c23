package keyservice_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// explainStatuses is the status of each check of resp, by name.
func explainStatuses(resp *api.ExplainResponse) map[string]api.ExplainStatus {
	out := map[string]api.ExplainStatus{}
	for _, c := range resp.Checks {
		out[c.Name] = c.Status
	}
	return out
}

// TestExplainAgreesWithAuthentication: for every refusal reason, explain
// names the failed check, and its answer is exactly the error
// authentication returns for the same credential (status, type, reason,
// detail), for an administrator; explaining neither counts as a failure
// nor notes a use.
func TestExplainAgreesWithAuthentication(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 2, Window: time.Minute}
		o.RecordUsage = true
	})
	owner := fx.as("owner")
	live := fx.create(owner, "live", func(r *api.CreateAPIKeyRequest) {
		r.RoleDescriptors = api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"manage_api_key", "monitor"}}}}
	})
	short := fx.create(owner, "short", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1m") })
	dead := fx.create(owner, "dead")
	quiet := fx.create(owner, "quiet")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.as("secadmin"), &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"),
		Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs-*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(2 * time.Minute)
	admin := fx.as("admin")

	for _, tc := range []struct {
		name     string
		id       string
		secret   string
		failed   string // the failed check; "" when accepted
		accepted bool
	}{
		{name: "accepted", id: live.ID, secret: live.APIKey, accepted: true},
		{name: "unknown id", id: "nope", secret: "x", failed: api.CheckFound},
		{name: "wrong secret", id: live.ID, secret: "AAAAAAAAAAAAAAAAAAAAAA", failed: api.CheckSecret},
		{name: "invalidated", id: dead.ID, secret: dead.APIKey, failed: api.CheckInvalidated},
		{name: "expired", id: short.ID, secret: short.APIKey, failed: api.CheckExpiration},
		{name: "cross-cluster on REST", id: cc.ID, secret: cc.APIKey, failed: api.CheckType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.svc.ExplainAPIKey(admin, &api.ExplainRequest{APIKey: encode(tc.id, tc.secret)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Accepted != tc.accepted {
				t.Fatalf("accepted %v, want %v: %+v", resp.Accepted, tc.accepted, resp)
			}
			statuses := explainStatuses(resp)
			if tc.failed != "" && statuses[tc.failed] != api.ExplainFail {
				t.Fatalf("check %s: %q, want fail: %+v", tc.failed, statuses[tc.failed], resp.Checks)
			}
			// What authentication answers the same credential.
			_, authErr := fx.svc.AuthenticateCredential(context.Background(),
				auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: tc.id, KeySecret: tc.secret})
			want := api.ExplainAnswer{Status: 200}
			if e, ok := api.AsError(authErr); ok {
				want = api.ExplainAnswer{Status: e.Code.Status(), Type: e.ErrType(), Reason: e.Reason}
				want.AdditionalUnsuccessfulCredentials, _ = e.Fields["additional_unsuccessful_credentials"].(string)
			} else if authErr != nil {
				t.Fatal(authErr)
			}
			if resp.Answer != want {
				t.Fatalf("answer %+v,\nauthentication %+v", resp.Answer, want)
			}
		})
	}

	t.Run("details", func(t *testing.T) {
		resp, err := fx.svc.ExplainAPIKey(admin, &api.ExplainRequest{ID: dead.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Checks {
			if c.Name == api.CheckInvalidated && (c.At == nil || !strings.Contains(c.Message, "2026-11-24T12:00:00Z")) {
				t.Errorf("invalidated check without its time: %+v", c)
			}
		}
		resp, err = fx.svc.ExplainAPIKey(admin, &api.ExplainRequest{ID: live.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !resp.Accepted || explainStatuses(resp)[api.CheckSecret] != api.ExplainNotChecked {
			t.Fatalf("by id: %+v", resp)
		}
		if resp.Owner == nil || resp.Owner.Username != "owner" || resp.Owner.Realm != "default_native" {
			t.Fatalf("owner %+v", resp.Owner)
		}
		// manage_api_key ∩ manage_own_api_key (the owner's role): the key
		// holds manage_own_api_key only; monitor is the key's alone.
		if resp.Privileges == nil || !reflect.DeepEqual(resp.Privileges.Cluster, []string{"manage_own_api_key"}) {
			t.Fatalf("privileges %+v", resp.Privileges)
		}
	})

	t.Run("no attempt", func(t *testing.T) {
		// Far more wrong secrets than the brake allows, and a right one:
		// no failure counted, no use noted.
		client := auth.WithOrigin(admin, auth.Origin{Type: auth.OriginREST, Address: "192.0.2.7:1"})
		for range 5 {
			if _, err := fx.svc.ExplainAPIKey(client, &api.ExplainRequest{APIKey: quiet.ID + ":wrong"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := fx.svc.ExplainAPIKey(client, &api.ExplainRequest{APIKey: quiet.Encoded}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.AuthenticateCredential(client, auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: quiet.ID, KeySecret: "wrong"}); api.ErrorCode(err) != api.Unauthenticated {
			t.Fatalf("after explanations, a wrong secret: %v, want the 401 of a brake not reached", err)
		}
		if err := fx.svc.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := fx.svc.GetAPIKeys(admin, &api.GetAPIKeysRequest{ID: quiet.ID, WithLastUsed: true})
		if err != nil {
			t.Fatal(err)
		}
		if n := got.APIKeys[0].UsageCount; n == nil || *n != 0 {
			t.Fatalf("usage count of a key only explained: %v", n)
		}
	})
}

// TestExplainNoOracle: to a caller who is not an administrator, an unknown
// id and a wrong secret explain alike, with no detail of the key and the
// 401 without its detail; a right secret shows every check; by id it is
// forbidden. An administrator sees which it is.
func TestExplainNoOracle(t *testing.T) {
	audit := &recordingAuditor{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	key := fx.create(fx.as("owner"), "k")
	other := fx.as("other")

	unknown, err := fx.svc.ExplainAPIKey(other, &api.ExplainRequest{APIKey: encode("AAAAAAAAAAAAAAAAAAAA", key.APIKey)})
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := fx.svc.ExplainAPIKey(other, &api.ExplainRequest{APIKey: key.ID + ":AAAAAAAAAAAAAAAAAAAAAA"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(unknown, wrong) {
		t.Fatalf("unknown id and wrong secret differ:\n%+v\n%+v", unknown, wrong)
	}
	want := api.ExplainAnswer{Status: 401, Type: "security_exception", Reason: "unable to authenticate with provided credentials and anonymous access is not allowed for this request"}
	if wrong.Accepted || wrong.Answer != want || wrong.ID != "" || wrong.Owner != nil || wrong.Privileges != nil {
		t.Fatalf("non-admin refusal shows details: %+v", wrong)
	}
	for _, c := range wrong.Checks {
		if strings.Contains(c.Message, key.ID) {
			t.Fatalf("check names the key: %+v", c)
		}
	}

	right, err := fx.svc.ExplainAPIKey(other, &api.ExplainRequest{APIKey: key.Encoded})
	if err != nil {
		t.Fatal(err)
	}
	if !right.Accepted || right.ID != key.ID || right.Owner == nil {
		t.Fatalf("the holder of a valid credential: %+v", right)
	}

	_, err = fx.svc.ExplainAPIKey(other, &api.ExplainRequest{ID: key.ID})
	wantErr(t, err, 403, "security_exception", "this action is granted by the cluster privileges [manage_api_key,manage_security,all]")

	for _, admin := range []string{"admin", "secadmin"} {
		resp, err := fx.svc.ExplainAPIKey(fx.as(admin), &api.ExplainRequest{APIKey: key.ID + ":AAAAAAAAAAAAAAAAAAAAAA"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ID != key.ID || explainStatuses(resp)[api.CheckSecret] != api.ExplainFail || resp.Answer.AdditionalUnsuccessfulCredentials == "" {
			t.Fatalf("%s sees: %+v", admin, resp)
		}
	}

	var explained int
	for _, e := range audit.events() {
		if e.Action == keyservice.AuditExplainAPIKey {
			explained++
			if strings.Contains(e.Reason, key.APIKey) {
				t.Fatalf("audit record holds the secret: %+v", e)
			}
		}
		if e.Action == keyservice.AuditAuthFailed && e.Principal == key.ID {
			t.Fatalf("an explanation audited as an authentication: %+v", e)
		}
	}
	if explained != 5 {
		t.Fatalf("%d explain_apikey events, want 5", explained)
	}
}

// TestExplainThrottled: while the brake holds for a key id, explain says
// so and answers the 429 authentication would give, except for a key
// whose secret is checked without a slow hash.
func TestExplainThrottled(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 1, Window: time.Minute}
	})
	key := fx.create(fx.as("owner"), "k")
	if _, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: "nope", KeySecret: "x"}); err == nil {
		t.Fatal("an unknown key authenticated")
	}
	if _, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: key.ID, KeySecret: "x"}); err == nil {
		t.Fatal("a wrong secret authenticated")
	}
	admin := fx.as("admin")
	for _, tc := range []struct {
		name, credential string
		status           int
	}{
		{"unknown id", "nope:x", 429},
		{"right secret, fast hash", key.Encoded, 200},
		{"wrong secret", key.ID + ":x", 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fx.svc.ExplainAPIKey(admin, &api.ExplainRequest{APIKey: tc.credential})
			if err != nil {
				t.Fatal(err)
			}
			id, secret, _ := strings.Cut(tc.credential, ":")
			if tc.credential == key.Encoded {
				id, secret = key.ID, key.APIKey
			}
			_, authErr := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: id, KeySecret: secret})
			if resp.Answer.Status != tc.status || (tc.status == 200) != (authErr == nil) {
				t.Fatalf("answer %+v, want %d; authentication: %v", resp.Answer, tc.status, authErr)
			}
			if tc.status == 429 && (resp.Answer.Type != "too_many_requests" || explainStatuses(resp)[api.CheckThrottling] != api.ExplainFail) {
				t.Fatalf("throttled: %+v", resp)
			}
		})
	}
}

// TestExplainRequest: the request's own mistakes.
func TestExplainRequest(t *testing.T) {
	fx := newFixture(t)
	ctx := fx.as("admin")
	for _, tc := range []struct {
		name   string
		req    *api.ExplainRequest
		reason string
	}{
		{"nothing", &api.ExplainRequest{}, "[api_key] (the credential to explain) or [id]"},
		{"both", &api.ExplainRequest{APIKey: "a:b", ID: "a"}, "not both"},
		{"not a credential", &api.ExplainRequest{APIKey: "not base64!"}, "is not an API key credential"},
		{"no id", &api.ExplainRequest{APIKey: ":secret"}, "no id before its colon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fx.svc.ExplainAPIKey(ctx, tc.req)
			wantErr(t, err, 400, "illegal_argument_exception", tc.reason)
		})
	}
	_, err := fx.svc.ExplainAPIKey(context.Background(), &api.ExplainRequest{APIKey: "a:b"})
	wantErr(t, err, 401, "security_exception", "missing authentication credentials")
}
