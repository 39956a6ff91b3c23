package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/backend"
	"github.com/apikeyctl/apikeyctl/pkg/filecheck"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

type doctorOptions struct {
	f   *Factory
	out outputFlags
}

func newDoctorCmd(f *Factory) *cobra.Command {
	opts := &doctorOptions{f: f}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the database, its files and the daemon, and say what is wrong",
		Long: `Check what apikeyd and apikeyctl rely on, and say what was found in plain
words, one line per check: ok, warn or fail.

With --db, the database file itself, opened read-only and never changed:
PRAGMA integrity_check, its schema version against the one this binary
knows, what it holds, and the modes of the file, its -wal and -shm, its
directory and the audit log beside it (none may be readable by other
users).

Against the daemon, the socket (there, a socket, its mode and owner) and
whether the daemon answers, then the daemon's own view of its database and
audit log (GET /_apikeyd/doctor, which needs monitor, manage or all).

Exits 0 when no check failed (warnings included), 1 when one did, and as
for any command when the daemon cannot be asked (7 unreachable, 4
authentication, 5 forbidden).`,
		Example: `  apikeyctl doctor
  apikeyctl doctor --jq '.checks[] | select(.status != "ok") | .message'

  # a database file, read-only
  apikeyctl backup copy.db
  apikeyctl --db copy.db doctor`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), opts) },
	}
	opts.out.register(cmd)
	return cmd
}

// ChecksFailedError is a doctor that found a check failing.
type ChecksFailedError struct{ Failed int }

func (e *ChecksFailedError) Error() string {
	if e.Failed == 1 {
		return "1 check failed"
	}
	return fmt.Sprintf("%d checks failed", e.Failed)
}

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	f := opts.f
	cfg, err := f.config()
	if err != nil {
		return err
	}
	rep := &api.DoctorReport{Checks: []api.Check{}}
	var callErr error
	switch {
	case backend.IsURL(cfg.DB):
		callErr = askStore(ctx, f, rep)
	case cfg.DB != "":
		rep.Checks = backend.CheckFiles(ctx, cfg.DB)
	default:
		callErr = askDaemon(ctx, f, cfg, rep)
	}
	o := opts.out
	o.opts.Render = func(t *output.Terminal) error { return renderChecks(t, rep.Checks) }
	if err := o.print(f, rep); err != nil {
		return err
	}
	if callErr != nil {
		return callErr
	}
	if n := rep.Failures(); n > 0 {
		return &ChecksFailedError{Failed: n}
	}
	return nil
}

// askDaemon adds the checks of the daemon's socket (when the target is
// one), whether the daemon answers, and its own view. It returns the
// error of a daemon that could not be asked, reported as a failed check
// too.
// askStore opens the PostgreSQL store of --store, which checks that it
// can be reached and that its schema is one this binary knows, and asks
// it for its own view.
func askStore(ctx context.Context, f *Factory, rep *api.DoctorReport) error {
	view, err := doctorCall(ctx, f)
	if err != nil {
		rep.Checks = append(rep.Checks, api.Check{Name: "database", Status: api.CheckFail, Message: trimError(err)})
		return err
	}
	rep.Checks = append(rep.Checks, view.Checks...)
	return nil
}

func askDaemon(ctx context.Context, f *Factory, cfg *Config, rep *api.DoctorReport) error {
	target := cfg.URL
	if cfg.Socket != "" {
		target = cfg.Socket
		rep.Checks = append(rep.Checks, filecheck.Socket("socket", cfg.Socket))
	}
	daemonView, err := doctorCall(ctx, f)
	if err != nil {
		rep.Checks = append(rep.Checks, api.Check{Name: "daemon", Status: api.CheckFail, Message: fmt.Sprintf(
			"could not ask %s for its view: %s", target, trimError(err))})
		return err
	}
	rep.Checks = append(rep.Checks, api.Check{Name: "daemon", Status: api.CheckOK, Message: "apikeyd at " + target + " answered"})
	rep.Checks = append(rep.Checks, daemonView.Checks...)
	return nil
}

func doctorCall(ctx context.Context, f *Factory) (*api.DoctorReport, error) {
	admin, err := f.Admin(ctx)
	if err != nil {
		return nil, err
	}
	return admin.Doctor(ctx)
}

// trimError is errorLine without its "error: " prefix.
func trimError(err error) string {
	return errorLine(err)[len("error: "):]
}

// renderChecks writes one line per check: its status, coloured on a
// terminal, its name and what was found.
func renderChecks(t *output.Terminal, checks []api.Check) error {
	for _, c := range checks {
		style := t.Styles.Success
		switch c.Status {
		case api.CheckWarn:
			style = t.Styles.Warning
		case api.CheckFail:
			style = t.Styles.Error
		}
		if _, err := fmt.Fprintf(t.Out, "%s %s: %s\n", style.Render(fmt.Sprintf("%-4s", c.Status)), c.Name, c.Message); err != nil {
			return err
		}
	}
	return nil
}
