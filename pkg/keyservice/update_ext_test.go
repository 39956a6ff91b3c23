package keyservice_test

import (
	"context"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

func TestUpdateAPIKeyExtended(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	key := fx.create(owner, "ci-deploy", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("7d") })
	others := fx.create(fx.as("other"), "not-yours")
	never := fx.create(owner, "never")
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		req     api.ExtendedUpdateAPIKeyRequest
		updated bool
		check   func(t *testing.T, k api.APIKey)
		status  int
		errType string
		reason  string
	}{
		{name: "rename", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("ci-deploy-2")}, updated: true,
			check: func(t *testing.T, k api.APIKey) {
				if k.Name != "ci-deploy-2" || k.Expiration == nil {
					t.Fatalf("name %q expiration %v", k.Name, k.Expiration)
				}
			}},
		{name: "the same name again is a noop", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("ci-deploy-2")}, updated: false},
		{name: "clear the expiration", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Expiration: &api.Clearable{Null: true}}, updated: true,
			check: func(t *testing.T, k api.APIKey) {
				if k.Expiration != nil || k.Name != "ci-deploy-2" {
					t.Fatalf("expiration %v name %q", *k.Expiration, k.Name)
				}
			}},
		{name: "clearing an expiration there is not is a noop", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: never.ID, Expiration: &api.Clearable{Null: true}}, updated: false},
		{name: "a new expiration and metadata, as the update API", ctx: owner,
			req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Expiration: &api.Clearable{Value: "1d"}, Metadata: api.MetadataFromMap(map[string]any{"env": "prod"})}, updated: true,
			check: func(t *testing.T, k api.APIKey) {
				if k.Expiration == nil || *k.Expiration != fx.clock.t.Add(24*time.Hour).UnixMilli() || k.Metadata.Map()["env"] != "prod" {
					t.Fatalf("expiration %v metadata %v", k.Expiration, k.Metadata)
				}
			}},
		{name: "a name create refuses", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("_reserved")},
			status: 400, errType: "action_request_validation_exception", reason: "api key name may not begin with an underscore"},
		{name: "an empty name", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("")},
			status: 400, errType: "action_request_validation_exception", reason: "api key name is required"},
		{name: "an expiration in the past", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Expiration: &api.Clearable{Value: "-1d"}},
			status: 400, errType: "action_request_validation_exception", reason: "API key expiration must be in the future"},
		{name: "reserved metadata", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Metadata: api.MetadataFromMap(map[string]any{"_x": 1})},
			status: 400, errType: "action_request_validation_exception", reason: "metadata keys may not start with [_]"},
		{name: "another owner's key", ctx: owner, req: api.ExtendedUpdateAPIKeyRequest{ID: others.ID, Name: ptr("mine")},
			status: 404, errType: "resource_not_found_exception", reason: "no API key owned by requesting user found for ID [" + others.ID + "]"},
		{name: "an admin may not rename another's key either, as the update API", ctx: fx.as("admin"), req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("x")},
			status: 404, errType: "resource_not_found_exception", reason: "no API key owned by requesting user"},
		{name: "an API key may not update keys", ctx: fx.asKey(key), req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("x")},
			status: 400, errType: "illegal_argument_exception", reason: "only the owner user can update an API key"},
		{name: "without the privilege", ctx: fx.as("reader"), req: api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("x")},
			status: 403, errType: "security_exception", reason: "is unauthorized for user [reader]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fx.svc.UpdateAPIKeyExtended(tt.ctx, &tt.req)
			if tt.status != 0 {
				wantErr(t, err, tt.status, tt.errType, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Updated != tt.updated {
				t.Fatalf("updated %v, want %v", resp.Updated, tt.updated)
			}
			if tt.check != nil {
				got, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{ID: tt.req.ID})
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, got.APIKeys[0])
			}
		})
	}
	// The renamed key still authenticates, under its new name.
	sub, err := fx.authKey(key.Encoded)
	if err != nil || sub.APIKey.Name != "ci-deploy-2" {
		t.Fatalf("after the rename: %+v %v", sub, err)
	}
}

// TestUpdateAPIKeyExtendedExpiryPolicy: an expiration is cleared only
// where no expiry policy gives the owner's keys one.
func TestUpdateAPIKeyExtendedExpiryPolicy(t *testing.T) {
	fx := newFixture(t)
	for _, p := range []api.ExpiryPolicy{{Name: "owners", User: "owner", Max: "30d"}, {Name: "others", User: "other", Default: "7d"}} {
		if _, err := fx.svc.PutExpiryPolicy(fx.root, &p); err != nil {
			t.Fatal(err)
		}
	}
	never := &api.Clearable{Null: true}
	for _, tt := range []struct {
		name, user, reason string
	}{
		{"under a maximum", "owner", "API key expiration is required by the maximum [30d]"},
		{"under a default", "other", "API key expiration cannot be cleared: an expiry policy gives the keys of [other] without one a default expiration"},
		{"without a policy", "admin", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fx.as(tt.user)
			key := fx.create(ctx, "k-"+tt.user, func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1d") })
			_, err := fx.svc.UpdateAPIKeyExtended(ctx, &api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Expiration: never})
			if tt.reason != "" {
				wantErr(t, err, 400, "action_request_validation_exception", tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	// A rename alone is no change of expiration.
	key := fx.create(fx.as("owner"), "renamed-under-policy", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1d") })
	if _, err := fx.svc.UpdateAPIKeyExtended(fx.as("owner"), &api.ExtendedUpdateAPIKeyRequest{ID: key.ID, Name: ptr("renamed")}); err != nil {
		t.Fatal(err)
	}
}
