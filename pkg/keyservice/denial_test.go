package keyservice_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// TestDenialNamesGrantingPrivileges pins the exact 403 reasons of every
// ownership-checked action: as in Elasticsearch, a reason names only the
// privileges that would grant this request, so manage_own_api_key appears
// only where the request concerns the caller's own keys.
func TestDenialNamesGrantingPrivileges(t *testing.T) {
	fx := newFixture(t)
	ownerKey := fx.create(fx.as("owner"), "mine")
	otherKey := fx.create(fx.as("other"), "theirs")
	key := fx.asKey(ownerKey)

	const (
		ownUser   = "is unauthorized for user [owner] with effective roles [own_keys]"
		noPriv    = "is unauthorized for user [nobody] with effective roles [monitor]"
		byOwnKeys = ", this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"
		byOthers  = ", this action is granted by the cluster privileges [manage_api_key,manage_security,all]"
		readOwn   = ", this action is granted by the cluster privileges [manage_own_api_key,read_security,manage_api_key,manage_security,all]"
		readAll   = ", this action is granted by the cluster privileges [read_security,manage_api_key,manage_security,all]"
		byClone   = ", this action is granted by the cluster privileges [clone_api_key,manage_api_key,manage_security,all]"
		byGrant   = ", this action is granted by the cluster privileges [grant_api_key,manage_api_key,manage_security,all]"
	)
	keyText := "is unauthorized for API key id [" + ownerKey.ID + "] of user [owner]"
	action := func(name string) string { return "action [cluster:admin/xpack/security/api_key/" + name + "] " }

	type call func(ctx context.Context) error
	create := func(ctx context.Context) error {
		_, err := fx.svc.CreateAPIKey(ctx, &api.CreateAPIKeyRequest{Name: ptr("x")})
		return err
	}
	get := func(req api.GetAPIKeysRequest) call {
		return func(ctx context.Context) error { _, err := fx.svc.GetAPIKeys(ctx, &req); return err }
	}
	inv := func(req api.InvalidateAPIKeysRequest) call {
		return func(ctx context.Context) error { _, err := fx.svc.InvalidateAPIKeys(ctx, &req); return err }
	}
	query := func(req api.QueryAPIKeysRequest) call {
		return func(ctx context.Context) error { _, err := fx.svc.QueryAPIKeys(ctx, &req); return err }
	}
	invByQuery := func(ctx context.Context) error {
		_, err := fx.svc.InvalidateAPIKeysByQuery(ctx, &api.InvalidateByQueryRequest{DryRun: true})
		return err
	}
	lineage := func(id string) call {
		return func(ctx context.Context) error { _, err := fx.svc.GetAPIKeyLineage(ctx, id); return err }
	}
	update := func(ctx context.Context) error {
		_, err := fx.svc.UpdateAPIKey(ctx, &api.UpdateAPIKeyRequest{ID: otherKey.ID})
		return err
	}
	bulkUpdate := func(ctx context.Context) error {
		_, err := fx.svc.BulkUpdateAPIKeys(ctx, &api.BulkUpdateAPIKeysRequest{IDs: []string{otherKey.ID}})
		return err
	}
	rotate := func(ctx context.Context) error {
		_, err := fx.svc.RotateAPIKey(ctx, &api.RotateAPIKeyRequest{ID: otherKey.ID})
		return err
	}
	clone := func(ctx context.Context) error {
		_, err := fx.svc.CloneAPIKey(ctx, &api.CloneAPIKeyRequest{APIKey: otherKey.Encoded})
		return err
	}
	grant := func(ctx context.Context) error {
		_, err := fx.svc.GrantAPIKey(ctx, &api.GrantAPIKeyRequest{GrantCredential: api.GrantCredential{GrantType: "password", Username: ptr("other"), Password: ptr("password-other")}})
		return err
	}

	tests := []struct {
		name string
		ctx  context.Context
		call call
		want string
	}{
		// A manage_own_api_key user acting on others' keys.
		{"own-keys user gets all keys", fx.as("owner"), get(api.GetAPIKeysRequest{}), action("get") + ownUser + readAll},
		{"own-keys user gets another's keys", fx.as("owner"), get(api.GetAPIKeysRequest{Username: "other", RealmName: "default_native"}), action("get") + ownUser + readAll},
		{"own-keys user invalidates another's key", fx.as("owner"), inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), action("invalidate") + ownUser + byOthers},
		{"own-keys user invalidates another user's keys", fx.as("owner"), inv(api.InvalidateAPIKeysRequest{Username: "other"}), action("invalidate") + ownUser + byOthers},
		{"own-keys user clones", fx.as("owner"), clone, action("clone") + ownUser + byClone},
		{"own-keys user grants", fx.as("owner"), grant, action("grant") + ownUser + byGrant},
		// A caller without any API key privilege.
		{"no privilege creates", fx.as("nobody"), create, action("create") + noPriv + byOwnKeys},
		{"no privilege gets its own keys", fx.as("nobody"), get(api.GetAPIKeysRequest{Owner: true}), action("get") + noPriv + readOwn},
		{"no privilege gets all keys", fx.as("nobody"), get(api.GetAPIKeysRequest{}), action("get") + noPriv + readAll},
		{"no privilege queries", fx.as("nobody"), query(api.QueryAPIKeysRequest{}), action("query") + noPriv + readOwn},
		{"no privilege invalidates its own keys", fx.as("nobody"), inv(api.InvalidateAPIKeysRequest{Owner: true}), action("invalidate") + noPriv + byOwnKeys},
		{"no privilege invalidates another's key", fx.as("nobody"), inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), action("invalidate") + noPriv + byOthers},
		{"no privilege invalidates by query", fx.as("nobody"), invByQuery, action("invalidate") + noPriv + byOwnKeys},
		{"no privilege reads a lineage", fx.as("nobody"), lineage(otherKey.ID), action("get") + noPriv + readOwn},
		{"no privilege updates", fx.as("nobody"), update, action("update") + noPriv + byOwnKeys},
		{"no privilege bulk updates", fx.as("nobody"), bulkUpdate, action("bulk_update") + noPriv + byOwnKeys},
		{"no privilege rotates", fx.as("nobody"), rotate, action("rotate") + noPriv + byOwnKeys},
		{"no privilege clones", fx.as("nobody"), clone, action("clone") + noPriv + byClone},
		{"no privilege grants", fx.as("nobody"), grant, action("grant") + noPriv + byGrant},
		// An API key (of a manage_own_api_key owner) acting on other keys:
		// a key owns no key but itself.
		{"key gets another key", key, get(api.GetAPIKeysRequest{ID: otherKey.ID}), action("get") + keyText + readAll},
		{"key gets its owner's keys", key, get(api.GetAPIKeysRequest{Owner: true}), action("get") + keyText + readAll},
		{"key gets its own limited_by", key, get(api.GetAPIKeysRequest{ID: ownerKey.ID, WithLimitedBy: true}), action("get") + keyText + readAll},
		{"key queries with limited_by", key, query(api.QueryAPIKeysRequest{WithLimitedBy: true}), action("query") + keyText + readAll},
		{"key invalidates another key", key, inv(api.InvalidateAPIKeysRequest{IDs: []string{otherKey.ID}}), action("invalidate") + keyText + byOthers},
		{"key invalidates by name", key, inv(api.InvalidateAPIKeysRequest{Name: "theirs"}), action("invalidate") + keyText + byOthers},
		{"key reads another key's lineage", key, lineage(otherKey.ID), action("get") + keyText + readAll},
		{"key clones", key, clone, action("clone") + keyText + byClone},
		{"key grants", key, grant, action("grant") + keyText + byGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.ctx)
			var e *api.Error
			if !errors.As(err, &e) || e.Code != api.Forbidden {
				t.Fatalf("want a 403, got %v", err)
			}
			if e.Reason != tt.want {
				t.Fatalf("reason %q\nwant   %q", e.Reason, tt.want)
			}
		})
	}
}
