package keyservice_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// retentionFixture is a service over a database holding keys on both
// sides of a 7-day retention period, at a fixed clock.
type retentionFixture struct {
	svc      *keyservice.Service
	db       *sqlite.DB
	root     context.Context
	now      time.Time
	inactive []string
	kept     []string
}

func newRetentionFixture(t *testing.T, extra int) *retentionFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	svc, err := keyservice.New(db, keyservice.Options{Now: func() time.Time { return now }, PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	fx := &retentionFixture{svc: svc, db: db, root: auth.WithSubject(ctx, auth.OSSubject("root")), now: now}
	ms := func(d time.Duration) *int64 { v := now.Add(d).UnixMilli(); return &v }
	const day = 24 * time.Hour
	mk := func(id string, expiration *int64, invalidated bool, invalidation *int64) *store.APIKey {
		return &store.APIKey{
			ID: id, Name: id, Type: api.TypeRest, Creation: now.Add(-30 * day).UnixMilli(), Hash: "{SSHA256}x",
			Expiration: expiration, Invalidated: invalidated, Invalidation: invalidation,
			RoleDescriptors: json.RawMessage(`{}`), LimitedBy: json.RawMessage(`[]`),
			Creator: store.Creator{Principal: "root", Realm: "os", RealmType: "os"},
		}
	}
	keys := []*store.APIKey{
		mk("kept-active", nil, false, nil),
		mk("kept-expired-6d", ms(-6*day), false, nil),
		mk("kept-invalidated-6d", nil, true, ms(-6*day)),
		mk("kept-expired-just-inside", ms(-7*day+time.Millisecond), false, nil),
		mk("gone-expired-7d", ms(-7*day), false, nil),
		mk("gone-invalidated-8d", ms(time.Hour), true, ms(-8*day)),
		mk("gone-invalidated-unknown", nil, true, nil),
	}
	for i := range extra {
		keys = append(keys, mk(fmt.Sprintf("gone-bulk-%05d", i), ms(-10*day), false, nil))
	}
	err = db.Update(ctx, func(w store.Writer) error {
		for _, k := range keys {
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID[:4] == "gone" {
			fx.inactive = append(fx.inactive, k.ID)
		} else {
			fx.kept = append(fx.kept, k.ID)
		}
	}
	slices.Sort(fx.inactive)
	return fx
}

func (fx *retentionFixture) remaining(t *testing.T) []string {
	t.Helper()
	var ids []string
	err := fx.db.View(context.Background(), func(r store.Reader) error {
		keys, err := r.FindAPIKeys(context.Background(), store.KeyFilter{})
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func TestPurgeInactiveAPIKeys(t *testing.T) {
	fx := newRetentionFixture(t, 0)
	week := keyservice.DefaultRetentionPeriod

	dry, err := fx.svc.PurgeInactiveAPIKeys(fx.root, week, keyservice.PurgeOptions{DryRun: true})
	if err != nil || !slices.Equal(dry, fx.inactive) {
		t.Fatalf("dry run = %q, %v; want %q", dry, err, fx.inactive)
	}
	if got := fx.remaining(t); len(got) != len(fx.kept)+len(fx.inactive) {
		t.Fatalf("the dry run removed keys: %q", got)
	}

	removed, err := fx.svc.PurgeInactiveAPIKeys(fx.root, week, keyservice.PurgeOptions{})
	if err != nil || !slices.Equal(removed, fx.inactive) {
		t.Fatalf("purge = %q, %v; want %q", removed, err, fx.inactive)
	}
	kept := slices.Clone(fx.kept)
	slices.Sort(kept)
	if got := fx.remaining(t); !slices.Equal(got, kept) {
		t.Fatalf("remaining %q, want %q", got, kept)
	}
	if again, err := fx.svc.PurgeInactiveAPIKeys(fx.root, week, keyservice.PurgeOptions{}); err != nil || len(again) != 0 {
		t.Fatalf("second purge = %q, %v", again, err)
	}
}

func TestPurgeInBatches(t *testing.T) {
	fx := newRetentionFixture(t, 2100)
	var progress []int
	removed, err := fx.svc.PurgeInactiveAPIKeys(fx.root, keyservice.DefaultRetentionPeriod, keyservice.PurgeOptions{
		Progress: func(n int) { progress = append(progress, n) },
	})
	if err != nil || len(removed) != len(fx.inactive) {
		t.Fatalf("removed %d, %v; want %d", len(removed), err, len(fx.inactive))
	}
	if want := []int{1000, 2000, len(fx.inactive)}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want one call per batch of 1000: %v", progress, want)
	}
	if got := fx.remaining(t); len(got) != len(fx.kept) {
		t.Errorf("%d keys remain, want %d", len(got), len(fx.kept))
	}
}

func TestPurgeErrors(t *testing.T) {
	fx := newRetentionFixture(t, 0)
	pw := "password-x"
	for user, privs := range map[string][]string{"keyadmin": {"manage_api_key"}, "secadmin": {"manage_security"}} {
		if _, err := fx.svc.PutRole(fx.root, &api.PutRoleRequest{Name: user, Descriptor: api.RoleDescriptor{Cluster: privs}}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.PutUser(fx.root, &api.PutUserRequest{Username: user, Password: &pw, Roles: []string{user}}); err != nil {
			t.Fatal(err)
		}
	}
	as := func(user string) context.Context {
		sub, err := fx.svc.AuthenticateCredential(context.Background(), auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return auth.WithSubject(context.Background(), sub)
	}
	for _, tt := range []struct {
		name      string
		ctx       context.Context
		retention time.Duration
		status    int
		typ       string
		reason    string
	}{
		{"zero retention", fx.root, 0, 400, "illegal_argument_exception", "the retention period must be positive"},
		{"negative retention", fx.root, -time.Hour, 400, "illegal_argument_exception", "the retention period must be positive"},
		{"manage_api_key is not enough", as("keyadmin"), time.Hour, 403, "security_exception",
			"action [cluster:admin/xpack/security/apikeyd/purge] is unauthorized for user [keyadmin] with effective roles [keyadmin], this action is granted by the cluster privileges [manage_security,all]"},
		{"unauthenticated", context.Background(), time.Hour, 401, "security_exception", "missing authentication credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.PurgeInactiveAPIKeys(tt.ctx, tt.retention, keyservice.PurgeOptions{})
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
	if removed, err := fx.svc.PurgeInactiveAPIKeys(as("secadmin"), keyservice.DefaultRetentionPeriod, keyservice.PurgeOptions{}); err != nil || len(removed) != len(fx.inactive) {
		t.Fatalf("manage_security purges: %q %v", removed, err)
	}
	_, err := fx.svc.PurgeExpiredTokens(as("keyadmin"))
	wantErr(t, err, 403, "security_exception", "apikeyd/purge] is unauthorized")
}

func TestPurgeExpiredTokens(t *testing.T) {
	fx := newFixture(t)
	withTokenUsers(t, fx)
	old := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
	fx.clock.t = fx.clock.t.Add(12 * time.Hour)
	young := fx.token(fx.as("tokener"), passwordGrant("bob", "password-bob"))
	fx.clock.t = fx.clock.t.Add(12*time.Hour + time.Millisecond)
	n, err := fx.svc.PurgeExpiredTokens(fx.root)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	_, err = fx.svc.GetToken(fx.as("tokener"), refreshGrant(old.RefreshToken))
	wantErr(t, err, 400, "invalid_grant", "could not refresh the requested token")
	if _, err := fx.svc.GetToken(fx.as("tokener"), refreshGrant(young.RefreshToken)); err != nil {
		t.Fatalf("the younger token was removed: %v", err)
	}
}

func TestInvalidationNotifies(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	calls := 0
	svc, err := keyservice.New(db, keyservice.Options{OnInvalidate: func() { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	if _, err := svc.InvalidateAPIKeys(root, &api.InvalidateAPIKeysRequest{Owner: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InvalidateToken(root, &api.InvalidateTokenRequest{Username: "x"}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("OnInvalidate called %d times, want 2", calls)
	}
}
