package api

import (
	"fmt"
	"strings"
	"time"
)

// This file holds the rules Elasticsearch applies while it reads a
// request: its body and its parameters. The decoders (and the daemon's
// parameter checks) apply them to what they read; the key service applies
// the same functions to requests built in Go (apikeyctl --db), so that the
// daemon and --db cannot answer the same mistake differently.

// The parsers of the request bodies, as Elasticsearch's errors name them.
const (
	ParserCreateAPIKey             = "api_key_request"
	ParserInvalidateAPIKey         = "invalidate_api_key"
	ParserCloneAPIKey              = "clone_api_key_request"
	ParserUpdateAPIKey             = "update_api_key_request_payload"
	ParserBulkUpdateAPIKeys        = "bulk_update_api_key_request"
	ParserCreateCrossClusterAPIKey = "cross_cluster_api_key_request"
	ParserUpdateCrossClusterAPIKey = "update_cross_cluster_api_key_request_payload"
)

// MissingField is the error of a request object without the required
// field, as the parser named parser reports it.
func MissingField(parser, field string) *Error {
	return Errorf(ParseFailed, "[%s] failed to parse object", parser).Wrap(Errorf(Invalid, "Required [%s]", field))
}

// ParseExpiration parses an expiration time value; a value that is not one
// fails as the field [expiration] of the parser named parser.
func ParseExpiration(value, parser string) (time.Duration, error) {
	d, err := ParseTimeValue(value, "expiration")
	if err != nil {
		cause, _ := AsError(err)
		return 0, FieldError(parser, "expiration", cause)
	}
	return d, nil
}

// CheckIDs applies Elasticsearch's parse-time rules for an ids array: not
// empty, and no blank id (every blank one is named).
func CheckIDs(ids []string) error {
	if len(ids) == 0 {
		return Errorf(Invalid, "Field [ids] cannot be an empty array")
	}
	var blank []string
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			blank = append(blank, fmt.Sprint(i))
		}
	}
	switch len(blank) {
	case 0:
		return nil
	case 1:
		return Errorf(Invalid, "Field [ids] must not contain blank id, but got blank id at index position: [%s]", blank[0])
	}
	return Errorf(Invalid, "Field [ids] must not contain blank id, but got blank ids at index positions: [%s]", strings.Join(blank, ", "))
}

// CheckRefresh accepts the values of the refresh parameter. A SQLite
// commit is visible at once, so all of them mean the same here.
func CheckRefresh(value string) error {
	switch value {
	case "", "true", "false", "wait_for":
		return nil
	}
	return Errorf(Invalid, "Unknown value for refresh: [%s].", value)
}

// HasReservedKey reports whether metadata has a key that starts with "_":
// Elasticsearch reserves those for itself in the metadata of keys, users
// and roles.
func HasReservedKey(metadata Metadata) bool {
	for _, m := range metadata {
		if strings.HasPrefix(m.Key, "_") {
			return true
		}
	}
	return false
}

// FieldError is the error of a field whose value breaks a rule, as the
// parser named parser reports it (the decoders add the field's position).
func FieldError(parser, field string, cause *Error) *Error {
	return Errorf(ParseFailed, "[%s] failed to parse field [%s]", parser, field).Wrap(cause)
}

// checkExpiration checks that an expiration, when given, is a time value.
func checkExpiration(value *string, parser string) error {
	if value == nil {
		return nil
	}
	_, err := ParseExpiration(*value, parser)
	return err
}

// Check applies the rules Elasticsearch's parser applies to the request:
// a name, and an expiration that is a time value.
func (r *CreateAPIKeyRequest) Check() error {
	if r.Name == nil {
		return MissingField(ParserCreateAPIKey, "name")
	}
	return checkExpiration(r.Expiration, ParserCreateAPIKey)
}

// Check applies the rules Elasticsearch's parser applies to the request:
// a name and an access, and an expiration that is a time value.
func (r *CreateCrossClusterAPIKeyRequest) Check() error {
	switch {
	case r.Name == nil:
		return MissingField(ParserCreateCrossClusterAPIKey, "name")
	case r.Access == nil:
		return MissingField(ParserCreateCrossClusterAPIKey, "access")
	}
	return checkExpiration(r.Expiration, ParserCreateCrossClusterAPIKey)
}

// Check applies the rules Elasticsearch's parser applies to the request:
// an expiration that is a time value.
func (r *UpdateAPIKeyRequest) Check() error {
	return checkExpiration(r.Expiration, ParserUpdateAPIKey)
}

// Check applies the rules Elasticsearch's parser applies to the request:
// an expiration that is a time value.
func (r *UpdateCrossClusterAPIKeyRequest) Check() error {
	return checkExpiration(r.Expiration, ParserUpdateCrossClusterAPIKey)
}

// Check applies the rules Elasticsearch's parser applies to the request:
// ids, and an expiration that is a time value.
func (r *BulkUpdateAPIKeysRequest) Check() error {
	if r.IDs == nil {
		return MissingField(ParserBulkUpdateAPIKeys, "ids")
	}
	return checkExpiration(r.Expiration, ParserBulkUpdateAPIKeys)
}

// Check applies the rules Elasticsearch's parser applies to the request:
// ids, when given, as CheckIDs wants them.
func (r *InvalidateAPIKeysRequest) Check() error {
	if r.IDs == nil {
		return nil
	}
	if err := CheckIDs(r.IDs); err != nil {
		cause, _ := AsError(err)
		return FieldError(ParserInvalidateAPIKey, "ids", cause)
	}
	return nil
}

// Check applies the rule Elasticsearch's parser enforces while building
// the request: at most one of token and refresh_token.
func (r *InvalidateTokenRequest) Check() error {
	if r.Token != "" && r.RefreshToken != "" {
		return Errorf(ParseFailed, "Failed to build [invalidate_token] after last required field arrived").
			Wrap(Errorf(Invalid, "only one of [token, refresh_token] may be sent per request"))
	}
	return nil
}
