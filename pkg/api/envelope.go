package api

import (
	"bytes"
	"encoding/json"
	"sort"
)

// MarshalJSON renders e as an Elasticsearch exception object: type, reason,
// extra fields, caused_by, header.
func (e *Error) MarshalJSON() ([]byte, error) {
	return e.marshal(true)
}

func (e *Error) marshal(withCause bool) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSON(&b, e.ErrType())
	b.WriteString(`,"reason":`)
	writeJSON(&b, e.Reason)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSON(&b, k)
		b.WriteByte(':')
		if err := writeJSON(&b, e.Fields[k]); err != nil {
			return nil, err
		}
	}
	if withCause && e.Cause != nil {
		b.WriteString(`,"caused_by":`)
		c, err := e.Cause.marshal(true)
		if err != nil {
			return nil, err
		}
		b.Write(c)
	}
	if len(e.Header) > 0 {
		b.WriteString(`,"header":`)
		if err := writeJSON(&b, e.Header); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSON appends v's JSON to b without escaping <, > and &, as
// Elasticsearch writes them ("-> did you mean").
func writeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// Envelope renders e as a complete Elasticsearch error response body:
// {"error":{"root_cause":[...],...},"status":N}. Like Elasticsearch for its
// own exceptions, the root cause is the top exception without its cause.
func Envelope(e *Error) []byte {
	full, _ := e.marshal(true)
	var b bytes.Buffer
	b.WriteString(`{"error":{"root_cause":[`)
	roots := e.RootCause
	if len(roots) == 0 {
		roots = []*Error{e}
	}
	for i, r := range roots {
		if i > 0 {
			b.WriteByte(',')
		}
		root, _ := r.marshal(false)
		b.Write(root)
	}
	b.WriteString(`],`)
	b.Write(full[1:])
	b.WriteString(`,"status":`)
	writeJSON(&b, e.Code.Status())
	b.WriteByte('}')
	return b.Bytes()
}

// wireError is an exception object as read back from a response.
type wireError struct {
	Type     string              `json:"type"`
	Reason   string              `json:"reason"`
	CausedBy *wireError          `json:"caused_by"`
	Header   map[string][]string `json:"header"`
	Fields   map[string]any      `json:"-"`
}

func (w *wireError) toError(status int) *Error {
	e := &Error{Code: CodeFor(status, w.Type), Reason: w.Reason, Header: w.Header, Fields: w.Fields}
	if e.Code.Type() != w.Type {
		e.Type = w.Type
	}
	if w.CausedBy != nil {
		e.Cause = w.CausedBy.toError(status)
	}
	return e
}

func (w *wireError) UnmarshalJSON(data []byte) error {
	type plain wireError
	if err := json.Unmarshal(data, (*plain)(w)); err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for k, v := range all {
		switch k {
		case "type", "reason", "caused_by", "header", "root_cause", "stack_trace", "suppressed":
			continue
		}
		if w.Fields == nil {
			w.Fields = map[string]any{}
		}
		w.Fields[k] = v
	}
	return nil
}

// UnmarshalJSON reads an exception object such as an entry of
// error_details, where no HTTP status tells 401 from 403: a
// security_exception there is a refusal, Forbidden.
func (e *Error) UnmarshalJSON(data []byte) error {
	var w wireError
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	status := 400
	for c, info := range codeInfo {
		if info.typ == w.Type && c != Unauthenticated {
			status = info.status
		}
	}
	*e = *w.toError(status)
	return nil
}

// DecodeEnvelope turns an Elasticsearch error response body back into an
// Error. A body that is not an envelope becomes an error with the status's
// code and the body as its reason.
func DecodeEnvelope(status int, body []byte) *Error {
	var env struct {
		Error  json.RawMessage `json:"error"`
		Status int             `json:"status"`
	}
	if err := json.Unmarshal(body, &env); err == nil && len(env.Error) > 0 {
		var w wireError
		if json.Unmarshal(env.Error, &w) == nil && w.Type != "" {
			return w.toError(status)
		}
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return &Error{Code: CodeFor(status, ""), Reason: s}
		}
	}
	reason := string(bytes.TrimSpace(body))
	if reason == "" {
		reason = "HTTP status " + itoa(status)
	}
	return &Error{Code: CodeFor(status, ""), Reason: reason}
}

func itoa(n int) string {
	data, _ := json.Marshal(n)
	return string(data)
}

// marshalJSON is json.Marshal without HTML escaping: the encoding of the
// parts of an answer that render themselves, so that a <, > or & in them
// reaches the client as Elasticsearch writes it.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
