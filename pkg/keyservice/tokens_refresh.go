package keyservice

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file refreshes tokens: the refresh_token grant, with the
// superseding pair a repeated refresh gets back.

// refreshToken exchanges a refresh token for a new token pair, once; in
// the 30 seconds after that, the same refresh token gives the same pair
// again, as Elasticsearch does for clients that retry.
func (s *Service) refreshToken(ctx context.Context, client *auth.Subject, refreshToken string) (*api.GetTokenResponse, error) {
	now := s.now()
	nowMillis := now.UnixMilli()
	// Everything random is drawn before the transaction, which may run
	// more than once.
	newAccess, newRefresh, newID := newTokenString(), newTokenString(), apikey.NewID()
	nonce := make([]byte, 12)
	salt := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, s.internal("refresh token", err)
	}
	if _, err := rand.Read(salt); err != nil {
		return nil, s.internal("refresh token", err)
	}
	clientJSON, err := json.Marshal(ownerOf(client))
	if err != nil {
		return nil, s.internal("encode token client", err)
	}
	var (
		access, refresh string
		owner           *auth.Subject
	)
	err = s.store.Update(ctx, func(w store.Writer) error {
		t, err := w.GetTokenByRefreshHash(ctx, tokenHash(refreshToken))
		if errors.Is(err, store.ErrNotFound) {
			return invalidGrant("could not refresh the requested token")
		}
		if err != nil {
			return err
		}
		if owner, err = s.refreshOwner(ctx, w, t, client, nowMillis); err != nil {
			return err
		}
		if t.Refreshed {
			access, refresh, err = s.reuseRefresh(ctx, w, t, refreshToken, nowMillis)
			return err
		}
		sealed, err := sealSuperseding(refreshToken, t.ID, newAccess, newRefresh, salt, nonce)
		if err != nil {
			return err
		}
		t.Refreshed, t.RefreshTime, t.Superseding = true, &nowMillis, sealed
		if err := w.UpdateToken(ctx, t); err != nil {
			return err
		}
		next := &store.Token{
			ID:          newID,
			AccessHash:  tokenHash(newAccess),
			RefreshHash: tokenHash(newRefresh),
			Creation:    nowMillis,
			Expiration:  now.Add(AccessTokenLifetime).UnixMilli(),
			Principal:   t.Principal,
			Realm:       t.Realm,
			Subject:     t.Subject,
			Client:      clientJSON,
		}
		access, refresh = newAccess, newRefresh
		return w.InsertToken(ctx, next)
	})
	if err != nil {
		var te *api.TokenError
		if errors.As(err, &te) {
			return nil, te
		}
		return nil, s.internal("refresh token", err)
	}
	return s.tokenResponse(ctx, access, refresh, owner)
}

// refreshOwner checks that t may be refreshed now by client (not expired,
// not invalidated, the creating client) and returns the subject it stands
// for, who must still exist.
func (s *Service) refreshOwner(ctx context.Context, r store.Reader, t *store.Token, client *auth.Subject, nowMillis int64) (*auth.Subject, error) {
	var creator, stands tokenOwner
	if err := json.Unmarshal(t.Client, &creator); err != nil {
		return nil, fmt.Errorf("token %s: decode client: %w", t.ID, err)
	}
	if err := json.Unmarshal(t.Subject, &stands); err != nil {
		return nil, fmt.Errorf("token %s: decode owner: %w", t.ID, err)
	}
	switch {
	case nowMillis > t.Creation+RefreshTokenLifetime.Milliseconds():
		return nil, invalidGrant("token document has expired")
	case t.RefreshInvalidated:
		return nil, invalidGrant("token has been invalidated")
	case !ownerOf(client).sameClient(creator):
		return nil, invalidGrant("tokens must be refreshed by the creating client")
	}
	owner, err := s.tokenSubject(ctx, r, stands)
	if err != nil {
		return nil, err
	}
	if owner == nil {
		return nil, invalidGrant("could not refresh the requested token")
	}
	return owner, nil
}

// reuseRefresh answers a refresh token used again: inside the window, with
// the tokens its first use created (decrypted with a key derived from the
// refresh token itself, which the store never sees); outside, not at all.
func (s *Service) reuseRefresh(ctx context.Context, w store.Writer, t *store.Token, refreshToken string, nowMillis int64) (string, string, error) {
	window := refreshReuseWindow.Milliseconds()
	switch {
	case t.RefreshTime == nil:
		return "", "", invalidGrant("token has already been refreshed")
	case nowMillis > *t.RefreshTime+window:
		return "", "", invalidGrant("token has already been refreshed more than 30 seconds in the past")
	case nowMillis < *t.RefreshTime-window:
		return "", "", invalidGrant("token has been refreshed more than 30 seconds in the future, clock skew too great")
	}
	access, refresh, err := openSuperseding(refreshToken, t.ID, t.Superseding)
	if err != nil {
		s.log.Warn("cannot read the tokens that superseded a refreshed token", "token_id", t.ID, "err", err)
		return "", "", invalidGrant("could not refresh the requested token")
	}
	if _, err := w.GetTokenByAccessHash(ctx, tokenHash(access)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", "", invalidGrant("could not refresh the requested token")
		}
		return "", "", err
	}
	return access, refresh, nil
}

// supersedingKey derives the key that seals the tokens superseding a
// refreshed one from its refresh token.
func supersedingKey(refreshToken string, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(refreshToken), salt, "apikeyd superseding tokens", 32)
}

// sealSuperseding encrypts the new token pair of a refresh (AES-256-GCM,
// bound to the refreshed token's id), so that only a holder of the
// refresh token can read it back.
func sealSuperseding(refreshToken, tokenID, access, refresh string, salt, nonce []byte) (string, error) {
	key, err := supersedingKey(refreshToken, salt)
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	sealed := gcm.Seal(nil, nonce, []byte(access+"|"+refresh), []byte(tokenID))
	out := make([]byte, 0, len(salt)+len(nonce)+len(sealed))
	out = append(append(append(out, salt...), nonce...), sealed...)
	return base64.StdEncoding.EncodeToString(out), nil
}

// openSuperseding reverses sealSuperseding.
func openSuperseding(refreshToken, tokenID, sealed string) (access, refresh string, err error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", "", err
	}
	const saltLen, nonceLen = 16, 12
	if len(raw) < saltLen+nonceLen {
		return "", "", errors.New("sealed tokens too short")
	}
	key, err := supersedingKey(refreshToken, raw[:saltLen])
	if err != nil {
		return "", "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", "", err
	}
	plain, err := gcm.Open(nil, raw[saltLen:saltLen+nonceLen], raw[saltLen+nonceLen:], []byte(tokenID))
	if err != nil {
		return "", "", err
	}
	access, refresh, ok := strings.Cut(string(plain), "|")
	if !ok {
		return "", "", errors.New("sealed tokens malformed")
	}
	return access, refresh, nil
}
