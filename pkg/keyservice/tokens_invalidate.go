package keyservice

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// InvalidateToken answers DELETE /_security/oauth2/token: it invalidates
// one access token, one refresh token, or every active token of a realm
// and/or user, in one transaction. The caller needs manage_token (or
// manage_security, all).
func (s *Service) InvalidateToken(ctx context.Context, req *api.InvalidateTokenRequest) (*api.InvalidateTokenResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	byOwner, err := validateInvalidateToken(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.require(ctx, sub, auth.ActionInvalidateToken, auth.Granted); err != nil {
		return nil, err
	}
	nowMillis := s.nowMillis()
	resp := &api.InvalidateTokenResponse{}
	err = s.store.Update(ctx, func(w store.Writer) error {
		*resp = api.InvalidateTokenResponse{}
		tokens, err := tokensToInvalidate(ctx, w, req, byOwner, nowMillis)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			changed := false
			// Refresh tokens first, as Elasticsearch does, so that none
			// can mint a new access token meanwhile; then access tokens.
			if (byOwner && t.RefreshHash != "") || req.RefreshToken != "" {
				count(resp, &t.RefreshInvalidated, &changed)
			}
			if byOwner || req.Token != "" {
				count(resp, &t.Invalidated, &changed)
			}
			if changed {
				if err := w.UpdateToken(ctx, t); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("invalidate tokens", err)
	}
	var names []string
	if req.RealmName != "" {
		names = append(names, "realm_name="+req.RealmName)
	}
	if req.Username != "" {
		names = append(names, "username="+req.Username)
	}
	s.audit(ctx, AuditEvent{
		Action: AuditInvalidateTokens, Request: auth.ActionInvalidateToken, Subject: sub, Names: names,
		Reason: fmt.Sprintf("invalidated %d, previously invalidated %d", resp.InvalidatedTokens, resp.PreviouslyInvalidatedTokens),
	})
	s.afterInvalidation()
	return resp, nil
}

// validateInvalidateToken checks the request and reports whether it
// selects tokens by owner (realm and/or user) rather than by token string.
func validateInvalidateToken(req *api.InvalidateTokenRequest) (byOwner bool, err error) {
	if err := req.Check(); err != nil {
		return false, err
	}
	byOwner = strings.TrimSpace(req.RealmName) != "" || strings.TrimSpace(req.Username) != ""
	var v api.Validation
	switch {
	case byOwner && (req.Token != "" || req.RefreshToken != ""):
		v.Add("token string must not be provided when realm name or username is specified")
		v.Add("token type must not be provided when realm name or username is specified")
	case !byOwner && req.Token == "" && req.RefreshToken == "":
		v.Add("token string must be provided when not specifying a realm name or a username")
	}
	return byOwner, v.Err()
}

// tokensToInvalidate finds the tokens the request names: every active one
// of the owner, or the one a token string names (none when unknown).
func tokensToInvalidate(ctx context.Context, w store.Writer, req *api.InvalidateTokenRequest, byOwner bool, nowMillis int64) ([]*store.Token, error) {
	if byOwner {
		return w.FindTokens(ctx, store.TokenFilter{
			Realm:        req.RealmName,
			Principal:    req.Username,
			ActiveAt:     nowMillis,
			RefreshSince: nowMillis - RefreshTokenLifetime.Milliseconds(),
		})
	}
	get, hash := w.GetTokenByAccessHash, tokenHash(req.Token)
	if req.RefreshToken != "" {
		get, hash = w.GetTokenByRefreshHash, tokenHash(req.RefreshToken)
	}
	t, err := get(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*store.Token{t}, nil
}

// count invalidates one token of a pair, counting it as invalidated or,
// when it already was, as previously invalidated.
func count(resp *api.InvalidateTokenResponse, invalidated, changed *bool) {
	if *invalidated {
		resp.PreviouslyInvalidatedTokens++
		return
	}
	*invalidated, *changed = true, true
	resp.InvalidatedTokens++
}
