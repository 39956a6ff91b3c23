package daemon

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/audit"
)

// TestAuditRotationConfig parses --audit-max-size, --audit-max-age and
// --audit-max-files, from flags and the environment, and refuses what
// they cannot mean.
func TestAuditRotationConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		env   map[string]string
		want  audit.Rotation
		err   string
	}{
		{name: "defaults", want: audit.Rotation{MaxSize: 100 << 20, MaxFiles: 10}},
		{name: "every bound", flags: []string{"--audit-max-size", "1gb", "--audit-max-age", "7d", "--audit-max-files", "0"},
			want: audit.Rotation{MaxSize: 1 << 30, MaxAge: 7 * 24 * time.Hour}},
		{name: "never by size", env: map[string]string{"APIKEYD_AUDIT_MAX_SIZE": "0"}, want: audit.Rotation{MaxFiles: 10}},
		{name: "size without a unit", flags: []string{"--audit-max-size", "100"}, err: `--audit-max-size "100": give a size such as 100mb`},
		{name: "age not a time value", flags: []string{"--audit-max-age", "weekly"}, err: `--audit-max-age "weekly": give a time value such as 7d`},
		{name: "negative files", flags: []string{"--audit-max-files", "-1"}, err: "--audit-max-files -1: give a number of files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := loadConfig(parseFlags(t, append([]string{"--data-dir", t.TempDir()}, tt.flags...)...))
			if tt.err != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want a ConfigError containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AuditRotation != tt.want {
				t.Errorf("rotation %+v, want %+v", cfg.AuditRotation, tt.want)
			}
		})
	}
}
