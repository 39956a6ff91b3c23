package cli

import (
	"context"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

// completionTimeout bounds a dynamic completion's call to the target: a
// slow or unreachable target must not hang the shell.
const completionTimeout = 3 * time.Second

// shells are the shells apikeyctl writes completion scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

type completionOptions struct {
	f *Factory
}

func newCompletionCmd(f *Factory) *cobra.Command {
	opts := &completionOptions{f: f}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script",
		Long: `Print the completion script of a shell. Besides commands and flags it
completes key ids and names (get, inspect, invalidate), users, roles and
contexts from the current target; when the target cannot be reached it
quietly offers nothing.

The bash script needs the bash-completion package (version 2, loaded by
your ~/.bashrc: apt install bash-completion, dnf install bash-completion,
or brew install bash-completion@2 with bash 4.1 or later, as macOS's own
bash 3.2 is too old). Without it, pressing Tab prints
"_get_comp_words_by_ref: command not found". bash-completion also loads
the script from ~/.local/share/bash-completion/completions, as below.

The release archives and packages carry these scripts ready-made.`,
		Example: `  # bash, for the current shell
  source <(apikeyctl completion bash)

  # bash, for every new shell
  mkdir -p ~/.local/share/bash-completion/completions
  apikeyctl completion bash > ~/.local/share/bash-completion/completions/apikeyctl

  # zsh: a directory in $fpath, then compinit
  mkdir -p ~/.zfunc && apikeyctl completion zsh > ~/.zfunc/_apikeyctl

  # fish
  mkdir -p ~/.config/fish/completions
  apikeyctl completion fish > ~/.config/fish/completions/apikeyctl.fish

  # PowerShell: save it, then add ". apikeyctl.ps1" to $PROFILE
  apikeyctl completion powershell > apikeyctl.ps1`,
		ValidArgs: shells,
		Args:      exactArgs(1, "a shell: bash, zsh, fish or powershell"),
		RunE:      func(cmd *cobra.Command, args []string) error { return runCompletion(cmd, opts, args) },
	}
}

func runCompletion(cmd *cobra.Command, opts *completionOptions, args []string) error {
	return WriteCompletion(cmd.Root(), args[0], opts.f.IOStreams.Out)
}

// WriteCompletion writes the completion script of shell (bash, zsh, fish
// or powershell) for root.
func WriteCompletion(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(w, true)
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return usageErrorf("unknown shell %q: choose one of %s", shell, strings.Join(shells, ", "))
}

// registerGlobalCompletions completes the values of the root's flags.
func registerGlobalCompletions(f *Factory, root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("context", completeContexts(f))
}

// startCompletion prepares f for a completion: no prompts, no stdin, no new
// database, nothing on stderr, and a deadline.
func (f *Factory) startCompletion(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	f.completing = true
	f.IOStreams.ErrOut = io.Discard
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// completeKeys completes key ids (field "id", described by their name) or
// names from the target; activeOnly leaves out invalidated and expired
// keys. Any failure completes nothing, silently.
func completeKeys(f *Factory, field string, activeOnly bool) cobra.CompletionFunc {
	return completeFromTarget(f, func(ctx context.Context, svc api.Service, args []string, toComplete string) ([]cobra.Completion, error) {
		resp, err := svc.GetAPIKeys(ctx, &api.GetAPIKeysRequest{ActiveOnly: activeOnly})
		if err != nil {
			return nil, err
		}
		now := time.Now()
		if f.Now != nil {
			now = f.Now()
		}
		seen := map[string]bool{}
		for _, a := range args {
			seen[a] = true
		}
		var out []cobra.Completion
		for _, k := range resp.APIKeys {
			value, desc := k.ID, k.Name+" ("+output.KeyStatus(k, now)+", "+output.Owner(k)+")"
			if field == "name" {
				value, desc = k.Name, ""
			}
			if seen[value] || !strings.HasPrefix(value, toComplete) {
				continue
			}
			seen[value] = true
			out = append(out, cobra.CompletionWithDesc(value, desc))
		}
		if field == "name" {
			sort.Strings(out)
		}
		return out, nil
	})
}

// completeKeyIDs completes key ids as positional arguments.
func completeKeyIDs(f *Factory, activeOnly bool) cobra.CompletionFunc {
	return completeKeys(f, "id", activeOnly)
}

// completeUsers completes usernames of the target's native realm.
func completeUsers(f *Factory) cobra.CompletionFunc {
	return completeNames(f, func(ctx context.Context, svc api.Service) ([]string, error) {
		users, err := svc.GetUsers(ctx, nil)
		return slices.Collect(maps.Keys(users)), err
	})
}

// completeRoles completes role names of the target.
func completeRoles(f *Factory) cobra.CompletionFunc {
	return completeNames(f, func(ctx context.Context, svc api.Service) ([]string, error) {
		roles, err := svc.GetRoles(ctx, nil)
		return slices.Collect(maps.Keys(roles)), err
	})
}

// completeNames completes the names list asks the target for; nothing
// when the target cannot be reached.
func completeNames(f *Factory, list func(context.Context, api.Service) ([]string, error)) cobra.CompletionFunc {
	return completeFromTarget(f, func(ctx context.Context, svc api.Service, args []string, toComplete string) ([]cobra.Completion, error) {
		names, err := list(ctx, svc)
		if err != nil {
			return nil, err
		}
		return filterNames(names, args, toComplete), nil
	})
}

// completeFromTarget completes with what complete makes of the target's
// service, reached as startCompletion prepares it; any failure completes
// nothing, silently.
func completeFromTarget(f *Factory, complete func(ctx context.Context, svc api.Service, args []string, toComplete string) ([]cobra.Completion, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		ctx, cancel := f.startCompletion(cmd)
		defer cancel()
		svc, err := f.Service(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out, err := complete(ctx, svc, args, toComplete)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeContexts completes context names of the config file.
func completeContexts(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		_, fc, err := f.loadFile()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(fc.Contexts))
		for name := range fc.Contexts {
			names = append(names, name)
		}
		return filterNames(names, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// filterNames returns the names that start with prefix and are not in
// args yet, sorted.
func filterNames(names, args []string, prefix string) []cobra.Completion {
	sort.Strings(names)
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !slices.Contains(args, n) {
			out = append(out, n)
		}
	}
	return out
}

// completeFormats completes -o.
func completeFormats(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	out := make([]cobra.Completion, 0, len(output.Formats()))
	for _, f := range output.Formats() {
		out = append(out, string(f))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
