package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/strictjson"
)

// RoleDescriptor is an Elasticsearch role descriptor, as given in
// role_descriptors of an API key request, in a role, and as rendered in
// responses.
type RoleDescriptor struct {
	Cluster       []string                  `json:"cluster"`
	Global        map[string]any            `json:"global,omitempty"`
	Indices       []IndicesPrivileges       `json:"indices"`
	Applications  []ApplicationPrivileges   `json:"applications"`
	RunAs         []string                  `json:"run_as"`
	Metadata      Metadata                  `json:"metadata"`
	RemoteIndices []RemoteIndicesPrivileges `json:"remote_indices,omitempty"`
	RemoteCluster []RemoteClusterPrivileges `json:"remote_cluster,omitempty"`
	Restriction   *Restriction              `json:"restriction,omitempty"`
	Description   string                    `json:"description,omitempty"`
	// TransientMetadata is what an answer said (Elasticsearch's
	// {"enabled":false,"unlicensed_features":[...]} for a role its license
	// disables); nil renders as {"enabled":true}.
	TransientMetadata Metadata `json:"transient_metadata,omitempty"`
}

// IndicesPrivileges is one entry of a role descriptor's indices.
type IndicesPrivileges struct {
	Names                  []string       `json:"names"`
	Privileges             []string       `json:"privileges"`
	FieldSecurity          *FieldSecurity `json:"field_security,omitempty"`
	Query                  *string        `json:"query,omitempty"`
	AllowRestrictedIndices bool           `json:"allow_restricted_indices"`
}

// FieldSecurity is field level security of an indices entry.
type FieldSecurity struct {
	Grant  []string `json:"grant,omitempty"`
	Except []string `json:"except,omitempty"`
}

// ApplicationPrivileges is one entry of a role descriptor's applications.
type ApplicationPrivileges struct {
	Application string   `json:"application"`
	Privileges  []string `json:"privileges"`
	Resources   []string `json:"resources"`
}

// RemoteIndicesPrivileges is an indices entry for remote clusters.
type RemoteIndicesPrivileges struct {
	Clusters []string `json:"clusters"`
	IndicesPrivileges
}

// MarshalJSON renders clusters first, as Elasticsearch does.
func (r RemoteIndicesPrivileges) MarshalJSON() ([]byte, error) {
	inner, err := marshalJSON(r.IndicesPrivileges)
	if err != nil {
		return nil, err
	}
	clusters, err := marshalJSON(nonNil(r.Clusters))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"clusters":`)
	b.Write(clusters)
	b.WriteByte(',')
	b.Write(inner[1:])
	return b.Bytes(), nil
}

// RemoteClusterPrivileges grants remote cluster privileges.
type RemoteClusterPrivileges struct {
	Privileges []string `json:"privileges"`
	Clusters   []string `json:"clusters"`
}

// Restriction restricts an API key role descriptor to workflows.
type Restriction struct {
	Workflows []string `json:"workflows"`
}

// MarshalJSON renders the descriptor in Elasticsearch's field order with its
// defaults: empty lists as [], metadata as {}, transient_metadata (when an
// answer did not give one) as {"enabled":true}.
func (d RoleDescriptor) MarshalJSON() ([]byte, error) {
	type out struct {
		Cluster           []string                  `json:"cluster"`
		Global            map[string]any            `json:"global,omitempty"`
		Indices           []IndicesPrivileges       `json:"indices"`
		Applications      []ApplicationPrivileges   `json:"applications"`
		RunAs             []string                  `json:"run_as"`
		Metadata          Metadata                  `json:"metadata"`
		TransientMetadata Metadata                  `json:"transient_metadata"`
		RemoteIndices     []RemoteIndicesPrivileges `json:"remote_indices,omitempty"`
		RemoteCluster     []RemoteClusterPrivileges `json:"remote_cluster,omitempty"`
		Restriction       *Restriction              `json:"restriction,omitempty"`
		Description       string                    `json:"description,omitempty"`
	}
	o := out{
		Cluster:           nonNil(d.Cluster),
		Global:            d.Global,
		Indices:           d.Indices,
		Applications:      d.Applications,
		RunAs:             nonNil(d.RunAs),
		Metadata:          d.Metadata,
		TransientMetadata: d.TransientMetadata,
		RemoteIndices:     d.RemoteIndices,
		RemoteCluster:     d.RemoteCluster,
		Restriction:       d.Restriction,
		Description:       d.Description,
	}
	// Copy before filling in defaults: marshalling must not touch d.
	o.Indices = append([]IndicesPrivileges{}, d.Indices...)
	for i := range o.Indices {
		o.Indices[i].Names = nonNil(o.Indices[i].Names)
		o.Indices[i].Privileges = nonNil(o.Indices[i].Privileges)
	}
	if o.Applications == nil {
		o.Applications = []ApplicationPrivileges{}
	}
	if o.Metadata == nil {
		o.Metadata = Metadata{}
	}
	if o.TransientMetadata == nil {
		o.TransientMetadata = Metadata{{Key: "enabled", Value: true}}
	}
	return marshalJSON(o)
}

// IsEmpty reports whether the descriptor grants nothing at all.
func (d RoleDescriptor) IsEmpty() bool {
	return len(d.Cluster) == 0 && len(d.Global) == 0 && len(d.Indices) == 0 &&
		len(d.Applications) == 0 && len(d.RunAs) == 0 && len(d.RemoteIndices) == 0 &&
		len(d.RemoteCluster) == 0
}

// NamedRoleDescriptor is a role descriptor with the name it is keyed by.
type NamedRoleDescriptor struct {
	Name       string
	Descriptor RoleDescriptor
}

// RoleDescriptors is a JSON object of role descriptors keyed by name that
// keeps the order the names were given in.
type RoleDescriptors []NamedRoleDescriptor

// MarshalJSON renders the descriptors as one object; nil renders as {}.
func (r RoleDescriptors) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, nd := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalJSON(nd.Name)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(nd.Descriptor)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of descriptors, keeping its order. It is
// lenient: request bodies go through DecodeRoleDescriptors instead.
func (r *RoleDescriptors) UnmarshalJSON(data []byte) error {
	out := RoleDescriptors{}
	err := eachField(data, func(key string, raw json.RawMessage, _ strictjson.Pos) error {
		var d RoleDescriptor
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("role descriptor [%s]: %w", key, err)
		}
		out = append(out, NamedRoleDescriptor{Name: key, Descriptor: d})
		return nil
	})
	if err != nil {
		return err
	}
	*r = out
	return nil
}

// Get returns the descriptor named name.
func (r RoleDescriptors) Get(name string) (RoleDescriptor, bool) {
	for _, nd := range r {
		if nd.Name == name {
			return nd.Descriptor, true
		}
	}
	return RoleDescriptor{}, false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
