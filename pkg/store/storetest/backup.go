package storetest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apikeyctl/apikeyctl/pkg/store"
)

// RunBackup is the contract of store.Backuper: a backup holds every record
// committed before it began, exactly, and nothing written after it; it
// reads once to the size it announces; and the backend opens it as a store
// again. open returns a new, empty store that implements store.Backuper;
// reopen opens the copy written to path as a store, closed by the
// backend's own t.Cleanup.
func RunBackup(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, path string) store.Store) {
	st := open(t)
	b, ok := st.(store.Backuper)
	if !ok {
		t.Fatalf("%T is not a store.Backuper", st)
	}
	var keys []*store.APIKey
	for i := range 3 {
		keys = append(keys, newKey(fmt.Sprintf("before-%d", i)))
	}
	insert(t, st, keys...)
	putUser(t, st, newUser("alice"))
	putRole(t, st, &store.Role{Name: "deployer", Descriptor: []byte(`{"cluster":["manage_own_api_key"]}`)})

	bk, err := b.Backup(t.Context())
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	// Written after the copy was taken, before it is read.
	insert(t, st, newKey("after"))

	path := filepath.Join(t.TempDir(), "copy")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, bk.Body)
	if err != nil {
		t.Fatalf("read the backup: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bk.Body.Close(); err != nil {
		t.Fatalf("close the backup: %v", err)
	}
	if n != bk.Size {
		t.Fatalf("the backup read %d bytes, its Size says %d", n, bk.Size)
	}

	cp := reopen(t, path)
	for _, k := range keys {
		got := mustGetKey(t, cp, k.ID)
		want := *k
		want.Version = 1
		if d := diffKey(&want, got); d != "" {
			t.Errorf("key %s in the copy:\n%s", k.ID, d)
		}
	}
	if _, err := getKey(t, cp, "after"); err == nil {
		t.Error("the copy holds a key written after the backup began")
	}
	if _, err := getUser(t, cp, "alice"); err != nil {
		t.Errorf("the user in the copy: %v", err)
	}
	if _, err := getRole(t, cp, "deployer"); err != nil {
		t.Errorf("the role in the copy: %v", err)
	}
}
