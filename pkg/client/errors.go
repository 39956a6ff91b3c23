package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"syscall"
)

// UnreachableError is a target the client could not connect to: no socket,
// a refused connection, a failed TLS handshake.
type UnreachableError struct {
	// Target is the socket path or the base URL.
	Target string
	// Err is the cause.
	Err error
}

const socketAdvice = `Start it with "apikeyd" or choose a target with --db, --socket or --url`

// Error says what failed and what to do about it.
func (e *UnreachableError) Error() string {
	if !strings.Contains(e.Target, "://") {
		at := "cannot reach apikeyd at " + e.Target + ": "
		switch {
		case errors.Is(e.Err, fs.ErrNotExist):
			return at + "the socket does not exist; is apikeyd running? " + socketAdvice
		case errors.Is(e.Err, syscall.ECONNREFUSED):
			return at + "connection refused, nothing is listening on the socket; is apikeyd running? " + socketAdvice
		case errors.Is(e.Err, fs.ErrPermission):
			return at + "permission denied; run as a user allowed to use the socket (its owner or group), or choose a target with --db, --socket or --url"
		}
		return at + e.Err.Error() + "; is apikeyd running? " + socketAdvice
	}
	return "cannot reach " + e.Target + ": " + e.Err.Error() + tlsHint(e.Err)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// tlsHint returns advice for a TLS failure, or "" when err is none.
func tlsHint(err error) string {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid):
		return "; pass the certificate of the CA that signed the server's certificate with --ca-cert FILE, or skip verification with --insecure"
	case errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &record):
		return "; the server does not speak TLS, use an http:// URL"
	case errors.As(err, &alert):
		return "; the server refused the TLS handshake"
	}
	return ""
}
