package output_test

import (
	"fmt"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/iostreams"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// A command hands its API response to Write with the Options its output
// flags filled in; here --field name, on a pipe.
func ExampleWrite() {
	ios, _, stdout, _ := iostreams.Test()
	resp := &api.GetAPIKeysResponse{APIKeys: []api.APIKey{
		{ID: "VuaCfGcBCdbkQm-e5aOx", Name: "ci-deploy", Type: "rest", Username: "alice", Realm: "native"},
		{ID: "H3_AhoIBA9hmeQJdg7ij", Name: "nightly-backup", Type: "rest", Username: "alice", Realm: "native"},
	}}
	if err := output.Write(ios, output.Options{Field: "name"}, resp); err != nil {
		fmt.Println(err)
	}
	fmt.Print(stdout)
	// Output:
	// ci-deploy
	// nightly-backup
}
