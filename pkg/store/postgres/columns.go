package postgres

import (
	"encoding/json"
)

// jsonArg is the parameter of a JSON field, bound as text (the statements
// cast it to json): NULL when empty, else its exact bytes.
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// jsonValue is the JSON field of a column read as text: nil for NULL.
func jsonValue(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// nullString is NULL for an empty string.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// strs is ids, never nil, bound as one text[] parameter.
func strs(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
