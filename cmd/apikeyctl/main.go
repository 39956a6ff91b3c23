// Command apikeyctl manages Elasticsearch API keys in apikeyd, in an
// apikeyd database file, or in an Elasticsearch cluster.
package main

import (
	"os"

	"github.com/apikeyctl/apikeyctl/pkg/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
