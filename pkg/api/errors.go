package api

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Each code maps to exactly one HTTP status and one
// Elasticsearch error type at the HTTP boundary (see CodeStatus and CodeType)
// and to one exit code in the CLI.
type Code int

// The error vocabulary. Codes name what went wrong from the caller's point of
// view; the Elasticsearch exception type is derived from them.
const (
	// Internal is a failure that is not the caller's fault.
	Internal Code = iota
	// Invalid is a request that is wrong as a whole (illegal_argument_exception).
	Invalid
	// ValidationFailed lists one or more field rules that a request broke
	// (action_request_validation_exception).
	ValidationFailed
	// ParseFailed is a body that does not fit the parser (x_content_parse_exception).
	ParseFailed
	// BadFormat is a value that could not be parsed (parse_exception).
	BadFormat
	// BadStatus is a request Elasticsearch rejects with a status_exception.
	BadStatus
	// Unauthenticated is a caller whose credentials are missing or wrong (401).
	Unauthenticated
	// Forbidden is an authenticated caller without the privilege (403).
	Forbidden
	// NotFound is a resource that does not exist (404).
	NotFound
	// Conflict is a concurrent modification (409).
	Conflict
	// Unavailable is a request the service cannot carry out now: its
	// database cannot be written (read-only, or no space left). Nothing
	// was changed (503 cluster_block_exception).
	Unavailable
	// TimedOut is a request that did not finish within the time the
	// service gives one; it was cancelled (503 timeout_exception).
	TimedOut
	// TooManyRequests is a caller refused for a while, after too many
	// failed authentication attempts (429, with Retry-After).
	TooManyRequests
)

// codeInfo is the one table that ties a Code to its HTTP status and
// Elasticsearch exception type.
var codeInfo = map[Code]struct {
	status int
	typ    string
}{
	Internal:         {500, "exception"},
	Invalid:          {400, "illegal_argument_exception"},
	ValidationFailed: {400, "action_request_validation_exception"},
	ParseFailed:      {400, "x_content_parse_exception"},
	BadFormat:        {400, "parse_exception"},
	BadStatus:        {400, "status_exception"},
	Unauthenticated:  {401, "security_exception"},
	Forbidden:        {403, "security_exception"},
	NotFound:         {404, "resource_not_found_exception"},
	Conflict:         {409, "version_conflict_engine_exception"},
	Unavailable:      {503, "cluster_block_exception"},
	TimedOut:         {503, "timeout_exception"},
	TooManyRequests:  {429, "too_many_requests"},
}

// Status is the HTTP status Elasticsearch answers for c.
func (c Code) Status() int { return codeInfo[c].status }

// Type is the Elasticsearch exception type for c.
func (c Code) Type() string { return codeInfo[c].typ }

// CodeFor finds the Code for an HTTP status and Elasticsearch exception type,
// the reverse of Status and Type. Unknown pairs map by status alone.
func CodeFor(status int, typ string) Code {
	for c, info := range codeInfo {
		if info.status == status && info.typ == typ {
			return c
		}
	}
	switch {
	case status == 401:
		return Unauthenticated
	case status == 403:
		return Forbidden
	case status == 404:
		return NotFound
	case status == 409:
		return Conflict
	case status == 429:
		// A throttled secondary credential: 429 inside Elasticsearch's
		// security_exception "Failed to authenticate secondary user".
		return TooManyRequests
	case status >= 400 && status < 500:
		return Invalid
	}
	return Internal
}

// Error is an error the caller should see: its Code decides the status and
// type, Reason is Elasticsearch's message. Cause nests like caused_by.
type Error struct {
	Code   Code
	Reason string
	// Type overrides Code.Type() for causes that carry a type of their own
	// (for example the illegal_argument_exception inside a status_exception).
	Type string
	// Cause is rendered as caused_by.
	Cause *Error
	// Fields are extra top-level fields of the exception, such as
	// additional_unsuccessful_credentials.
	Fields map[string]any
	// Header holds response headers the exception carries (WWW-Authenticate).
	Header map[string][]string
	// RootCause, when set, is the root_cause list of the error's envelope:
	// the exceptions that really failed, as for a search whose shards
	// failed. By default root_cause is the error itself without its cause.
	RootCause []*Error
}

// Error returns the reason, with the cause's reason appended.
func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Reason + ": " + e.Cause.Error()
	}
	return e.Reason
}

// ErrType is the Elasticsearch exception type of e.
func (e *Error) ErrType() string {
	if e.Type != "" {
		return e.Type
	}
	return e.Code.Type()
}

// Errorf makes an Error with a formatted reason.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Wrap returns e with cause attached as its caused_by.
func (e *Error) Wrap(cause *Error) *Error {
	e.Cause = cause
	return e
}

// ErrorCode returns the Code of err if it is (or wraps) an *Error, and
// Internal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Validation accumulates the messages of an action_request_validation_exception.
type Validation struct {
	msgs []string
}

// Add records a failed rule.
func (v *Validation) Add(format string, args ...any) {
	v.msgs = append(v.msgs, fmt.Sprintf(format, args...))
}

// Err returns nil when nothing failed, else the Elasticsearch
// "Validation Failed: 1: ...;2: ...;" error.
func (v *Validation) Err() error {
	if len(v.msgs) == 0 {
		return nil
	}
	reason := "Validation Failed: "
	for i, m := range v.msgs {
		reason += fmt.Sprintf("%d: %s;", i+1, m)
	}
	return &Error{Code: ValidationFailed, Reason: reason}
}

// Messages returns the failed rules in order.
func (v *Validation) Messages() []string { return v.msgs }
