package query

import (
	"errors"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// payloadParser is the name of Elasticsearch's parser of the request body,
// quoted in its x_content_parse_exception reasons.
const payloadParser = "query_api_key_request_payload"

// securityIndex is the index Elasticsearch runs the search on, named in
// shard failures.
const securityIndex = ".security-7"

// parsingError is Elasticsearch's ParsingException: a 400
// parsing_exception that names the line and column of the token it failed
// on.
func parsingError(at strictjson.Pos, format string, args ...any) *api.Error {
	return &api.Error{
		Code:   api.Invalid,
		Type:   "parsing_exception",
		Reason: fmt.Sprintf(format, args...),
		Fields: map[string]any{"line": at.Line, "col": at.Col},
	}
}

// xcontentError is an x_content_parse_exception at a position, as the
// object parsers of Elasticsearch throw for unknown fields and wrong value
// types.
func xcontentError(at strictjson.Pos, format string, args ...any) *api.Error {
	return api.Errorf(api.ParseFailed, "%s %s", at, fmt.Sprintf(format, args...))
}

// invalid is an illegal_argument_exception.
func invalid(format string, args ...any) *api.Error {
	return api.Errorf(api.Invalid, format, args...)
}

// typed is a 400 exception of the given Elasticsearch type.
func typed(typ, format string, args ...any) *api.Error {
	return &api.Error{Code: api.Invalid, Type: typ, Reason: fmt.Sprintf(format, args...)}
}

// errPos returns the position an error of the parser carries, if any.
func errPos(err error) (strictjson.Pos, bool) {
	var e *api.Error
	if errors.As(err, &e) && e.Fields != nil {
		l, ok1 := e.Fields["line"].(int)
		c, ok2 := e.Fields["col"].(int)
		if ok1 && ok2 {
			return strictjson.Pos{Line: l, Col: c}, true
		}
	}
	return strictjson.Pos{}, false
}

// fieldFailure wraps an error met while parsing the value of a field of an
// object parser, as Elasticsearch's ObjectParser does: "[l:c] [parser]
// failed to parse field [name]" caused by the error. Errors that already
// are x_content_parse_exceptions of an inner parser are wrapped too.
func fieldFailure(parser, field string, at strictjson.Pos, err error) error {
	e, ok := api.AsError(err)
	if !ok {
		return err
	}
	if p, ok := errPos(e); ok {
		at = p
	}
	return xcontentError(at, "[%s] failed to parse field [%s]", parser, field).Wrap(e)
}

// ShardFailure reports an error Elasticsearch meets while it runs the search
// on the security index's shard rather than while it reads the request: a
// search_phase_execution_exception, "all shards failed", whose root cause
// and cause are the error itself. It answers 400 like its cause.
func ShardFailure(cause *api.Error) *api.Error {
	return &api.Error{
		Code:   api.Invalid,
		Type:   "search_phase_execution_exception",
		Reason: "all shards failed",
		Fields: map[string]any{
			"phase":   "query",
			"grouped": true,
			"failed_shards": []shardFailure{{
				Shard:  0,
				Index:  securityIndex,
				Reason: shardReason{Type: cause.ErrType(), Reason: cause.Reason, CausedBy: cause.Cause},
			}},
		},
		Cause:     cause,
		RootCause: []*api.Error{cause},
	}
}

// shardFailure is an entry of failed_shards.
type shardFailure struct {
	Shard  int         `json:"shard"`
	Index  string      `json:"index"`
	Reason shardReason `json:"reason"`
}

// shardReason is the exception of a failed shard.
type shardReason struct {
	Type     string     `json:"type"`
	Reason   string     `json:"reason"`
	CausedBy *api.Error `json:"caused_by,omitempty"`
}

// shardError is ShardFailure of an error of the given type.
func shardError(typ, format string, args ...any) *api.Error {
	return ShardFailure(typed(typ, format, args...))
}

// queryShardError is a query_shard_exception as Elasticsearch wraps the
// failures of building a query on the shard ("failed to create query:
// ..."), with the failure as its cause.
func queryShardError(cause *api.Error) *api.Error {
	e := &api.Error{
		Code:   api.Invalid,
		Type:   "query_shard_exception",
		Reason: "failed to create query: " + cause.Reason,
		Fields: map[string]any{"index": securityIndex},
		Cause:  cause,
	}
	return ShardFailure(e)
}
