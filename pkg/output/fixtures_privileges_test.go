package output

import "github.com/apikeyctl/apikeyctl/pkg/api"

func privilegesResponse() api.GetPrivilegesResponse {
	return api.GetPrivilegesResponse{
		"myapp": {
			"read":  {Application: "myapp", Name: "read", Actions: []string{"data:read/*", "action:login"}, Metadata: api.Metadata{{Key: "description", Value: "Read access to myapp"}}},
			"write": {Application: "myapp", Name: "write", Actions: []string{"data:write/*"}, Metadata: api.Metadata{}},
		},
		"billing-ui": {
			"admin": {Application: "billing-ui", Name: "admin", Actions: []string{"*"}, Metadata: api.Metadata{}},
		},
	}
}
