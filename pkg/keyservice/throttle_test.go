package keyservice_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
)

// from is a context of a request from the TCP client at addr.
func from(addr string) context.Context {
	return auth.WithOrigin(context.Background(), auth.Origin{Type: auth.OriginREST, Address: addr})
}

func basic(user, password string) auth.Credential {
	return auth.Credential{Scheme: auth.SchemeBasic, Username: user, Password: password}
}

// TestFailedAuthenticationBrake: past the limit, a client's or a
// principal's failures are answered 429 with Retry-After; credentials that
// verify without a slow hash keep working; the window gives attempts back.
func TestFailedAuthenticationBrake(t *testing.T) {
	audit := &recordingAuditor{}
	fx := newFixture(t, func(o *keyservice.Options) {
		o.FailureLimit = keyservice.FailureLimit{Limit: 3, Window: time.Minute}
		o.Auditor = audit
	})
	svc := fx.svc
	attacker, bystander := from("192.0.2.7:40000"), from("198.51.100.1:40000")
	// owner has authenticated before the attack (its password is cached);
	// reader has not.
	fx.as("owner")
	key := fx.create(fx.root, "k")

	for range 3 {
		_, err := svc.AuthenticateCredential(attacker, basic("owner", "guess"))
		wantErr(t, err, 401, "security_exception", "unable to authenticate user [owner]")
	}
	_, err := svc.AuthenticateCredential(attacker, basic("owner", "guess"))
	wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts; retry in [20s]")
	if e, _ := api.AsError(err); e == nil || e.Header["Retry-After"][0] != "20" {
		t.Fatalf("Retry-After: %v", err)
	}

	for _, c := range []struct {
		name string
		ctx  context.Context
		cred auth.Credential
		ok   bool
	}{
		{name: "the throttled client, a cached password", ctx: attacker, cred: basic("owner", "password-owner"), ok: true},
		{name: "the throttled client, an API key", ctx: attacker, cred: auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: key.ID, KeySecret: key.APIKey}, ok: true},
		{name: "the throttled client, a password that needs bcrypt", ctx: attacker, cred: basic("reader", "password-reader")},
		{name: "another client, the throttled principal, a cached password", ctx: bystander, cred: basic("owner", "password-owner"), ok: true},
		{name: "another client, the throttled principal, a wrong password", ctx: bystander, cred: basic("owner", "guess")},
		{name: "another client, another principal", ctx: bystander, cred: basic("reader", "password-reader"), ok: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub, err := svc.AuthenticateCredential(c.ctx, c.cred)
			if c.ok {
				if err != nil || sub == nil {
					t.Fatalf("want the caller authenticated, got %v", err)
				}
				return
			}
			wantErr(t, err, 429, "too_many_requests", "too many failed authentication attempts")
		})
	}

	// Every refused attempt counted again: a full window gives back the
	// limit, and a wrong password is a plain 401 again.
	fx.clock.t = fx.clock.t.Add(time.Minute)
	_, err = svc.AuthenticateCredential(attacker, basic("owner", "guess"))
	wantErr(t, err, 401, "security_exception", "unable to authenticate user [owner]")

	var throttled int
	for _, e := range audit.events() {
		if e.Action == keyservice.AuditAuthFailed && strings.Contains(e.Reason, "too many failed authentication attempts") {
			throttled++
		}
	}
	if throttled != 3 {
		t.Errorf("%d throttled attempts audited, want 3", throttled)
	}
}

// TestFailedAuthenticationBrakeOff: without a limit, failures never turn
// into 429.
func TestFailedAuthenticationBrakeOff(t *testing.T) {
	fx := newFixture(t)
	for range 50 {
		_, err := fx.svc.AuthenticateCredential(from("192.0.2.7:1"), basic("owner", "guess"))
		wantErr(t, err, 401, "security_exception", "unable to authenticate user [owner]")
	}
}

// recordingAuditor keeps the events it is given.
type recordingAuditor struct {
	mu   sync.Mutex
	list []keyservice.AuditEvent
}

func (a *recordingAuditor) Audit(_ context.Context, e keyservice.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, e)
}

func (a *recordingAuditor) events() []keyservice.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]keyservice.AuditEvent(nil), a.list...)
}
