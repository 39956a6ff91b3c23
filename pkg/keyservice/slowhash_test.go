package keyservice

import (
	"context"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// TestSlowHashesBounded: while every slot of slow work is taken (password
// guessing), a password waits for one, and an API key with a fast hash,
// or a password already verified, does not.
func TestSlowHashesBounded(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/keys.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, Options{PasswordHashing: "bcrypt4"})
	if err != nil {
		t.Fatal(err)
	}
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	for _, u := range []string{"known", "fresh"} {
		pw := "password-" + u
		if _, err := s.PutUser(root, &api.PutUserRequest{Username: u, Password: &pw, Roles: []string{"superuser"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeBasic, Username: "known", Password: "password-known"}); err != nil {
		t.Fatal(err)
	}
	name := "k"
	key, err := s.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}

	for range cap(s.slow) {
		s.slow <- struct{}{}
	}
	// The password to hash waits for a slot...
	fresh := make(chan error, 1)
	go func() {
		_, err := s.AuthenticateCredential(ctx, auth.Credential{Scheme: auth.SchemeBasic, Username: "fresh", Password: "password-fresh"})
		fresh <- err
	}()
	// ...while what needs no slow hash is answered (the deadline is a
	// failure guard: without a slot to wait for, nothing here blocks).
	for _, c := range []struct {
		name string
		cred auth.Credential
	}{
		{name: "API key", cred: auth.Credential{Scheme: auth.SchemeAPIKey, KeyID: key.ID, KeySecret: key.APIKey}},
		{name: "verified password", cred: auth.Credential{Scheme: auth.SchemeBasic, Username: "known", Password: "password-known"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := s.AuthenticateCredential(ctx, c.cred)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("waited for a slot of slow work")
			}
		})
	}
	select {
	case err := <-fresh:
		t.Fatalf("a password was hashed with every slot taken: %v", err)
	default:
	}
	for range cap(s.slow) {
		<-s.slow
	}
	if err := <-fresh; err != nil {
		t.Fatal(err)
	}
}
