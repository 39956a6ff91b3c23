package output

import (
	"strings"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/api"
)

// explainResponses are an expired key explained by an administrator, and
// the refusal a caller who is not one sees.
func explainResponses() map[string]api.ExplainResponse {
	return map[string]api.ExplainResponse{
		"explain-expired": {
			ID: "VuaCfGcBCdbkQm-e5aOx", Name: "billing",
			Verdict: "refused: api key is expired",
			Checks: []api.ExplainCheck{
				{Name: api.CheckFound, Status: api.ExplainPass, Message: "API key [VuaCfGcBCdbkQm-e5aOx] named [billing] exists, created 2026-11-20T12:00:00Z"},
				{Name: api.CheckInvalidated, Status: api.ExplainPass, Message: "the key has not been invalidated"},
				{Name: api.CheckSecret, Status: api.ExplainNotChecked, Message: "explained by id: the secret was not given"},
				{Name: api.CheckType, Status: api.ExplainPass, Message: "a rest key, usable on the REST API"},
				{Name: api.CheckExpiration, Status: api.ExplainFail, Message: "the key expired 2026-11-23T12:00:00Z", At: ms(-day)},
				{Name: api.CheckThrottling, Status: api.ExplainPass, Message: "the brake on failed authentication attempts is off"},
			},
			Answer: api.ExplainAnswer{Status: 401, Type: "security_exception",
				Reason:                            "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
				AdditionalUnsuccessfulCredentials: "API key: api key is expired"},
		},
		"explain-accepted": {
			ID: "VuaCfGcBCdbkQm-e5aOx", Name: "billing", Accepted: true, Verdict: "accepted: authenticates as [alice] of realm [default_native]",
			Checks: []api.ExplainCheck{{Name: api.CheckFound, Status: api.ExplainPass, Message: "exists"}},
			Answer: api.ExplainAnswer{Status: 200},
		},
	}
}

func TestExplainGolden(t *testing.T) {
	for name, r := range explainResponses() {
		for _, m := range allModes {
			t.Run(name+"/"+m.name, func(t *testing.T) {
				opts := Options{}
				if !m.tty {
					opts.Format = Table
				}
				got := mustRun(t, m, opts, r)
				if m.name != modeTTY.name && strings.Contains(got, "\x1b") {
					t.Errorf("escape sequence without colour:\n%q", got)
				}
				assertGolden(t, name+"."+m.name, got)
			})
		}
	}
}
