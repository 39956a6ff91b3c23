package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/storetest"
)

func TestBackupContract(t *testing.T) {
	storetest.RunBackup(t,
		func(t *testing.T) store.Store { return mustOpen(t, tempPath(t)) },
		func(t *testing.T, path string) store.Store { return mustOpen(t, path) })
}

// writeBackup writes db's backup to a new file and returns its path.
func writeBackup(t *testing.T, db *DB) string {
	t.Helper()
	bk, err := db.Backup(t.Context())
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	defer bk.Body.Close()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, bk.Body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBackupWhileWriting takes a backup while writers insert keys as fast
// as they can: the copy passes integrity_check and holds every key
// committed before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	key := func(id string) *store.APIKey {
		return &store.APIKey{ID: id, Name: id, Type: "rest", Creation: 1, Hash: "h", Creator: store.Creator{Principal: "p", Realm: "r", RealmType: "t"}}
	}
	insert := func(ctx context.Context, id string) error {
		return db.Update(ctx, func(w store.Writer) error { return w.InsertAPIKey(ctx, key(id)) })
	}
	for i := range 200 {
		if err := insert(t.Context(), fmt.Sprintf("pre-%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The writers stop between transactions: cancelling one mid-commit
	// is not what this test is about.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	failed := make(chan error, 4)
	started := make(chan struct{}, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := insert(t.Context(), fmt.Sprintf("during-%d-%d", w, i)); err != nil {
					failed <- err
					return
				}
				if i == 0 {
					started <- struct{}{}
				}
			}
		}()
	}
	// Every writer has committed at least once before the backup begins.
	for range 4 {
		select {
		case <-started:
		case err := <-failed:
			close(stop)
			wg.Wait()
			t.Fatalf("a writer failed before the backup: %v", err)
		}
	}
	path := writeBackup(t, db)
	close(stop)
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Fatalf("a writer failed during the backup: %v", err)
	}

	rep, err := Inspect(t.Context(), path, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("integrity_check of the copy: %q", rep.Problems)
	}
	if rep.APIKeys < 204 || rep.SchemaVersion != rep.KnownVersion {
		t.Fatalf("the copy: %+v, want at least the 204 keys committed before it began", rep)
	}
	cp := mustOpen(t, path)
	err = cp.View(t.Context(), func(r store.Reader) error {
		for i := range 200 {
			if _, err := r.GetAPIKey(t.Context(), fmt.Sprintf("pre-%03d", i)); err != nil {
				return err
			}
		}
		for w := range 4 {
			if _, err := r.GetAPIKey(t.Context(), fmt.Sprintf("during-%d-0", w)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("a key committed before the backup is missing from it: %v", err)
	}
}

// TestBackupFiles: the temporary copy is private, beside the database,
// and gone once read; the copy is one self-contained file.
func TestBackupFiles(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path)
	bk, err := db.Backup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tmp := bk.Body.(*copyFile).Name()
	if filepath.Dir(tmp) != filepath.Dir(path) {
		t.Errorf("the copy is made in %s, want beside the database in %s", filepath.Dir(tmp), filepath.Dir(path))
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 && os.PathSeparator == '/' {
		t.Errorf("the copy is mode %04o, want 0600", perm)
	}
	if err := bk.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is still there after Close: %v", err)
	}

	out := writeBackup(t, db)
	if _, err := Inspect(t.Context(), out, true); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(out + side); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s beside the copy after Inspect: %v", side, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(t.Context()); err == nil {
		t.Error("Backup after Close succeeded")
	}
}
