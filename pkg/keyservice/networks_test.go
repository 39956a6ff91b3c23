package keyservice_test

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// client is the context of a request from the TCP client at addr (IP
// address and port), as esapi makes it.
func client(addr string) context.Context {
	ap := netip.MustParseAddrPort(addr)
	return auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: addr, Client: ap.Addr()})
}

// unixPeer is the context of a request over the Unix socket.
func unixPeer() context.Context {
	return auth.WithOrigin(context.Background(), auth.UnixPeerOrigin(1000))
}

// createBound creates a key of the caller bound to nets.
func (fx *fixture) createBound(ctx context.Context, name string, nets ...string) *api.CreateAPIKeyResponse {
	fx.t.Helper()
	resp, err := fx.svc.CreateAPIKeyExtended(ctx, &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}, AllowedNetworks: nets})
	if err != nil {
		fx.t.Fatalf("create %s: %v", name, err)
	}
	return resp
}

func keyCred(resp *api.CreateAPIKeyResponse) auth.Credential {
	return auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: resp.ID, KeySecret: resp.APIKey}
}

// allowedNetworks is what get with_restrictions shows of key id.
func (fx *fixture) allowedNetworks(id string) []string {
	fx.t.Helper()
	resp, err := fx.svc.GetAPIKeys(fx.root, &api.GetAPIKeysRequest{ID: id, WithRestrictions: true})
	if err != nil || len(resp.APIKeys) != 1 {
		fx.t.Fatalf("get %s: %v", id, err)
	}
	return resp.APIKeys[0].AllowedNetworks
}

// TestAllowedNetworksAuthenticate: a key bound to networks authenticates
// from an address inside one of them (IPv4, IPv6, a bare address, an
// IPv4-mapped peer) and nowhere else; a caller with no network address
// only when the list names local. A refusal is the 401 of a wrong secret,
// word for word; the audit log says why.
func TestAllowedNetworksAuthenticate(t *testing.T) {
	audit := &recordingAuditor{}
	fx := newFixture(t, func(o *keyservice.Options) { o.Auditor = audit })
	owner := fx.as("owner")
	bound := fx.createBound(owner, "bound", "10.0.0.0/8", "2001:db8::/32", "192.0.2.7")
	local := fx.createBound(owner, "local", "10.0.0.0/8", "local")
	free := fx.create(owner, "free")

	wrong := keyCred(bound)
	wrong.KeySecret = "AAAAAAAAAAAAAAAAAAAAAA"
	_, wrongErr := fx.svc.AuthenticateCredential(client("10.1.2.3:5000"), wrong)

	for _, c := range []struct {
		name   string
		ctx    context.Context
		key    *api.CreateAPIKeyResponse
		reason string // "" when the key authenticates
	}{
		{name: "IPv4 inside", ctx: client("10.1.2.3:5000"), key: bound},
		{name: "IPv4 outside", ctx: client("11.0.0.1:5000"), key: bound, reason: "client address 11.0.0.1 not in allowed networks"},
		{name: "IPv6 inside", ctx: client("[2001:db8::42]:5000"), key: bound},
		{name: "IPv6 outside", ctx: client("[2001:db9::42]:5000"), key: bound, reason: "client address 2001:db9::42 not in allowed networks"},
		{name: "bare address itself", ctx: client("192.0.2.7:5000"), key: bound},
		{name: "next to the bare address", ctx: client("192.0.2.8:5000"), key: bound, reason: "client address 192.0.2.8 not in allowed networks"},
		{name: "IPv4-mapped IPv6 peer", ctx: client("[::ffff:10.9.9.9]:5000"), key: bound},
		{name: "loopback", ctx: client("127.0.0.1:5000"), key: bound, reason: "client address 127.0.0.1 not in allowed networks"},
		{name: "Unix socket without local", ctx: unixPeer(), key: bound, reason: "client unix:uid=1000 has no network address and [local] is not in allowed networks"},
		{name: "in process without local", ctx: context.Background(), key: bound, reason: "client in process has no network address"},
		{name: "Unix socket with local", ctx: unixPeer(), key: local},
		{name: "in process with local", ctx: context.Background(), key: local},
		{name: "local key from its network", ctx: client("10.0.0.1:1"), key: local},
		{name: "local key from elsewhere", ctx: client("172.16.0.1:1"), key: local, reason: "client address 172.16.0.1 not in allowed networks"},
		{name: "unbound key from anywhere", ctx: client("203.0.113.9:1"), key: free},
		{name: "unbound key over the socket", ctx: unixPeer(), key: free},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(audit.events())
			sub, err := fx.svc.AuthenticateCredential(c.ctx, keyCred(c.key))
			if c.reason == "" {
				if err != nil || sub == nil || sub.APIKey.ID != c.key.ID {
					t.Fatalf("want the key authenticated, got %v", err)
				}
				return
			}
			// The answer is the wrong secret's, for the key's id.
			e, ok := api.AsError(err)
			we, _ := api.AsError(wrongErr)
			wantFields := map[string]any{"additional_unsuccessful_credentials": "API key: invalid credentials for API key [" + c.key.ID + "]"}
			if !ok || e.Code != we.Code || e.Reason != we.Reason || !reflect.DeepEqual(e.Header, we.Header) || !reflect.DeepEqual(e.Fields, wantFields) {
				t.Fatalf("answer %#v,\nwant the wrong secret's %#v", err, wrongErr)
			}
			events := audit.events()[before:]
			if len(events) != 1 || events[0].Action != keyservice.AuditAuthFailed || events[0].Principal != c.key.ID ||
				!strings.Contains(events[0].Reason, "api key ["+c.key.ID+"]: "+c.reason) {
				t.Fatalf("audited %+v, want authentication_failed for %s: %s", events, c.key.ID, c.reason)
			}
		})
	}
}

// TestAllowedNetworksValidation: entries are CIDR prefixes, addresses or
// local, stored canonical and without duplicates; a mistake is a 400 that
// names the entry; at most api.MaxAllowedNetworks.
func TestAllowedNetworksValidation(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	tooMany := make([]string, api.MaxAllowedNetworks+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("10.0.%d.0/24", i)
	}
	for _, c := range []struct {
		name   string
		nets   []string
		want   []string
		reason string
	}{
		{name: "canonical", nets: []string{"10.0.0.0/8", "192.0.2.7", "2001:DB8::/32", "::1", "local", "10.0.0.0/8", "192.0.2.7/32"},
			want: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128", "local"}},
		{name: "IPv4-mapped prefix", nets: []string{"::ffff:10.0.0.0/104"}, want: []string{"10.0.0.0/8"}},
		{name: "none", nets: []string{}, want: nil},
		{name: "host bits", nets: []string{"10.1.2.3/8"}, reason: "allowed_networks entry [10.1.2.3/8] has host bits set: did you mean [10.0.0.0/8]?"},
		{name: "a name", nets: []string{"gateway.internal"}, reason: "allowed_networks entry [gateway.internal] is not an IP address, a CIDR prefix or [local]"},
		{name: "a zone", nets: []string{"fe80::1%eth0"}, reason: "allowed_networks entry [fe80::1%eth0] is not an IP address"},
		{name: "a bad length", nets: []string{"10.0.0.0/33"}, reason: "allowed_networks entry [10.0.0.0/33] is not"},
		{name: "too many", nets: tooMany, reason: "allowed_networks has [101] entries; at most [100] are allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "k"
			resp, err := fx.svc.CreateAPIKeyExtended(owner, &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}, AllowedNetworks: c.nets})
			if c.reason != "" {
				wantErr(t, err, 400, "action_request_validation_exception", c.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fx.allowedNetworks(resp.ID); !slices.Equal(got, c.want) {
				t.Fatalf("allowed_networks %q, want %q", got, c.want)
			}
		})
	}
}

// TestAllowedNetworksShownWhenAsked: get and query show allowed_networks
// only with with_restrictions.
func TestAllowedNetworksShownWhenAsked(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	k := fx.createBound(owner, "bound", "10.0.0.0/8")
	for _, c := range []struct {
		name string
		ask  bool
		want []string
	}{{"not asked", false, nil}, {"asked", true, []string{"10.0.0.0/8"}}} {
		t.Run(c.name, func(t *testing.T) {
			got, err := fx.svc.GetAPIKeys(owner, &api.GetAPIKeysRequest{ID: k.ID, Owner: true, WithRestrictions: c.ask})
			if err != nil || !slices.Equal(got.APIKeys[0].AllowedNetworks, c.want) {
				t.Fatalf("get: %v %v, want %q", got, err, c.want)
			}
			q, err := fx.svc.QueryAPIKeys(owner, &api.QueryAPIKeysRequest{WithRestrictions: c.ask})
			if err != nil || len(q.APIKeys) != 1 || !slices.Equal(q.APIKeys[0].AllowedNetworks, c.want) {
				t.Fatalf("query: %+v %v, want %q", q, err, c.want)
			}
		})
	}
}

// TestAllowedNetworksEdit: the extended update replaces the list, keeps
// it when it names none, clears it; the next authentication sees each
// change, while an unchanged key is served from the cache with its list.
func TestAllowedNetworksEdit(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	k := fx.createBound(owner, "k", "10.0.0.0/8")
	office, home := client("10.1.1.1:1"), client("198.51.100.4:1")
	auth := func(ctx context.Context) error {
		_, err := fx.svc.AuthenticateCredential(ctx, keyCred(k))
		return err
	}
	update := func(req *api.ExtendedUpdateAPIKeyRequest) {
		t.Helper()
		req.ID = k.ID
		if _, err := fx.svc.UpdateAPIKeyExtended(owner, req); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name         string
		change       *api.ExtendedUpdateAPIKeyRequest
		want         []string
		office, home bool
	}{
		{name: "as created", want: []string{"10.0.0.0/8"}, office: true},
		{name: "replaced", change: &api.ExtendedUpdateAPIKeyRequest{AllowedNetworks: &[]string{"198.51.100.0/24"}}, want: []string{"198.51.100.0/24"}, home: true},
		{name: "another change keeps them", change: &api.ExtendedUpdateAPIKeyRequest{Name: ptr("renamed")}, want: []string{"198.51.100.0/24"}, home: true},
		{name: "cleared", change: &api.ExtendedUpdateAPIKeyRequest{AllowedNetworks: &[]string{}}, office: true, home: true},
	}
	for _, s := range steps {
		if s.change != nil {
			update(s.change)
		}
		if got := fx.allowedNetworks(k.ID); !slices.Equal(got, s.want) {
			t.Errorf("%s: allowed_networks %q, want %q", s.name, got, s.want)
		}
		for _, from := range []struct {
			where string
			ctx   context.Context
			ok    bool
		}{{"office", office, s.office}, {"home", home, s.home}} {
			// Twice: the second authentication is the cache's.
			for range 2 {
				if err := auth(from.ctx); (err == nil) != from.ok {
					t.Errorf("%s: from %s: %v, want authenticated %v", s.name, from.where, err, from.ok)
				}
			}
		}
	}
	_, err := fx.svc.UpdateAPIKeyExtended(owner, &api.ExtendedUpdateAPIKeyRequest{ID: k.ID, AllowedNetworks: &[]string{"10.0.0.1/8"}})
	wantErr(t, err, 400, "action_request_validation_exception", "did you mean [10.0.0.0/8]?")
}

// TestAllowedNetworksCloneAndRotate: a clone is bound to its source's
// networks, may narrow them and may not widen them, and its source is
// refused from outside them as a wrong secret is; a rotation's successor
// inherits the old key's, or takes others, or none.
func TestAllowedNetworksCloneAndRotate(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) { o.PasswordHashing = "bcrypt4" })
	owner := fx.as("owner")
	src := fx.createBound(owner, "src", "10.0.0.0/8", "local")
	free := fx.create(owner, "free")
	// The caller of a clone is a user with clone_api_key; the source key
	// is proved by its credential, from the caller's address.
	inside, outside := auth.WithSubject(client("10.0.0.9:1"), auth.OSSubject("root")), auth.WithSubject(client("192.0.2.1:1"), auth.OSSubject("root"))
	clone := func(ctx context.Context, of *api.CreateAPIKeyResponse, nets []string) (*api.CreateAPIKeyResponse, error) {
		return fx.svc.CloneAPIKeyExtended(ctx, &api.ExtendedCloneAPIKeyRequest{CloneAPIKeyRequest: api.CloneAPIKeyRequest{APIKey: of.Encoded}, AllowedNetworks: nets})
	}
	for _, c := range []struct {
		name   string
		ctx    context.Context
		of     *api.CreateAPIKeyResponse
		nets   []string
		want   []string
		status int
		reason string
	}{
		{name: "inherits", ctx: inside, of: src, want: []string{"10.0.0.0/8", "local"}},
		{name: "narrows", ctx: inside, of: src, nets: []string{"10.1.0.0/16", "10.2.3.4"}, want: []string{"10.1.0.0/16", "10.2.3.4/32"}},
		{name: "widens", ctx: inside, of: src, nets: []string{"0.0.0.0/0"}, status: 400, reason: "allowed_networks of a clone must lie within those of its source [" + src.ID + "]: 10.0.0.0/8, local"},
		{name: "drops them", ctx: inside, of: src, nets: []string{}, status: 400, reason: "must lie within those of its source"},
		{name: "from outside", ctx: outside, of: src, status: 403, reason: "invalid credentials for API key [" + src.ID + "]"},
		{name: "an unbound source takes any", ctx: outside, of: free, nets: []string{"192.0.2.0/24"}, want: []string{"192.0.2.0/24"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := clone(c.ctx, c.of, c.nets)
			if c.reason != "" {
				typ := "action_request_validation_exception"
				if c.status == 403 {
					typ = "security_exception"
				}
				wantErr(t, err, c.status, typ, c.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fx.allowedNetworks(resp.ID); !slices.Equal(got, c.want) {
				t.Fatalf("allowed_networks %q, want %q", got, c.want)
			}
		})
	}
	// Elasticsearch's clone, from outside: refused alike.
	_, err := fx.svc.CloneAPIKey(outside, &api.CloneAPIKeyRequest{APIKey: src.Encoded})
	wantErr(t, err, 403, "security_exception", "invalid credentials for API key ["+src.ID+"]")

	for _, c := range []struct {
		name string
		nets *[]string
		want []string
	}{
		{name: "inherits", want: []string{"10.0.0.0/8", "local"}},
		{name: "replaces", nets: &[]string{"172.16.0.0/12"}, want: []string{"172.16.0.0/12"}},
		{name: "clears", nets: &[]string{}},
	} {
		t.Run("rotate "+c.name, func(t *testing.T) {
			old := fx.createBound(owner, "rot-"+c.name, "10.0.0.0/8", "local")
			resp, err := fx.svc.RotateAPIKey(owner, &api.RotateAPIKeyRequest{ID: old.ID, AllowedNetworks: c.nets})
			if err != nil {
				t.Fatal(err)
			}
			if got := fx.allowedNetworks(resp.ID); !slices.Equal(got, c.want) {
				t.Fatalf("successor's allowed_networks %q, want %q", got, c.want)
			}
		})
	}
}

// TestAllowedNetworksThrottle: a refusal counts as a failed attempt, as a
// wrong secret does: past the limit the key's attempts from outside are
// 429, while from inside it keeps working (its hash is fast).
func TestAllowedNetworksThrottle(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 2, Window: time.Minute}
	})
	k := fx.createBound(fx.as("owner"), "k", "10.0.0.0/8")
	outside := client("192.0.2.1:1")
	for range 2 {
		_, err := fx.svc.AuthenticateCredential(outside, keyCred(k))
		wantErr(t, err, 401, "security_exception", "unable to authenticate")
	}
	_, err := fx.svc.AuthenticateCredential(outside, keyCred(k))
	wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts")
	if _, err := fx.svc.AuthenticateCredential(client("10.0.0.1:1"), keyCred(k)); err != nil {
		t.Fatalf("from inside: %v", err)
	}
}

// TestAllowedNetworksFromTheCache: the cached record of a key carries its
// networks, parsed: once the key is cached, accepting and refusing
// clients read nothing from the store; a change by another process is
// seen by the next authentication.
func TestAllowedNetworksFromTheCache(t *testing.T) {
	tp := newTwoProcesses(t)
	name := "bound"
	k, err := tp.daemon.CreateAPIKeyExtended(tp.root, &api.ExtendedCreateAPIKeyRequest{CreateAPIKeyRequest: api.CreateAPIKeyRequest{Name: &name}, AllowedNetworks: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	inside, outside := client("10.0.0.1:1"), client("192.0.2.1:1")
	if _, err := tp.daemon.AuthenticateCredential(inside, keyCred(k)); err != nil {
		t.Fatal(err)
	}
	before := tp.reads.views.Load()
	for range 5 {
		if _, err := tp.daemon.AuthenticateCredential(inside, keyCred(k)); err != nil {
			t.Fatalf("inside: %v", err)
		}
		if _, err := tp.daemon.AuthenticateCredential(outside, keyCred(k)); err == nil {
			t.Fatal("outside: authenticated")
		}
	}
	if n := tp.reads.views.Load() - before; n != 0 {
		t.Errorf("10 authentications of a cached bound key read the store %d times", n)
	}
	if _, err := tp.other.UpdateAPIKeyExtended(tp.root, &api.ExtendedUpdateAPIKeyRequest{ID: k.ID, AllowedNetworks: &[]string{"192.0.2.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.daemon.AuthenticateCredential(outside, keyCred(k)); err != nil {
		t.Fatalf("after the other process moved the key: %v", err)
	}
	_, err = tp.daemon.AuthenticateCredential(inside, keyCred(k))
	wantUnsuccessful(t, err, "API key: invalid credentials for API key ["+k.ID+"]")
}

// TestThrottleByForwardedClient: behind a trusted proxy the brake counts
// the forwarded client, not the proxy every client shares.
func TestThrottleByForwardedClient(t *testing.T) {
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 2, Window: time.Minute}
	})
	viaProxy := func(client string) context.Context {
		return auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: "10.0.0.2:443", Client: netip.MustParseAddr(client)})
	}
	for _, user := range []string{"owner", "other"} {
		_, err := fx.svc.AuthenticateCredential(viaProxy("192.0.2.1"), basic(user, "guess"))
		wantErr(t, err, 401, "security_exception", "unable to authenticate user")
	}
	_, err := fx.svc.AuthenticateCredential(viaProxy("192.0.2.1"), basic("reader", "guess"))
	wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts")
	if _, err := fx.svc.AuthenticateCredential(viaProxy("198.51.100.1"), basic("admin", "password-admin")); err != nil {
		t.Fatalf("another client behind the proxy: %v", err)
	}
}

// TestExplainNetwork: explain lists the network check only for a key
// bound to networks, checks the address asked about (or the caller's
// own), and answers as authentication from there does.
func TestExplainNetwork(t *testing.T) {
	fx := newFixture(t)
	owner := fx.as("owner")
	bound := fx.createBound(owner, "bound", "10.0.0.0/8")
	free := fx.create(owner, "free")
	for _, c := range []struct {
		name   string
		ctx    context.Context
		key    *api.CreateAPIKeyResponse
		client string
		from   context.Context // where authentication is asked from; nil: no network check listed
		pass   bool
	}{
		{name: "inside", ctx: owner, key: bound, client: "10.1.2.3", from: client("10.1.2.3:1"), pass: true},
		{name: "outside", ctx: owner, key: bound, client: "11.0.0.1", from: client("11.0.0.1:1")},
		{name: "local", ctx: owner, key: bound, client: api.AllowedNetworkLocal, from: unixPeer()},
		{name: "the caller's own address", ctx: auth.WithOrigin(owner, auth.Origin{Type: auth.OriginREST, Address: "10.9.9.9:1", Client: netip.MustParseAddr("10.9.9.9")}),
			key: bound, from: client("10.9.9.9:1"), pass: true},
		{name: "unbound key", ctx: owner, key: free, client: "11.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := fx.svc.ExplainAPIKey(c.ctx, &api.ExplainRequest{APIKey: resp64(c.key), ClientAddress: c.client})
			if err != nil {
				t.Fatal(err)
			}
			var network *api.ExplainCheck
			for i := range resp.Checks {
				if resp.Checks[i].Name == api.CheckNetwork {
					network = &resp.Checks[i]
				}
			}
			if c.from == nil {
				if network != nil || !resp.Accepted {
					t.Fatalf("an unbound key: network check %+v, accepted %v", network, resp.Accepted)
				}
				return
			}
			if network == nil || (network.Status == api.ExplainPass) != c.pass || resp.Accepted != c.pass {
				t.Fatalf("network check %+v, accepted %v; want pass %v", network, resp.Accepted, c.pass)
			}
			_, authErr := fx.svc.AuthenticateCredential(c.from, keyCred(c.key))
			want := api.ExplainAnswer{Status: 200}
			if e, ok := api.AsError(authErr); ok {
				want = api.ExplainAnswer{Status: e.Code.Status(), Type: e.ErrType(), Reason: e.Reason}
				want.AdditionalUnsuccessfulCredentials, _ = e.Fields["additional_unsuccessful_credentials"].(string)
			}
			if resp.Answer != want {
				t.Fatalf("answer %+v,\nauthentication from there %+v", resp.Answer, want)
			}
		})
	}
	if _, err := fx.svc.ExplainAPIKey(owner, &api.ExplainRequest{APIKey: resp64(bound), ClientAddress: "10.0.0.0/8"}); api.ErrorCode(err) != api.Invalid {
		t.Fatalf("a network as client_address: %v, want a 400", err)
	}
}

// resp64 is the encoded credential of a created key.
func resp64(r *api.CreateAPIKeyResponse) string { return encode(r.ID, r.APIKey) }
