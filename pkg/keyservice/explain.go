package keyservice

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// This file is apikeyd's explanation of an API key credential
// (POST /_apikeyd/_explain): the checks authentication makes, each with
// what it found, and the answer a request carrying the credential would
// get. The checks are authentication's own (keyChecks, brakedOutcome,
// keyNotFound, keyRefusal), so that the two cannot disagree; an
// explanation is not an attempt: it counts no failure against the brake,
// notes no use of the key, and is audited as explain_apikey.

// AuditExplainAPIKey is the audit action of an explanation. Its record
// names the key id and the verdict, never the secret.
const AuditExplainAPIKey = "explain_apikey"

// ExplainAPIKey explains the credential of req, or, for an administrator
// (manage_api_key, manage_security or all), the key req.ID as the right
// secret would find it. Any authenticated caller may explain a credential
// it holds: when the key does not exist or the secret does not match, a
// caller who is not an administrator is told only that the credential is
// not valid, the same either way, with Elasticsearch's answer without its
// detail; an administrator sees every check.
func (s *Service) ExplainAPIKey(ctx context.Context, req *api.ExplainRequest) (*api.ExplainResponse, error) {
	sub, err := s.subject(ctx)
	if err != nil {
		return nil, err
	}
	if req == nil {
		req = &api.ExplainRequest{}
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	cred := auth.Credential{Scheme: auth.SchemeAPIKey}
	byID := req.ID != ""
	if byID {
		if _, err := s.requireFor(ctx, sub, auth.ActionExplainAPIKey, false); err != nil {
			return nil, err
		}
		cred.KeyID = req.ID
	} else {
		if cred.KeyID, cred.KeySecret, err = parseExplainCredential(req.APIKey); err != nil {
			return nil, err
		}
		if err := s.prepareAudit(auth.ActionExplainAPIKey); err != nil {
			return nil, err
		}
	}
	admin := byID || auth.Authorize(sub, auth.ActionExplainAPIKey) == auth.Granted
	resp, err := s.explainAPIKey(ctx, req, cred, byID, admin)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, AuditEvent{Action: AuditExplainAPIKey, Request: auth.ActionExplainAPIKey, Subject: sub,
		APIKeyIDs: []string{cred.KeyID}, Reason: resp.Verdict})
	return resp, nil
}

// parseExplainCredential reads a credential given as Elasticsearch's
// encoded form or as id:secret (standard base64 has no colon).
func parseExplainCredential(text string) (id, secret string, err error) {
	text = strings.TrimSpace(text)
	if id, secret, ok := strings.Cut(text, ":"); ok {
		if id == "" {
			return "", "", api.Errorf(api.Invalid, "[api_key] has no id before its colon: give the encoded credential or id:secret")
		}
		return id, secret, nil
	}
	if id, secret, err = auth.ParseAPIKeyCredential(text); err != nil {
		return "", "", api.Errorf(api.Invalid, "[api_key] is not an API key credential: give the encoded credential (base64 of id:secret) or id:secret")
	}
	return id, secret, nil
}

// explainAPIKey makes the checks of authentication for cred (its secret
// left unchecked when byID) and shows them all to an administrator.
func (s *Service) explainAPIKey(ctx context.Context, req *api.ExplainRequest, cred auth.Credential, byID, admin bool) (*api.ExplainResponse, error) {
	k, err := s.explainedKey(ctx, cred.KeyID)
	if err != nil {
		return nil, s.internal("explain api key", err)
	}
	// Whether authentication would need a slow hash is what the brake
	// looks at: known is read before this explanation verifies anything.
	known := k != nil && s.secrets.known(k.ID, k.Hash)
	if k != nil && !byID && !known {
		release, err := s.slow.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
	}

	var checks []api.ExplainCheck
	// refusal is authentication's answer without the brake: its first
	// failed check.
	var refusal error
	secretOK := byID
	if k == nil {
		refusal = keyNotFound(cred.KeyID)
		checks = append(checks, api.ExplainCheck{Name: api.CheckFound, Status: api.ExplainFail,
			Message: fmt.Sprintf("no API key has id [%s]", cred.KeyID)})
	} else {
		created := k.Creation
		checks = append(checks, api.ExplainCheck{Name: api.CheckFound, Status: api.ExplainPass, At: &created,
			Message: fmt.Sprintf("API key [%s] named [%s] exists, created %s", k.ID, k.Name, explainTime(created))})
		for _, c := range keyChecks {
			if c.name == api.CheckSecret && byID {
				checks = append(checks, api.ExplainCheck{Name: c.name, Status: api.ExplainNotChecked,
					Message: "explained by id: the secret was not given, and the verdict is the one the key's secret would get"})
				continue
			}
			problem := c.problem(s, k, cred.KeySecret)
			msg, at := c.explain(s, k, problem == "")
			check := api.ExplainCheck{Name: c.name, Status: api.ExplainPass, Message: msg, At: at}
			if problem != "" {
				check.Status = api.ExplainFail
				if refusal == nil {
					refusal = keyRefusal(problem, c.standalone)
				}
			}
			if c.name == api.CheckSecret {
				secretOK = problem == ""
			}
			checks = append(checks, check)
		}
		if len(k.AllowedNetworks) > 0 {
			check, problem := explainNetwork(ctx, k, req.ClientAddress)
			if problem != nil && refusal == nil {
				refusal = problem
			}
			checks = append(checks, check)
		}
	}

	var subject *auth.Subject
	var subjectErr error
	if k != nil {
		subject, subjectErr = s.keySubject(k)
	}
	outcome := refusal
	if outcome == nil && subjectErr != nil {
		outcome = s.internal("explain api key", subjectErr)
	}
	throttling, outcome := s.explainBrake(ctx, cred, known, subject, outcome)

	resp := &api.ExplainResponse{Checks: checks}
	shown := admin || (k != nil && secretOK)
	if !shown {
		// No detail of any key: the answer without its
		// additional_unsuccessful_credentials, the same for an unknown id
		// and a wrong secret.
		resp.Checks = []api.ExplainCheck{{Name: api.CheckCredential, Status: api.ExplainFail,
			Message: "the credential is not valid: no API key has its id, or its secret does not match (an administrator can explain the key by its id)"}, throttling}
		resp.Answer = explainAnswer(outcome)
		resp.Answer.AdditionalUnsuccessfulCredentials = ""
		resp.Verdict = "refused: the credential is not valid"
		return resp, nil
	}
	resp.Checks = append(resp.Checks, throttling)
	if k != nil {
		resp.ID, resp.Name = k.ID, k.Name
		resp.Owner = &api.ExplainOwner{Username: k.Creator.Principal, Realm: k.Creator.Realm, RealmType: k.Creator.RealmType}
		owner := api.ExplainCheck{Name: api.CheckOwner, Status: api.ExplainPass,
			Message: fmt.Sprintf("authenticates as user [%s] of realm [%s] (type [%s]), the owner the key captured", k.Creator.Principal, k.Creator.Realm, k.Creator.RealmType)}
		if subjectErr != nil {
			owner.Status = api.ExplainFail
			owner.Message = "the key's stored owner or role descriptors cannot be read: see apikeyd's log"
		}
		resp.Checks = append(resp.Checks, owner)
	}
	if subject != nil {
		resp.Privileges = &api.ExplainPrivileges{RoleDescriptors: subject.APIKey.RoleDescriptors,
			LimitedBy: subject.APIKey.LimitedBy, Cluster: auth.EffectiveCluster(subject)}
		resp.Checks = append(resp.Checks, api.ExplainCheck{Name: api.CheckPrivileges, Status: api.ExplainPass,
			Message: explainPrivileges(subject, resp.Privileges.Cluster)})
	}
	resp.Answer = explainAnswer(outcome)
	switch {
	case outcome == nil && byID:
		resp.Accepted = true
		resp.Verdict = fmt.Sprintf("accepted with the key's secret: authenticates as [%s] of realm [%s]", k.Creator.Principal, k.Creator.Realm)
	case outcome == nil:
		resp.Accepted = true
		resp.Verdict = fmt.Sprintf("accepted: authenticates as [%s] of realm [%s]", k.Creator.Principal, k.Creator.Realm)
	default:
		resp.Verdict = "refused: " + explainReason(resp.Answer)
	}
	return resp, nil
}

// explainNetwork is the network check of key k, bound to networks, for a
// request from client (an address, api.AllowedNetworkLocal, or empty for
// the explaining caller's own origin): authentication's checkNetwork, and
// its refusal when it fails.
func explainNetwork(ctx context.Context, k *store.APIKey, client string) (api.ExplainCheck, error) {
	check := api.ExplainCheck{Name: api.CheckNetwork}
	n, err := storedNetworks(k.AllowedNetworks)
	if err != nil {
		check.Status = api.ExplainFail
		check.Message = "the key's stored allowed networks cannot be read: see apikeyd's log"
		return check, err
	}
	origin, _ := auth.OriginFrom(ctx)
	switch {
	case client == api.AllowedNetworkLocal:
		origin.Client, origin.Address = netip.Addr{}, "with no network address"
	case client != "":
		origin.Client, _ = netip.ParseAddr(client) // checked by the request
	}
	list := strings.Join(k.AllowedNetworks, ", ")
	if err := checkNetwork(n, origin); err != nil {
		check.Status = api.ExplainFail
		check.Message = fmt.Sprintf("%v (allowed: %s); the answer is a wrong secret's, the reason only in the audit log", err, list)
		return check, networkRefusal(k.ID, err)
	}
	check.Status = api.ExplainPass
	from := "this caller"
	if client != "" {
		from = client
	}
	check.Message = fmt.Sprintf("usable from %s (allowed: %s)", from, list)
	return check, nil
}

// explainedKey reads the key id, nil when there is none; an id longer
// than any key's is not looked up, as in keyRecord.
func (s *Service) explainedKey(ctx context.Context, id string) (*store.APIKey, error) {
	if len(id) > maxKeyIDLength {
		return nil, nil
	}
	var k *store.APIKey
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		k, err = r.GetAPIKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			k, err = nil, nil
		}
		return err
	})
	return k, err
}

// explainBrake is the throttling check of cred, made from the address
// the explanation came from, and the outcome of the attempt once the
// brake applies, as authenticateAudited has it: while it holds, a
// credential whose secret is checked without a slow hash (known) keeps
// its outcome, and every other becomes the 429.
func (s *Service) explainBrake(ctx context.Context, cred auth.Credential, known bool, subject *auth.Subject, outcome error) (api.ExplainCheck, error) {
	check := api.ExplainCheck{Name: api.CheckThrottling, Status: api.ExplainPass}
	if s.throttle == nil {
		check.Message = "the brake on failed authentication attempts is off"
		return check, outcome
	}
	limit := fmt.Sprintf("%d failed attempts per %s", int(s.throttle.limit), windowText(time.Duration(s.throttle.limit)*s.throttle.refill))
	waits := s.throttle.waits(clientName(ctx), principalName(cred))
	var held []string
	if waits[0] > 0 {
		held = append(held, "from this client's address")
	}
	if waits[1] > 0 {
		held = append(held, "for this key id")
	}
	wait := max(waits[0], waits[1])
	if wait == 0 {
		check.Message = "failed attempts from this client's address and for this key id are within the limit of " + limit
		return check, outcome
	}
	var sub *auth.Subject
	var err error
	if known {
		if outcome == nil {
			sub = subject
		} else {
			err = outcome
		}
	}
	outcome = brakedOutcome(wait, sub, err)
	what := fmt.Sprintf("too many failed attempts %s (the limit is %s): the brake holds for %ds more", strings.Join(held, " and "), limit, int(math.Ceil(wait.Seconds())))
	if outcome == nil {
		check.Message = what + ", but this key's secret is checked without a slow hash, so the right secret is still accepted"
		return check, outcome
	}
	check.Status = api.ExplainFail
	check.Message = what
	return check, outcome
}

// explainAnswer is the answer of a request whose authentication ends
// with outcome.
func explainAnswer(outcome error) api.ExplainAnswer {
	if outcome == nil {
		return api.ExplainAnswer{Status: 200}
	}
	e, ok := api.AsError(outcome)
	if !ok {
		e = &api.Error{Code: api.Internal, Reason: "the key's stored record cannot be read"}
	}
	a := api.ExplainAnswer{Status: e.Code.Status(), Type: e.ErrType(), Reason: e.Reason}
	if d, ok := e.Fields["additional_unsuccessful_credentials"].(string); ok {
		a.AdditionalUnsuccessfulCredentials = d
	}
	return a
}

// explainReason is why an answer refuses: its detail when it has one,
// its reason otherwise.
func explainReason(a api.ExplainAnswer) string {
	if d := a.AdditionalUnsuccessfulCredentials; d != "" {
		return strings.TrimPrefix(d, "API key: ")
	}
	return a.Reason
}

// explainTime renders an instant of an explanation.
func explainTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

func explainInvalidated(_ *Service, k *store.APIKey, passed bool) (string, *int64) {
	if passed {
		return "the key has not been invalidated", nil
	}
	if k.Invalidation == nil {
		return "the key was invalidated (at an unrecorded time); the audit log's invalidate_apikeys event names who invalidated it", nil
	}
	at := *k.Invalidation
	return fmt.Sprintf("the key was invalidated %s; the audit log's invalidate_apikeys event of that time names who invalidated it", explainTime(at)), &at
}

func explainSecret(_ *Service, k *store.APIKey, passed bool) (string, *int64) {
	if passed {
		return "the secret matches the key's hash", nil
	}
	return fmt.Sprintf("the secret does not match the hash of API key [%s]", k.ID), nil
}

func explainType(_ *Service, k *store.APIKey, passed bool) (string, *int64) {
	if passed {
		return "a rest key, usable on the REST API", nil
	}
	return fmt.Sprintf("a %s key: usable only between clusters, refused on the REST API", k.Type), nil
}

func explainExpiration(_ *Service, k *store.APIKey, passed bool) (string, *int64) {
	if k.Expiration == nil {
		return "the key never expires", nil
	}
	at := *k.Expiration
	if passed {
		return "the key expires " + explainTime(at), &at
	}
	return "the key expired " + explainTime(at), &at
}

// explainPrivileges says which cluster privileges the key holds.
func explainPrivileges(sub *auth.Subject, cluster []string) string {
	from := "its role descriptors within its owner's snapshot (limited-by)"
	if len(sub.APIKey.RoleDescriptors) == 0 {
		from = "no role descriptors of its own: its owner's snapshot (limited-by) alone"
	}
	if len(cluster) == 0 {
		return from + " grants no cluster privilege"
	}
	return fmt.Sprintf("%s grants the cluster privileges [%s]", from, strings.Join(cluster, ","))
}

// windowText says a duration without its trailing zero units ("1m",
// "1h", "1m30s").
func windowText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
