package api

import (
	"bytes"
	"encoding/json"
)

// QueryUsersRequest is GET|POST /_security/_query/user: the body as sent
// (query, from, size, sort and search_after; empty: every native user,
// the first ten), parsed by the service, and the query parameter.
type QueryUsersRequest struct {
	Body json.RawMessage
	// WithProfileUID asks for each user's profile uid; apikeyd keeps no
	// user profiles, so none is ever added, as for a user who never
	// activated one.
	WithProfileUID bool
}

// QueryUsersResponse is the answer of the query users API.
type QueryUsersResponse struct {
	// Total is the number of users the query matched, Count the number in
	// Users.
	Total int           `json:"total"`
	Count int           `json:"count"`
	Users []QueriedUser `json:"users"`
}

// QueriedUser is a user as the query users API renders it: the user's
// fields, then its sort values when the request sorted.
type QueriedUser struct {
	User
	Sort []any `json:"_sort,omitempty"`
}

// QueryRolesRequest is GET|POST /_security/_query/role: the body as sent
// (query, from, size, sort and search_after; empty: every native role,
// the first ten), parsed by the service.
type QueryRolesRequest struct {
	Body json.RawMessage
}

// QueryRolesResponse is the answer of the query roles API.
type QueryRolesResponse struct {
	// Total is the number of roles the query matched, Count the number in
	// Roles.
	Total int           `json:"total"`
	Count int           `json:"count"`
	Roles []QueriedRole `json:"roles"`
}

// QueriedRole is a role as the query roles API renders it: its name, the
// descriptor's fields, then its sort values when the request sorted.
type QueriedRole struct {
	Name       string
	Descriptor RoleDescriptor
	Sort       []any
}

// MarshalJSON renders name first and _sort last around the descriptor,
// as Elasticsearch does.
func (r QueriedRole) MarshalJSON() ([]byte, error) {
	name, err := marshalJSON(r.Name)
	if err != nil {
		return nil, err
	}
	desc, err := marshalJSON(r.Descriptor)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	b.Write(name)
	if len(desc) > 2 {
		b.WriteByte(',')
		b.Write(desc[1 : len(desc)-1])
	}
	if len(r.Sort) > 0 {
		sort, err := marshalJSON(r.Sort)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"_sort":`)
		b.Write(sort)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a role of a query roles answer.
func (r *QueriedRole) UnmarshalJSON(data []byte) error {
	var head struct {
		Name string `json:"name"`
		Sort []any  `json:"_sort"`
	}
	var d RoleDescriptor
	for _, v := range []any{&head, &d} {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(v); err != nil {
			return err
		}
	}
	*r = QueriedRole{Name: head.Name, Descriptor: d, Sort: head.Sort}
	return nil
}
