// Command apikeyd is the local admin daemon that serves the Elasticsearch
// API key REST API over a SQLite database. See package daemon.
package main

import (
	"os"

	"github.com/apikeyctl/apikeyctl/pkg/daemon"
)

func main() { os.Exit(daemon.Main(os.Args[1:])) }
