package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

type backupOptions struct {
	f     *Factory
	out   outputFlags
	force bool
}

// backupResult is what backup prints: the file it wrote and what the
// copy holds, as checked after writing it.
type backupResult struct {
	Path          string `json:"path"`
	Size          int64  `json:"size"`
	SchemaVersion int    `json:"schema_version"`
	APIKeys       int    `json:"api_keys"`
	Users         int    `json:"users"`
	Roles         int    `json:"roles"`
}

func newBackupCmd(f *Factory) *cobra.Command {
	opts := &backupOptions{f: f}
	cmd := &cobra.Command{
		Use:   "backup OUT [--force]",
		Short: "Write a consistent copy of the apikeyd database to a file",
		Long: `Write a copy of the whole apikeyd database (keys, users, roles, tokens) to
the file OUT, consistent as of one instant while writes go on. Against the
daemon the copy comes from GET /_apikeyd/backup (over the socket or a
URL); with --db it is taken from the file directly.

The copy holds every hash, so it needs manage_security (or all), is
audited, and OUT is created with mode 0600. It is written to a temporary
file beside OUT, checked (PRAGMA integrity_check) and only then renamed to
OUT; an existing OUT is kept unless --force. To restore, stop apikeyd and
put the copy in place of the database file.

An Elasticsearch cluster has no such endpoint: back it up with its
snapshots.`,
		Example: `  apikeyctl backup apikeys-$(date +%F).db

  # a copy from the daemon, a copy of that file without it (--force replaces
  # an older one), and a look at the second copy
  apikeyctl backup copy.db
  apikeyctl --db copy.db backup copy2.db --force --field api_keys
  apikeyctl --db copy2.db doctor`,
		Args:              exactArgs(1, "backup OUT: give the file to write"),
		ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault),
		RunE:              func(cmd *cobra.Command, args []string) error { return runBackup(cmd.Context(), opts, args[0]) },
	}
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace OUT when it exists")
	opts.out.register(cmd)
	return cmd
}

func runBackup(ctx context.Context, opts *backupOptions, out string) error {
	f := opts.f
	if !opts.force {
		if _, err := os.Lstat(out); err == nil {
			return usageErrorf("%s exists: give --force to replace it, or another file", out)
		}
	}
	admin, err := f.Admin(ctx)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	ios.StartProgress("Copying the database")
	bk, err := admin.Backup(ctx)
	if err != nil {
		ios.StopProgress()
		return err
	}
	res, err := writeBackup(ctx, bk, out, opts.force)
	ios.StopProgress()
	if err != nil {
		return err
	}
	o := opts.out
	o.opts.Render = func(t *output.Terminal) error {
		_, err := fmt.Fprintf(t.Out, "Wrote %s: %s, %s, %s, %s (schema version %d, integrity ok)\n",
			res.Path, byteSize(res.Size), plural(res.APIKeys, "API key"), plural(res.Users, "user"), plural(res.Roles, "role"), res.SchemaVersion)
		return err
	}
	return o.print(f, res)
}

// writeBackup writes the copy to a temporary file beside out (mode 0600),
// syncs and checks it, then moves it to out: replacing out only when
// force is set, so that out is never a partial or corrupt copy.
func writeBackup(ctx context.Context, bk *api.Backup, out string, force bool) (*backupResult, error) {
	defer bk.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, bk.Body)
	if err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	if n != bk.Size {
		return nil, fmt.Errorf("write the backup: the copy was cut short at %d of %d bytes", n, bk.Size)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	rep, err := backend.Inspect(ctx, tmp.Name(), true)
	if err != nil {
		return nil, fmt.Errorf("check the backup: %w", err)
	}
	if len(rep.Problems) > 0 {
		return nil, fmt.Errorf("check the backup: PRAGMA integrity_check found problems in the copy: %q", rep.Problems)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if force {
		err = os.Rename(tmp.Name(), out)
	} else {
		// A link fails when out appeared meanwhile: never replace it.
		err = os.Link(tmp.Name(), out)
		if err == nil {
			err = os.Remove(tmp.Name())
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return nil, usageErrorf("%s exists: give --force to replace it, or another file", out)
	}
	if err != nil {
		return nil, fmt.Errorf("write the backup: %w", err)
	}
	done = true
	syncDir(filepath.Dir(out))
	abs, err := filepath.Abs(out)
	if err != nil {
		abs = out
	}
	return &backupResult{Path: abs, Size: n, SchemaVersion: rep.SchemaVersion, APIKeys: rep.APIKeys, Users: rep.Users, Roles: rep.Roles}, nil
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// byteSize writes n bytes for people: 12.3 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// plural says how many of a thing there are: "1 role", "2 roles".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
