package esapi_test

import (
	"os"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store/postgres"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// TestMain stops the private PostgreSQL server the store-parameterized
// tests start (pgtest), once they are done.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, postgres.Prepare)) }
