package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

// backend is what the server serves: the API, the credential check, and
// what to close at the end.
type backend struct {
	svc   api.Service
	authn esapi.Authenticator
	close func() error
}

// openBackend opens the database, builds the service over it and makes
// sure the bootstrap superuser exists, printing its password once when it
// was generated.
func openBackend(ctx context.Context, cfg *Config, log *slog.Logger, stderr io.Writer) (*backend, error) {
	if err := os.MkdirAll(filepath.Dir(cfg.DB), 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	st, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", cfg.DB, err)
	}
	svc, err := keyservice.New(st, keyservice.Options{Logger: log})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("start the key service: %w", err)
	}
	created, generated, err := svc.Bootstrap(ctx, cfg.BootstrapPassword)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("bootstrap the superuser: %w", err)
	}
	if created {
		log.Info("created the bootstrap superuser", "user", keyservice.BootstrapUser)
		if generated != "" {
			printBootstrapPassword(stderr, keyservice.BootstrapUser, generated)
		}
	}
	return &backend{svc: svc, authn: svc, close: st.Close}, nil
}

// printBootstrapPassword shows the generated password once, in a box that
// stands out from the log lines around it.
func printBootstrapPassword(w io.Writer, user, password string) {
	lines := []string{
		fmt.Sprintf("The bootstrap superuser '%s' was created with password:", user),
		"",
		"    " + password,
		"",
		"Store it now; it is not shown again.",
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l))
	}
	var b strings.Builder
	border := "+" + strings.Repeat("-", width+2) + "+\n"
	b.WriteString(border)
	for _, l := range lines {
		b.WriteString("| " + l + strings.Repeat(" ", width-len(l)) + " |\n")
	}
	b.WriteString(border)
	_, _ = io.WriteString(w, b.String())
}
