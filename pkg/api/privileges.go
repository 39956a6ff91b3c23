package api

import (
	"bytes"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// ApplicationPrivilege is a stored application privilege, as the get
// privileges API returns it: the actions an application's named privilege
// stands for.
type ApplicationPrivilege struct {
	Application string   `json:"application"`
	Name        string   `json:"name"`
	Actions     []string `json:"actions"`
	Metadata    Metadata `json:"metadata"`
}

// PutPrivilegesRequest is PUT|POST /_security/privilege: the privileges
// to create or replace, in the order of the body.
type PutPrivilegesRequest struct {
	Privileges []ApplicationPrivilege
}

// CreatedStatus says whether a put created its object.
type CreatedStatus struct {
	Created bool `json:"created"`
}

// PutPrivilegesResponse answers a put privileges request by application,
// then privilege name.
type PutPrivilegesResponse map[string]map[string]CreatedStatus

// GetPrivilegesResponse maps applications to their privileges by name.
type GetPrivilegesResponse map[string]map[string]ApplicationPrivilege

// DeletePrivilegesResponse answers a delete privileges request by
// application, then privilege name.
type DeletePrivilegesResponse map[string]map[string]DeleteResponse

// BuiltinPrivilegesResponse answers GET /_security/privilege/_builtin:
// the names of the cluster, index and remote cluster privileges.
type BuiltinPrivilegesResponse struct {
	Cluster       []string `json:"cluster"`
	Index         []string `json:"index"`
	RemoteCluster []string `json:"remote_cluster,omitempty"`
}

// parserApplicationPrivilege is the name Elasticsearch's parser of one
// privilege gives in its errors.
const parserApplicationPrivilege = "application-privilege"

// DecodePutPrivilegesRequest decodes the body of a put privileges
// request, {application: {name: {actions, metadata}}}. A privilege's body
// may repeat its application and name, which must then be the keys it
// sits under.
func DecodePutPrivilegesRequest(body []byte) (*PutPrivilegesRequest, error) {
	if err := requireBody(body); err != nil {
		return nil, err
	}
	req := &PutPrivilegesRequest{Privileges: []ApplicationPrivilege{}}
	root, err := strictjson.Parse(body)
	if err != nil {
		return nil, syntaxError(body, parserApplicationPrivilege, err)
	}
	if root.Kind != strictjson.Object {
		return nil, Errorf(BadFormat, "expected root object to be an object, but found %s instead", root.Kind.Token())
	}
	for _, am := range root.Members {
		app := am.Key
		if am.Value.Kind != strictjson.Object {
			return nil, Errorf(BadFormat, "expected the value for %s to be an object, but found %s instead", app, am.Value.Kind.Token())
		}
		for _, pm := range am.Value.Members {
			if pm.Value.Kind != strictjson.Object {
				return nil, Errorf(BadFormat, "expected the value for %s to be an object, but found %s instead", app, pm.Value.Kind.Token())
			}
			p := ApplicationPrivilege{Actions: []string{}, Metadata: Metadata{}}
			err := decodeMembers(body, pm.Value, parserApplicationPrivilege, map[string]fieldFunc{
				"application": plainString(&p.Application),
				"name":        plainString(&p.Name),
				"actions":     stringsField(&p.Actions),
				"metadata":    metadataField(&p.Metadata),
			})
			if err != nil {
				return nil, syntaxError(body, parserApplicationPrivilege, err)
			}
			if p.Application == "" {
				p.Application = app
			} else if p.Application != app {
				return nil, Errorf(Invalid, "privilege application [%s] in source does not match the provided application [%s]", p.Application, app)
			}
			if p.Name == "" {
				p.Name = pm.Key
			} else if p.Name != pm.Key {
				return nil, Errorf(Invalid, "privilege name [%s] in source does not match the provided name [%s]", p.Name, pm.Key)
			}
			req.Privileges = append(req.Privileges, p)
		}
	}
	return req, nil
}

// MarshalJSON writes the request as its body, {application: {name:
// {actions, metadata}}}, applications and names in the order of the
// privileges.
func (r PutPrivilegesRequest) MarshalJSON() ([]byte, error) {
	var apps []string
	byApp := map[string][]ApplicationPrivilege{}
	for _, p := range r.Privileges {
		if _, ok := byApp[p.Application]; !ok {
			apps = append(apps, p.Application)
		}
		byApp[p.Application] = append(byApp[p.Application], p)
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, app := range apps {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeKey(&buf, app); err != nil {
			return nil, err
		}
		buf.WriteByte('{')
		for j, p := range byApp[app] {
			if j > 0 {
				buf.WriteByte(',')
			}
			if err := writeKey(&buf, p.Name); err != nil {
				return nil, err
			}
			body := struct {
				Actions  []string `json:"actions"`
				Metadata Metadata `json:"metadata,omitempty"`
			}{nonNil(p.Actions), p.Metadata}
			b, err := marshalJSON(body)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeKey(buf *bytes.Buffer, key string) error {
	b, err := marshalJSON(key)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte(':')
	return nil
}
