package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/output"
	"github.com/apikeyctl/apikeyctl/pkg/storecopy"
)

type migrateOptions struct {
	f            *Factory
	out          outputFlags
	from, to     string
	intoNonEmpty bool
}

func newMigrateCmd(f *Factory) *cobra.Command {
	opts := &migrateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "migrate --from SRC --to DST",
		Short: "Copy every record from one store into another (SQLite, PostgreSQL)",
		Long: `Copy everything a store holds into another: API keys (every field and
their versions), key lineage, last-used records, users (password hashes as
they are), roles, application privileges, OAuth2 tokens, expiry policies
and expiry notices. SRC and DST are each a SQLite file (sqlite:FILE or a
plain path) or a PostgreSQL database (postgres://...), either way round,
for instance --from sqlite:/var/lib/apikeyd/apikeyd.db --to
postgres://apikeyd@db.example.com/apikeyd. It is a local operation, as
--db is: no daemon is involved, and none should be writing SRC meanwhile.

SRC is read in one snapshot and never written: it must exist and be at
this version's schema (a store of an older version is refused, not
upgraded: open it once with this version's apikeyd, or apikeyctl --db or
--store, which upgrade it; a newer one is refused), and a SQLite SRC must
pass its integrity check.

DST is opened as --db and --store open it (a SQLite file is created when
missing; an older schema is upgraded) and written in one transaction: all
of it or nothing. A DST that holds any record is refused unless
--into-non-empty, which merges and refuses a record DST already has (the
same key, user, role, privilege, token or policy) without writing
anything.

Then every kind of record is read back from DST and compared with what was
read from SRC: the number of rows and a SHA-256 digest of a canonical
serialisation of every row. The table shows them; exits 0 when every kind
matches, 1 when one differs (naming it), when DST is refused, or on an
error.`,
		Example: `  # copy a database file into a new one, and check every table
  apikeyctl --db keys.db create --name ci-deploy >/dev/null
  apikeyctl migrate --from sqlite:keys.db --to sqlite:copy.db
  apikeyctl --db copy.db get --name ci-deploy --field name`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMigrate(cmd.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.from, "from", "", "the store to copy from: sqlite:`FILE`, a file, or a postgres:// URL")
	fl.StringVar(&opts.to, "to", "", "the store to copy into: sqlite:`FILE`, a file, or a postgres:// URL")
	fl.BoolVar(&opts.intoNonEmpty, "into-non-empty", false, "copy into a store that holds records, refusing any it already has")
	_ = cmd.MarkFlagFilename("from")
	_ = cmd.MarkFlagFilename("to")
	opts.out.register(cmd)
	return cmd
}

func runMigrate(ctx context.Context, opts *migrateOptions) error {
	if opts.from == "" || opts.to == "" {
		return usageErrorf("migrate needs --from SRC and --to DST (sqlite:FILE, a file, or a postgres:// URL)")
	}
	from, to := storecopy.StoreName(opts.from), storecopy.StoreName(opts.to)
	if from == "" || to == "" {
		return usageErrorf("sqlite: needs a file name, as sqlite:FILE")
	}
	if from == to {
		return usageErrorf("--from and --to name the same store")
	}
	src, err := backend.OpenSource(ctx, from)
	if err != nil {
		return fmt.Errorf("the source store: %w", err)
	}
	defer src.Close()
	dst, err := backend.OpenStore(ctx, to)
	if err != nil {
		return fmt.Errorf("the target store: %w", err)
	}
	defer dst.Close()

	ios := opts.f.IOStreams
	ios.StartProgress("Copying " + backend.DisplayName(from) + " into " + backend.DisplayName(to))
	rep, err := storecopy.Copy(ctx, src, dst, storecopy.Options{IntoNonEmpty: opts.intoNonEmpty})
	ios.StopProgress()
	if err != nil {
		var nonEmpty *storecopy.NonEmptyError
		if errors.As(err, &nonEmpty) && !opts.intoNonEmpty {
			return fmt.Errorf("%w; give --into-non-empty to merge into it", err)
		}
		return err
	}
	o := opts.out
	o.opts.Render = func(t *output.Terminal) error { return migrateTable(t, rep) }
	if err := o.print(opts.f, rep); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("the copy does not read back as it was read: %s", strings.Join(rep.Mismatches(), ", "))
	}
	return nil
}

// migrateTable renders the verification of a copy: one line a kind.
func migrateTable(t *output.Terminal, rep *storecopy.Report) error {
	rows := make([][]string, len(rep.Tables))
	for i, tb := range rep.Tables {
		ok := "ok"
		if !tb.OK {
			ok = fmt.Sprintf("DIFFERS: %d rows, %s", tb.Target.Rows, tb.Target.Digest[:16])
		}
		rows[i] = []string{tb.Kind, fmt.Sprint(tb.Source.Rows), tb.Source.Digest[:16], ok}
	}
	return t.Table([]string{"KIND", "ROWS", "DIGEST", "OK"}, rows)
}
