package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/client"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// Exit codes of apikeyctl; `apikeyctl help exit-codes` documents them.
const (
	ExitOK           = 0
	ExitError        = 1
	ExitUsage        = 2
	ExitNotFound     = 3
	ExitAuth         = 4
	ExitForbidden    = 5
	ExitPartial      = 6
	ExitUnreachable  = 7
	ExitExpiring     = 8
	ExitConflict     = 9
	ExitInterrupted  = 130
	exitCodesSummary = `0 ok (also an empty result), 1 error, 2 usage, 3 not found, 4 authentication, 5 forbidden, 6 partial failure, 7 target unreachable, 8 keys expire soon (expiring), 9 conflict (the keys changed since they were read: a plan that no longer holds), 130 interrupted`
)

// UsageError is a command line the user got wrong.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf makes a UsageError.
func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// PartialError is work that succeeded for some items and failed for others.
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// InterruptedError is work stopped by Ctrl-C or SIGTERM, saying what
// became of it; it is a context.Canceled.
type InterruptedError struct{ Msg string }

func (e *InterruptedError) Error() string { return "interrupted: " + e.Msg }
func (e *InterruptedError) Unwrap() error { return context.Canceled }

// NotFoundError is an answer that found nothing where something was named.
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }

// ExitCode is the one mapping from an error to apikeyctl's exit code.
func ExitCode(err error) int {
	var (
		usage       *UsageError
		partial     *PartialError
		notFound    *NotFoundError
		unreachable *client.UnreachableError
		noTarget    *NoTargetError
		credential  *CredentialError
		expiring    *ExpiringError
		refused     *ExplainRefusedError
		badOutput   *output.UsageError
		apiErr      *api.Error
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled), errors.Is(err, iostreams.ErrInterrupted):
		return ExitInterrupted
	case errors.As(err, &usage), errors.As(err, &badOutput):
		return ExitUsage
	case errors.As(err, &partial):
		return ExitPartial
	case errors.As(err, &expiring):
		return ExitExpiring
	case errors.As(err, &refused):
		if refused.Answer.Status == api.Unauthenticated.Status() || refused.Answer.Status == api.TooManyRequests.Status() {
			return ExitAuth
		}
		return ExitError
	case errors.As(err, &notFound):
		return ExitNotFound
	case errors.As(err, &unreachable), errors.As(err, &noTarget):
		return ExitUnreachable
	case errors.As(err, &credential):
		return ExitAuth
	case errors.As(err, &apiErr):
		switch apiErr.Code {
		case api.NotFound:
			return ExitNotFound
		case api.Unauthenticated, api.TooManyRequests:
			return ExitAuth
		case api.Forbidden:
			return ExitForbidden
		case api.Conflict:
			return ExitConflict
		}
	}
	return ExitError
}

// errorLine renders err as the one line apikeyctl prints on stderr.
func errorLine(err error) string {
	var interrupted *InterruptedError
	if errors.As(err, &interrupted) {
		return "error: " + interrupted.Error()
	}
	var expiring *ExpiringError
	if errors.As(err, &expiring) {
		return "note: " + expiring.Error()
	}
	var refused *ExplainRefusedError
	if errors.As(err, &refused) {
		return "note: " + refused.Error()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, iostreams.ErrInterrupted) {
		return "error: interrupted"
	}
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		line := fmt.Sprintf("error: %s (%d %s)", apiErr.Reason, apiErr.Code.Status(), apiErr.ErrType())
		for c := apiErr.Cause; c != nil; c = c.Cause {
			line += fmt.Sprintf(": caused by %s: %s", c.ErrType(), c.Reason)
		}
		if d, ok := apiErr.Fields["additional_unsuccessful_credentials"]; ok {
			line += fmt.Sprintf(" [%v]", d)
		}
		return line
	}
	return "error: " + err.Error()
}

// credentialHint says how to give credentials when the target refused a
// call (401) that carried none: the refusal alone does not say that
// nothing was sent, nor how to send something. For clone it adds that
// the key to clone is not the caller's credential.
func (f *Factory) credentialHint(cmd *cobra.Command, err error) string {
	var apiErr *api.Error
	if !f.anonymous || !errors.As(err, &apiErr) || apiErr.Code != api.Unauthenticated {
		return ""
	}
	hint := "no credentials were sent: authenticate with --username NAME (password from APIKEYCTL_PASSWORD, --password-stdin or a prompt), an API key in APIKEYCTL_API_KEY (or --api-key-stdin), or a context that names them (apikeyctl config set-context)"
	if cmd != nil && cmd.Name() == "clone" {
		hint += "; " + cloneCredentials
	}
	return hint
}
