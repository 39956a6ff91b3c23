package keyservice

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is apikeyd's expiry policies (api.Admin): named policies that
// give the keys of a realm, a user or a role a default and a maximum
// lifetime, and the one rule that applies them to every key that gets an
// expiration (enforceExpiryPolicy).

// Audit actions of the expiry policies.
const (
	AuditPutExpiryPolicy    = "put_expiry_policy"
	AuditDeleteExpiryPolicy = "delete_expiry_policy"
)

// policyNameRE is what an expiry policy may be called: it is a path
// segment of /_apikeyd/policy/expiry/{name}.
var policyNameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,128}$`)

// policyLimit is one lifetime of one policy: its default or its maximum.
type policyLimit struct {
	policy *api.ExpiryPolicy
	// text is the time value as the policy gives it, d its duration.
	text string
	d    time.Duration
}

// describe names the limit's policy and scope, as the errors say it:
// "expiry policy [prod-keys] (role [deployer])".
func (l *policyLimit) describe() string {
	scope, value := l.policy.Scope()
	return fmt.Sprintf("expiry policy [%s] (%s [%s])", l.policy.Name, scope, value)
}

// specificity orders scopes for the default: a user's policy before a
// role's before a realm's.
var specificity = map[string]int{api.ScopeUser: 3, api.ScopeRole: 2, api.ScopeRealm: 1}

// checkPolicy applies the rules of a policy being put, and returns its
// default and maximum durations (zero when not given).
func checkPolicy(p *api.ExpiryPolicy) (def, maxLife time.Duration, err error) {
	var v api.Validation
	if !policyNameRE.MatchString(p.Name) {
		v.Add("expiry policy name [%s] must be 1 to 128 letters, digits or [_.@-]", p.Name)
	}
	scopes := 0
	for _, s := range []string{p.Realm, p.User, p.Role} {
		if s != "" {
			scopes++
		}
	}
	if scopes != 1 {
		v.Add("an expiry policy must name exactly one of [realm], [user] or [role]")
	}
	if p.Default == "" && p.Max == "" {
		v.Add("an expiry policy must set [default], [max] or both")
	}
	for _, f := range []struct {
		name, value string
		dst         *time.Duration
	}{{"default", p.Default, &def}, {"max", p.Max, &maxLife}} {
		if f.value == "" {
			continue
		}
		d, err := api.ParseTimeValue(f.value, f.name)
		if err != nil {
			return 0, 0, err
		}
		if d < time.Second {
			v.Add("[%s] of an expiry policy must be at least one second, got [%s]", f.name, f.value)
		}
		*f.dst = d
	}
	if def > 0 && maxLife > 0 && def > maxLife {
		v.Add("[default] [%s] of an expiry policy exceeds its [max] [%s]", p.Default, p.Max)
	}
	return def, maxLife, v.Err()
}

// PutExpiryPolicy creates or replaces an expiry policy. It needs
// manage_security (or all).
func (s *Service) PutExpiryPolicy(ctx context.Context, p *api.ExpiryPolicy) (*api.PutExpiryPolicyResponse, error) {
	sub, err := s.granted(ctx, auth.ActionPutExpiryPolicy)
	if err != nil {
		return nil, err
	}
	if _, _, err := checkPolicy(p); err != nil {
		return nil, err
	}
	var created bool
	err = s.store.Update(ctx, func(w store.Writer) error {
		var err error
		created, err = w.PutExpiryPolicy(ctx, p)
		return err
	})
	if err != nil {
		return nil, s.internal("put expiry policy", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditPutExpiryPolicy, Request: auth.ActionPutExpiryPolicy, Subject: sub, Names: []string{p.Name}})
	return &api.PutExpiryPolicyResponse{Created: created}, nil
}

// GetExpiryPolicies returns the expiry policy name, or every policy when
// name is empty. It needs read_security, manage_security or all.
func (s *Service) GetExpiryPolicies(ctx context.Context, name string) (*api.GetExpiryPoliciesResponse, error) {
	if _, err := s.granted(ctx, auth.ActionGetExpiryPolicy); err != nil {
		return nil, err
	}
	var ps []*api.ExpiryPolicy
	err := s.store.View(ctx, func(r store.Reader) error {
		if name == "" {
			var err error
			ps, err = r.ListExpiryPolicies(ctx)
			return err
		}
		p, err := r.GetExpiryPolicy(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return errPolicyNotFound(name)
		}
		ps = []*api.ExpiryPolicy{p}
		return err
	})
	if err != nil {
		return nil, s.internal("get expiry policies", err)
	}
	resp := &api.GetExpiryPoliciesResponse{Policies: make([]api.ExpiryPolicy, len(ps))}
	for i, p := range ps {
		resp.Policies[i] = *p
	}
	return resp, nil
}

func errPolicyNotFound(name string) *api.Error {
	return api.Errorf(api.NotFound, "expiry policy [%s] not found", name)
}

// DeleteExpiryPolicy removes an expiry policy; one that does not exist is
// a 404. It needs manage_security (or all).
func (s *Service) DeleteExpiryPolicy(ctx context.Context, name string) (*api.DeleteExpiryPolicyResponse, error) {
	sub, err := s.granted(ctx, auth.ActionDeleteExpiryPolicy)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(w store.Writer) error {
		err := w.DeleteExpiryPolicy(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return errPolicyNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, s.internal("delete expiry policy", err)
	}
	s.audit(ctx, AuditEvent{Action: AuditDeleteExpiryPolicy, Request: auth.ActionDeleteExpiryPolicy, Subject: sub, Names: []string{name}})
	return &api.DeleteExpiryPolicyResponse{Found: true}, nil
}

// keyOwner is whom a key's lifetime is judged for: the user who will own
// it, by name, realm and roles.
type keyOwner struct {
	username   string
	realm      api.Realm
	roles      []string
	rolesKnown bool
}

// subjectOwner is the owner of the keys sub creates: itself, or for an API
// key caller the key's owner (whose roles are looked up).
func subjectOwner(sub *auth.Subject) keyOwner {
	if sub.IsAPIKey() {
		return keyOwner{username: sub.Username, realm: sub.APIKey.OwnerRealm}
	}
	return keyOwner{username: sub.Username, realm: sub.Realm, roles: sub.Roles, rolesKnown: true}
}

// creatorOwner is the owner a stored key records (clone keeps it).
func creatorOwner(c store.Creator) keyOwner {
	return keyOwner{username: c.Principal, realm: api.Realm{Name: c.Realm, Type: c.RealmType}}
}

// ownerRoles are the owner's roles: as known, else those of the user of
// the native or reserved realm, or superuser for an OS user (the only
// kind apikeyd knows of that realm).
func ownerRoles(ctx context.Context, r store.Reader, o keyOwner) ([]string, error) {
	if o.rolesKnown {
		return o.roles, nil
	}
	switch o.realm.Type {
	case auth.OSRealm.Type:
		return []string{auth.SuperuserRole}, nil
	case auth.NativeRealm.Type, auth.ReservedRealm.Type:
		u, err := r.GetUser(ctx, o.username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return u.Roles, nil
	}
	return nil, nil
}

// expiryRule is what the expiry policies say of one owner's keys: the
// default lifetime (of the most specific policy naming the owner that has
// one, ties to the shortest) and the maximum (the smallest among them).
// Nil limits are none.
type expiryRule struct {
	def, max *policyLimit
}

// expiryRuleFor reads the policies that name o: its realm (by name or
// type), its username, or one of its roles.
func expiryRuleFor(ctx context.Context, r store.Reader, o keyOwner) (expiryRule, error) {
	var rule expiryRule
	ps, err := r.ListExpiryPolicies(ctx)
	if err != nil || len(ps) == 0 {
		return rule, err
	}
	roles, err := ownerRoles(ctx, r, o)
	if err != nil {
		return rule, err
	}
	for _, p := range ps {
		var applies bool
		switch scope, value := p.Scope(); scope {
		case api.ScopeRealm:
			applies = value == o.realm.Name || value == o.realm.Type
		case api.ScopeUser:
			applies = value == o.username
		case api.ScopeRole:
			applies = slices.Contains(roles, value)
		}
		if !applies {
			continue
		}
		def, maxLife, err := checkPolicy(p)
		if err != nil {
			return rule, fmt.Errorf("stored expiry policy %q: %w", p.Name, err)
		}
		if maxLife > 0 && (rule.max == nil || maxLife < rule.max.d) {
			rule.max = &policyLimit{policy: p, text: p.Max, d: maxLife}
		}
		if def > 0 && (rule.def == nil || moreSpecific(p, def, rule.def)) {
			rule.def = &policyLimit{policy: p, text: p.Default, d: def}
		}
	}
	return rule, nil
}

// moreSpecific reports whether a default d of p wins over cur.
func moreSpecific(p *api.ExpiryPolicy, d time.Duration, cur *policyLimit) bool {
	ps, _ := p.Scope()
	cs, _ := cur.policy.Scope()
	if specificity[ps] != specificity[cs] {
		return specificity[ps] > specificity[cs]
	}
	return d < cur.d
}

// apply returns the expiration a key gets under the rule: expiration as
// asked (asked is its time value, nil when the request gave none and
// expiration, if any, comes from elsewhere, as a clone's), the default
// when there is none (cut to the maximum), or the 400 when it is beyond
// the maximum or missing where only a maximum is set.
func (rule expiryRule) apply(asked *string, expiration *int64, now time.Time) (*int64, error) {
	var v api.Validation
	switch {
	case expiration == nil && rule.def != nil:
		d := rule.def.d
		if rule.max != nil && rule.max.d < d {
			d = rule.max.d
		}
		at := now.Add(d.Truncate(time.Second)).UnixMilli()
		return &at, nil
	case expiration == nil && rule.max != nil:
		v.Add("API key expiration is required by the maximum [%s] of %s", rule.max.text, rule.max.describe())
	case expiration != nil && rule.max != nil && *expiration > now.Add(rule.max.d).UnixMilli():
		text := formatLifetime(time.Duration(*expiration-now.UnixMilli()) * time.Millisecond)
		if asked != nil {
			text = *asked
		}
		v.Add("expiration [%s] exceeds the maximum [%s] of %s", text, rule.max.text, rule.max.describe())
	}
	return expiration, v.Err()
}

// inherit returns the expiration a key gets under the rule when it takes
// expiration from the key it succeeds (a rotation), which nobody asked
// for: the default when there is none (cut to the maximum), and never
// beyond the maximum, which cuts it rather than refusing the rotation.
func (rule expiryRule) inherit(expiration *int64, now time.Time) *int64 {
	if expiration == nil {
		at, _ := rule.apply(nil, nil, now)
		return at
	}
	if rule.max != nil {
		if limit := now.Add(rule.max.d).UnixMilli(); *expiration > limit {
			return &limit
		}
	}
	return expiration
}

// formatLifetime writes d, to the second, as a time value in its largest
// whole unit.
func formatLifetime(d time.Duration) string {
	d = d.Truncate(time.Second)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.unit && d%u.unit == 0 {
			return fmt.Sprintf("%d%s", d/u.unit, u.suffix)
		}
	}
	return "0s"
}

// enforceExpiryPolicy is the one rule of expiry policies, applied inside
// the transaction that writes a key (create, clone, cross-cluster create,
// an update that sets an expiration; grant, which writes many keys of one
// owner, reads the rule once and applies it to each; a rotation takes its
// expiration through the rule's inherit): it returns the expiration the
// key of owner gets, given the expiration the request asked (asked, its time value, nil when none was given; expiration, the
// instant, nil for none). Without a policy naming the owner it returns
// expiration unchanged.
func enforceExpiryPolicy(ctx context.Context, r store.Reader, owner keyOwner, asked *string, expiration *int64, now time.Time) (*int64, error) {
	rule, err := expiryRuleFor(ctx, r, owner)
	if err != nil {
		return nil, err
	}
	return rule.apply(asked, expiration, now)
}
