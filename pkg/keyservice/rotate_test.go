package keyservice_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// events is an Auditor that keeps every event.
type events struct {
	mu   sync.Mutex
	list []keyservice.AuditEvent
}

func (e *events) Audit(_ context.Context, ev keyservice.AuditEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) of(action string) []keyservice.AuditEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []keyservice.AuditEvent
	for _, ev := range e.list {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

func (fx *fixture) getKey(id string) api.APIKey {
	fx.t.Helper()
	got, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{ID: id, WithLimitedBy: true})
	if err != nil || len(got.APIKeys) != 1 {
		fx.t.Fatalf("get %s: %+v %v", id, got, err)
	}
	return got.APIKeys[0]
}

func (fx *fixture) rotate(ctx context.Context, id, grace string, untilUnused *string) *api.RotateAPIKeyResponse {
	fx.t.Helper()
	resp, err := fx.svc.RotateAPIKey(ctx, &api.RotateAPIKeyRequest{ID: id, Grace: &grace, UntilUnused: untilUnused})
	if err != nil {
		fx.t.Fatalf("rotate %s: %v", id, err)
	}
	return resp
}

func TestRotate(t *testing.T) {
	audit := &events{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	owner := fx.as("owner")
	old := fx.create(owner, "deploy", func(r *api.CreateAPIKeyRequest) {
		r.Expiration = ptr("10h")
		r.Metadata = api.MetadataFromMap(map[string]any{"team": "a", "tier": map[string]any{"n": 1}})
		r.RoleDescriptors = api.RoleDescriptors{{Name: "r", Descriptor: api.RoleDescriptor{Cluster: []string{"monitor"}}}}
	})
	fx.clock.t = fx.clock.t.Add(time.Hour)
	now := fx.clock.t.UnixMilli()
	resp := fx.rotate(owner, old.ID, "2h", ptr("30m"))

	t.Run("the response shows the successor once and the old key's end", func(t *testing.T) {
		if resp.ID == old.ID || resp.APIKey == "" || resp.Encoded == "" || resp.Name != "deploy" {
			t.Fatalf("successor: %+v", resp.CreateAPIKeyResponse)
		}
		if resp.Expiration == nil || *resp.Expiration != now+10*time.Hour.Milliseconds() {
			t.Errorf("successor expiration %v, want the old key's lifetime (10h) from now", resp.Expiration)
		}
		want := api.RotatedAPIKey{ID: old.ID, Expiration: now + 2*time.Hour.Milliseconds(), UntilUnusedMillis: 30 * time.Minute.Milliseconds()}
		if resp.Predecessor != want {
			t.Errorf("predecessor %+v, want %+v", resp.Predecessor, want)
		}
	})
	t.Run("every attribute is copied", func(t *testing.T) {
		o, n := fx.getKey(old.ID), fx.getKey(resp.ID)
		if *o.Expiration != resp.Predecessor.Expiration {
			t.Errorf("old key expires at %d, want %d", *o.Expiration, resp.Predecessor.Expiration)
		}
		if n.Name != o.Name || n.Type != o.Type || n.Username != o.Username || n.Realm != o.Realm ||
			!reflect.DeepEqual(n.Metadata, o.Metadata) || !reflect.DeepEqual(n.RoleDescriptors, o.RoleDescriptors) ||
			!reflect.DeepEqual(n.LimitedBy, o.LimitedBy) || n.Creation != now {
			t.Errorf("successor %+v\ndiffers from the old key %+v", n, o)
		}
	})
	t.Run("both keys work during the grace, only the successor after", func(t *testing.T) {
		for _, enc := range []string{old.Encoded, resp.Encoded} {
			if _, err := fx.authKey(enc); err != nil {
				t.Fatalf("during the grace: %v", err)
			}
		}
		fx.clock.t = fx.clock.t.Add(2 * time.Hour)
		if _, err := fx.authKey(old.Encoded); err == nil {
			t.Error("the old key still authenticates after its grace")
		}
		if _, err := fx.authKey(resp.Encoded); err != nil {
			t.Errorf("the successor: %v", err)
		}
	})
	t.Run("the audit event names both ids", func(t *testing.T) {
		evs := audit.of(keyservice.AuditRotateAPIKey)
		if len(evs) != 1 || !slices.Equal(evs[0].APIKeyIDs, []string{resp.ID, old.ID}) || evs[0].Subject.Username != "owner" {
			t.Fatalf("rotate events %+v", evs)
		}
	})
	t.Run("the lineage links them", func(t *testing.T) {
		l, err := fx.svc.GetAPIKeyLineage(owner, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Ancestors) != 0 || len(l.Descendants) != 1 {
			t.Fatalf("lineage of the old key %+v", l)
		}
		d := l.Descendants[0]
		if d.ID != resp.ID || d.Parent != old.ID || d.Relation != api.RelationRotation || *d.GraceEnd != resp.Predecessor.Expiration || d.UntilUnusedMillis != 1_800_000 {
			t.Errorf("successor in the lineage %+v", d)
		}
	})
}

func TestRotateExpiration(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	now := fx.clock.t.UnixMilli()
	tests := []struct {
		name           string
		expiration     *string
		grace          string
		wantSuccessor  *int64
		wantOldExpires int64
	}{
		{"no expiration: the successor has none", nil, "24h", nil, now + 24*time.Hour.Milliseconds()},
		{"an expiration before the grace ends is kept", ptr("1h"), "24h", ptr(now + time.Hour.Milliseconds()), now + time.Hour.Milliseconds()},
		{"grace 0 ends the old key now", ptr("30d"), "0", ptr(now + 30*24*time.Hour.Milliseconds()), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := fx.create(owner, "k", func(r *api.CreateAPIKeyRequest) { r.Expiration = tt.expiration })
			resp := fx.rotate(owner, k.ID, tt.grace, nil)
			if !reflect.DeepEqual(resp.Expiration, tt.wantSuccessor) || resp.Predecessor.Expiration != tt.wantOldExpires {
				t.Fatalf("successor expires %v, old %d; want %v, %d", resp.Expiration, resp.Predecessor.Expiration, tt.wantSuccessor, tt.wantOldExpires)
			}
			if got := *fx.getKey(k.ID).Expiration; got != tt.wantOldExpires {
				t.Errorf("stored old expiration %d, want %d", got, tt.wantOldExpires)
			}
		})
	}
	t.Run("an expiry policy gives a default and cuts to its maximum", func(t *testing.T) {
		fx := newFixture(t)
		owner := fx.as("owner")
		now := fx.clock.t.UnixMilli()
		forever := fx.create(owner, "forever")
		month := fx.create(owner, "month", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("30d") })
		if _, err := fx.svc.PutExpiryPolicy(fx.root, &api.ExpiryPolicy{Name: "short", User: "owner", Default: "1d", Max: "7d"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key  *api.CreateAPIKeyResponse
			want int64
		}{{forever, now + 24*time.Hour.Milliseconds()}, {month, now + 7*24*time.Hour.Milliseconds()}} {
			resp := fx.rotate(owner, c.key.ID, "1h", nil)
			if resp.Expiration == nil || *resp.Expiration != c.want {
				t.Errorf("successor of %s expires %v, want %d", c.key.Name, resp.Expiration, c.want)
			}
		}
	})
	t.Run("default grace is a day", func(t *testing.T) {
		k := fx.create(owner, "k")
		resp, err := fx.svc.RotateAPIKey(owner, &api.RotateAPIKeyRequest{ID: k.ID})
		if err != nil || resp.Predecessor.Expiration != now+24*time.Hour.Milliseconds() {
			t.Fatalf("%+v %v", resp, err)
		}
	})
}

func TestRotateRefusals(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	mine := fx.create(owner, "mine")
	rotated := fx.create(owner, "rotated")
	successor := fx.rotate(owner, rotated.ID, "1h", nil)
	dead := fx.create(owner, "dead")
	if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: []string{dead.ID}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	short := fx.create(owner, "short", func(r *api.CreateAPIKeyRequest) { r.Expiration = ptr("1s") })
	cc, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"), Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	fx.clock.t = fx.clock.t.Add(time.Minute)
	keyCaller := fx.asKey(mine)

	tests := []struct {
		name        string
		ctx         context.Context
		id          string
		grace       *string
		untilUnused *string
		status      int
		typ         string
		reason      string
	}{
		{"unknown key, own keys", owner, "nope", nil, nil, 404, "resource_not_found_exception", "no API key owned by requesting user found for ID [nope]"},
		{"unknown key, any key", fx.as("admin"), "nope", nil, nil, 404, "resource_not_found_exception", "no API key found for ID [nope]"},
		{"another user's key", fx.as("other"), mine.ID, nil, nil, 404, "resource_not_found_exception", "no API key owned by requesting user found for ID [" + mine.ID + "]"},
		{"read_security may not rotate", fx.as("reader"), mine.ID, nil, nil, 403, "security_exception", "action [cluster:admin/xpack/security/api_key/rotate] is unauthorized for user [reader]"},
		{"an API key may not rotate", keyCaller, mine.ID, nil, nil, 400, "illegal_argument_exception", "authentication via API key not supported: only the owner user can rotate an API key"},
		{"invalidated", owner, dead.ID, nil, nil, 400, "illegal_argument_exception", "cannot rotate invalidated API key [" + dead.ID + "]"},
		{"expired", owner, short.ID, nil, nil, 400, "illegal_argument_exception", "cannot rotate expired API key [" + short.ID + "]"},
		{"pending rotation", owner, rotated.ID, nil, nil, 400, "illegal_argument_exception", "API key [" + rotated.ID + "] was already rotated to [" + successor.ID + "], which is still active: rotate [" + successor.ID + "] instead"},
		{"cross-cluster needs manage_security", fx.as("admin"), cc.ID, nil, nil, 403, "security_exception", "Cannot rotate cross-cluster API key [" + cc.ID + "]. This requires [manage_security] cluster privilege or higher"},
		{"negative grace", owner, mine.ID, ptr("-1"), nil, 400, "action_request_validation_exception", "[grace] must not be negative, got [-1]"},
		{"grace without unit", owner, mine.ID, ptr("5"), nil, 400, "x_content_parse_exception", "[rotate_api_key_request] failed to parse field [grace] | illegal_argument_exception: failed to parse setting [grace] with value [5] as a time value: unit is missing or unrecognized"},
		{"until_unused zero", owner, mine.ID, nil, ptr("0s"), 400, "action_request_validation_exception", "[until_unused] must be a positive time value, got [0s]"},
		{"until_unused longer than grace", owner, mine.ID, ptr("1h"), ptr("2h"), 400, "action_request_validation_exception", "[until_unused] [2h] must not be longer than [grace] [1h]"},
		{"no id", owner, "", nil, nil, 400, "illegal_argument_exception", "the id of the API key to rotate is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.RotateAPIKey(tt.ctx, &api.RotateAPIKeyRequest{ID: tt.id, Grace: tt.grace, UntilUnused: tt.untilUnused})
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
	t.Run("nothing was written by a refusal", func(t *testing.T) {
		if k := fx.getKey(mine.ID); k.Expiration != nil {
			t.Errorf("a refused rotation set an expiration: %d", *k.Expiration)
		}
	})
}

func TestRotateAuthorization(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		name  string
		owner string
		by    string
		cc    bool
	}{
		{"owner with manage_own_api_key", "owner", "owner", false},
		{"manage_api_key, another's key", "owner", "admin", false},
		{"manage_security, another's key", "owner", "secadmin", false},
		{"OS superuser", "owner", "", false},
		{"manage_security, a cross-cluster key", "", "secadmin", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id string
			if tt.cc {
				cc, err := fx.svc.CreateCrossClusterAPIKey(fx.root, &api.CreateCrossClusterAPIKeyRequest{Name: ptr("cc"), Access: &api.CrossClusterAccess{Search: []api.SearchAccess{{Names: []string{"logs"}}}}})
				if err != nil {
					t.Fatal(err)
				}
				id = cc.ID
			} else {
				id = fx.create(fx.as(tt.owner), "k").ID
			}
			ctx := fx.root
			if tt.by != "" {
				ctx = fx.as(tt.by)
			}
			resp := fx.rotate(ctx, id, "1h", nil)
			o, n := fx.getKey(id), fx.getKey(resp.ID)
			if n.Username != o.Username || n.Type != o.Type || !reflect.DeepEqual(n.RoleDescriptors, o.RoleDescriptors) {
				t.Errorf("successor %+v is not the old key's twin %+v", n, o)
			}
		})
	}
}

func TestCloneRecordsParent(t *testing.T) {
	fx := newFixture(t)
	src := fx.create(fx.as("owner"), "src")
	clone, err := fx.svc.CloneAPIKey(fx.root, &api.CloneAPIKeyRequest{APIKey: src.Encoded, Name: ptr("copy")})
	if err != nil {
		t.Fatal(err)
	}
	l, err := fx.svc.GetAPIKeyLineage(fx.as("owner"), clone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.APIKey.Parent != src.ID || l.APIKey.Relation != api.RelationClone || l.APIKey.Name != "copy" || l.APIKey.GraceEnd != nil {
		t.Errorf("clone %+v", l.APIKey)
	}
	if len(l.Ancestors) != 1 || l.Ancestors[0].ID != src.ID || l.Ancestors[0].Relation != "" {
		t.Errorf("ancestors %+v", l.Ancestors)
	}
}

// generations makes k0 <- k1 (rotation) <- k2 (clone) <- k3 (rotation),
// and an unrelated key, all the owner's.
func generations(fx *fixture) (ids []string, unrelated string) {
	fx.t.Helper()
	owner := fx.as("owner")
	k0 := fx.create(owner, "k0")
	k1 := fx.rotate(owner, k0.ID, "1h", nil)
	k2, err := fx.svc.CloneAPIKey(fx.root, &api.CloneAPIKeyRequest{APIKey: k1.Encoded})
	if err != nil {
		fx.t.Fatal(err)
	}
	k3 := fx.rotate(owner, k2.ID, "1h", nil)
	return []string{k0.ID, k1.ID, k2.ID, k3.ID}, fx.create(owner, "unrelated").ID
}

func TestLineageOfThreeGenerations(t *testing.T) {
	fx := newFixture(t)
	ids, _ := generations(fx)
	l, err := fx.svc.GetAPIKeyLineage(fx.as("owner"), ids[2])
	if err != nil {
		t.Fatal(err)
	}
	var anc, desc []string
	for _, k := range l.Ancestors {
		anc = append(anc, k.ID+"<-"+k.Relation)
	}
	for _, k := range l.Descendants {
		desc = append(desc, k.ID+"<-"+k.Relation)
	}
	if !slices.Equal(anc, []string{ids[0] + "<-", ids[1] + "<-rotation"}) || !slices.Equal(desc, []string{ids[3] + "<-rotation"}) ||
		l.APIKey.Relation != api.RelationClone || l.APIKey.Parent != ids[1] {
		t.Fatalf("lineage of k2: key %+v ancestors %v descendants %v", l.APIKey, anc, desc)
	}
	t.Run("refusals", func(t *testing.T) {
		_, err := fx.svc.GetAPIKeyLineage(fx.as("other"), ids[0])
		wantErr(t, err, 404, "resource_not_found_exception", "no API key owned by requesting user found for ID ["+ids[0]+"]")
		_, err = fx.svc.GetAPIKeyLineage(fx.as("nobody"), ids[0])
		wantErr(t, err, 403, "security_exception", "is unauthorized for user [nobody]")
		if _, err := fx.svc.GetAPIKeyLineage(fx.as("reader"), ids[0]); err != nil {
			t.Errorf("read_security: %v", err)
		}
	})
}

func TestInvalidateCascade(t *testing.T) {
	tests := []struct {
		name    string
		cascade bool
		pre     bool // the root is invalidated before
		from    int  // the generation named
		want    []int
	}{
		{"cascade takes three generations", true, false, 0, []int{0, 1, 2, 3}},
		{"cascade from the middle", true, false, 2, []int{2, 3}},
		{"without cascade, the key alone", false, false, 0, []int{0}},
		{"an invalidated root still hands the cascade down", true, true, 0, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audit := &events{}
			fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
			owner := fx.as("owner")
			ids, unrelated := generations(fx)
			if tt.pre {
				if _, err := fx.svc.InvalidateAPIKeys(owner, &api.InvalidateAPIKeysRequest{IDs: ids[:1], Owner: true}); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := fx.svc.InvalidateAPIKeysCascade(owner, &api.CascadeInvalidateRequest{
				InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: []string{ids[tt.from]}, Owner: true}, Cascade: tt.cascade})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(resp.InvalidatedAPIKeys, want) || resp.ErrorCount != 0 {
				t.Fatalf("invalidated %v (%d errors), want %v", resp.InvalidatedAPIKeys, resp.ErrorCount, want)
			}
			if fx.getKey(unrelated).Invalidated {
				t.Error("an unrelated key was invalidated")
			}
			evs := audit.of(keyservice.AuditInvalidateAPIKeys)
			if last := evs[len(evs)-1]; !slices.Equal(last.APIKeyIDs, want) {
				t.Errorf("audited %v, want %v", last.APIKeyIDs, want)
			}
		})
	}
	t.Run("same authorization as invalidate", func(t *testing.T) {
		fx := newFixture(t)
		ids, _ := generations(fx)
		_, err := fx.svc.InvalidateAPIKeysCascade(fx.as("other"), &api.CascadeInvalidateRequest{
			InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: ids[:1]}, Cascade: true})
		wantErr(t, err, 403, "security_exception", "action [cluster:admin/xpack/security/api_key/invalidate] is unauthorized for user [other]")
		resp, err := fx.svc.InvalidateAPIKeysCascade(fx.as("other"), &api.CascadeInvalidateRequest{
			InvalidateAPIKeysRequest: api.InvalidateAPIKeysRequest{IDs: ids[:1], Owner: true}, Cascade: true})
		if err != nil || len(resp.InvalidatedAPIKeys) != 0 {
			t.Fatalf("another owner's family: %+v %v", resp, err)
		}
		_, err = fx.svc.InvalidateAPIKeysCascade(fx.as("owner"), &api.CascadeInvalidateRequest{Cascade: true})
		wantErr(t, err, 400, "action_request_validation_exception", "One of [api key id(s), api key name, username, realm name] must be specified")
	})
}

// The until-unused rule, enforced where uses are written: the old key
// ends once it has gone unused that long after the successor's first use,
// its own later uses keep it, never past the grace, and never revived.
func TestRotateUntilUnused(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) { o.RecordUsage = true })
	owner := fx.as("owner")
	start := fx.clock.t
	at := func(d time.Duration) int64 { return start.Add(d).UnixMilli() }
	old := fx.create(owner, "svc")
	resp := fx.rotate(owner, old.ID, "2h", ptr("30m"))
	plain := fx.create(owner, "plain")
	plainNext := fx.rotate(owner, plain.ID, "2h", nil)
	expiration := func(id string) int64 {
		t.Helper()
		return *fx.getKey(id).Expiration
	}
	use := func(enc string, after time.Duration) {
		t.Helper()
		fx.clock.t = start.Add(after)
		if _, err := fx.authKey(enc); err != nil {
			t.Fatalf("use at +%v: %v", after, err)
		}
		if err := fx.svc.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	use(old.Encoded, 5*time.Minute)
	if got := expiration(old.ID); got != at(2*time.Hour) {
		t.Fatalf("before the successor is used: old key ends at %d, want the grace end %d", got, at(2*time.Hour))
	}
	use(resp.Encoded, 10*time.Minute)
	if got := expiration(old.ID); got != at(40*time.Minute) {
		t.Fatalf("successor used at +10m: old key ends at %d, want +40m (%d)", got, at(40*time.Minute))
	}
	use(old.Encoded, 30*time.Minute)
	if got := expiration(old.ID); got != at(time.Hour) {
		t.Fatalf("old key used again at +30m: it ends at %d, want +60m (%d)", got, at(time.Hour))
	}
	for _, m := range []time.Duration{55, 80} {
		use(old.Encoded, m*time.Minute)
		if got := expiration(old.ID); got != at((m+30)*time.Minute) {
			t.Fatalf("old key used at +%dm: it ends at %d, want +%dm", m, got, m+30)
		}
	}
	use(old.Encoded, 105*time.Minute)
	if got := expiration(old.ID); got != at(2*time.Hour) {
		t.Fatalf("old key used at +105m: it ends at %d, want the grace end %d", got, at(2*time.Hour))
	}
	use(plainNext.Encoded, 100*time.Minute)
	if got := expiration(plain.ID); got != at(2*time.Hour) {
		t.Errorf("a rotation without the rule: old key ends at %d, want the grace end %d", got, at(2*time.Hour))
	}
	fx.clock.t = start.Add(2*time.Hour + time.Minute)
	if _, err := fx.authKey(old.Encoded); err == nil {
		t.Error("the old key authenticates after its end")
	}
	use(resp.Encoded, 2*time.Hour+2*time.Minute)
	if got := expiration(old.ID); got != at(2*time.Hour) {
		t.Errorf("an ended old key was revived: it ends at %d", got)
	}
}
