package keyservice_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store/sqlite"
)

func TestAdminPrivileges(t *testing.T) {
	fx := newFixture(t)
	backup := func(ctx context.Context) error {
		bk, err := fx.svc.Backup(ctx)
		if err == nil {
			err = bk.Body.Close()
		}
		return err
	}
	doctor := func(ctx context.Context) error {
		_, err := fx.svc.Doctor(ctx)
		return err
	}
	for _, tt := range []struct {
		name   string
		op     func(context.Context) error
		user   string // "" is the OS superuser; "-" nobody authenticated
		status int
		reason string
	}{
		{"backup as the OS superuser", backup, "", 0, ""},
		{"backup with manage_security", backup, "secadmin", 0, ""},
		{"backup with manage_api_key", backup, "admin", 403,
			"action [cluster:admin/xpack/security/apikeyd/backup] is unauthorized for user [admin] with effective roles [all_keys], this action is granted by the cluster privileges [manage_security,all]"},
		{"backup with read_security", backup, "reader", 403, "apikeyd/backup] is unauthorized for user [reader]"},
		{"backup with monitor", backup, "nobody", 403, "apikeyd/backup] is unauthorized for user [nobody]"},
		{"backup unauthenticated", backup, "-", 401, "missing authentication credentials"},
		{"doctor as the OS superuser", doctor, "", 0, ""},
		{"doctor with monitor", doctor, "nobody", 0, ""},
		{"doctor with manage_security", doctor, "secadmin", 403,
			"action [cluster:monitor/apikeyd/doctor] is unauthorized for user [secadmin] with effective roles [security], this action is granted by the cluster privileges [monitor,manage,all]"},
		{"doctor unauthenticated", doctor, "-", 401, "missing authentication credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fx.root
			switch tt.user {
			case "":
			case "-":
				ctx = context.Background()
			default:
				ctx = fx.as(tt.user)
			}
			err := tt.op(ctx)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tt.status, "security_exception", tt.reason)
		})
	}
}

// recorder is an Auditor that keeps the actions it is given.
type recorder struct {
	mu      sync.Mutex
	actions []string
}

func (r *recorder) Audit(_ context.Context, e keyservice.AuditEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, e.Action)
}

func TestBackupIsACopyAndAudited(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := &recorder{}
	svc, err := keyservice.New(db, keyservice.Options{
		Now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }, Auditor: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	root := auth.WithSubject(ctx, auth.OSSubject("root"))
	name := "before-backup"
	created, err := svc.CreateAPIKey(root, &api.CreateAPIKeyRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	bk, err := svc.Backup(root)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(bk.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := bk.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != bk.Size {
		t.Fatalf("read %d bytes, the backup says %d", len(data), bk.Size)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := sqlite.Inspect(ctx, copyPath, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 || rep.APIKeys != 1 {
		t.Fatalf("the copy: %+v", rep)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := len(rec.actions); n == 0 || rec.actions[n-1] != keyservice.AuditBackup {
		t.Fatalf("audited %q, want %s last (after creating %s)", rec.actions, keyservice.AuditBackup, created.ID)
	}
}

func TestDoctorChecksTheStore(t *testing.T) {
	fx := newFixture(t)
	rep, err := fx.svc.Doctor(fx.root)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]api.CheckStatus{}
	for _, c := range rep.Checks {
		names[c.Name] = c.Status
	}
	for _, want := range []string{"database file", "database integrity", "schema version", "records"} {
		if names[want] != api.CheckOK {
			t.Errorf("check %q: %q, want ok (all: %+v)", want, names[want], rep.Checks)
		}
	}
	if rep.Failures() > 0 {
		t.Fatalf("a fresh database fails doctor: %+v", rep.Checks)
	}
}
