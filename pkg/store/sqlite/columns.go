package sqlite

import (
	"database/sql"
	"encoding/json"
)

// jsonArg is the column value of a JSON field: NULL when empty, else its
// exact bytes as TEXT (a STRICT TEXT column refuses a BLOB).
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// jsonValue is the JSON field of a column value: nil for NULL.
func jsonValue(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

// stringPtr is the *string field of a nullable column.
func stringPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

// int64Ptr is the *int64 field of a nullable column.
func int64Ptr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// jsonStrings encodes ss as a JSON array, bound as one parameter and
// expanded in SQL by json_each.
func jsonStrings(ss []string) (string, error) {
	if ss == nil {
		ss = []string{}
	}
	b, err := json.Marshal(ss)
	return string(b), err
}
