package cli

import (
	"github.com/spf13/cobra"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/output"
)

func newPolicyCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Manage expiry policies: default and maximum key lifetimes",
		Long: `Manage apikeyd's expiry policies. A policy names one realm (by name or type),
one user or one role, and gives the API keys of the owners it names a
default lifetime (for a key created without an expiration) and/or a
maximum one (a longer expiration is refused with a 400 that names the
policy).

Of the policies naming a key's owner (for grant: the granted user; for
clone: the source key's owner), the smallest maximum applies, and the
default of the most specific (user, then role, then realm; the shortest
among equals), cut to the maximum. Create, grant, clone, cross-cluster
create and updates that set an expiration obey them.

Policies are kept in the database: the daemon and --db apply the same.
Setting and deleting them needs manage_security; reading them
read_security. Elasticsearch has no expiry policies.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(newPolicySetCmd(f), newPolicyListCmd(f), newPolicyGetCmd(f), newPolicyDeleteCmd(f))
	return cmd
}

type policySetOptions struct {
	f   *Factory
	out outputFlags

	realm, user, role string
	def, max          string
}

func newPolicySetCmd(f *Factory) *cobra.Command {
	opts := &policySetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "set NAME (--realm REALM | --user USER | --role ROLE) [--default DURATION] [--max DURATION]",
		Short: "Create or replace an expiry policy",
		Example: `  apikeyctl policy set prod-keys --role deployer --default 30d --max 90d
  apikeyctl policy set build-bots --user build-bot --max 1d
  apikeyctl policy set ldap-default --realm ldap1 --default 90d`,
		Args: exactArgs(1, "a policy NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicySet(cmd, opts, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.realm, "realm", "", "the policy is for keys owned in `REALM` (a realm name or type: native, os, reserved)")
	fl.StringVar(&opts.user, "user", "", "the policy is for keys owned by `USER`")
	fl.StringVar(&opts.role, "role", "", "the policy is for keys of owners with `ROLE`")
	fl.StringVar(&opts.def, "default", "", "the lifetime of keys created without an expiration (time value: 30d)")
	fl.StringVar(&opts.max, "max", "", "the longest lifetime a key may be given (time value: 90d)")
	opts.out.register(cmd)
	return cmd
}

func runPolicySet(cmd *cobra.Command, opts *policySetOptions, name string) error {
	scopes := 0
	for _, s := range []string{opts.realm, opts.user, opts.role} {
		if s != "" {
			scopes++
		}
	}
	if scopes != 1 {
		return usageErrorf("give the policy exactly one of --realm, --user or --role")
	}
	if opts.def == "" && opts.max == "" {
		return usageErrorf("give the policy --default, --max or both")
	}
	for _, fl := range []struct{ name, value string }{{"default", opts.def}, {"max", opts.max}} {
		if fl.value == "" {
			continue
		}
		d, err := api.ParseTimeValue(fl.value, fl.name)
		if err != nil || d <= 0 {
			return usageErrorf("--%s %q: give a positive whole number and a unit (s, m, h, d), such as 30d", fl.name, fl.value)
		}
	}
	admin, err := opts.f.Admin(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := admin.PutExpiryPolicy(cmd.Context(), &api.ExpiryPolicy{
		Name: name, Realm: opts.realm, User: opts.user, Role: opts.role, Default: opts.def, Max: opts.max,
	})
	if err != nil {
		return err
	}
	return opts.out.print(opts.f, resp)
}

type policyListOptions struct {
	f   *Factory
	out outputFlags
}

func newPolicyListCmd(f *Factory) *cobra.Command {
	opts := &policyListOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the expiry policies",
		Example: "  apikeyctl policy list\n  apikeyctl policy list -o json",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runPolicyGet(cmd, opts.f, opts.out, "") },
	}
	opts.out.register(cmd)
	return cmd
}

type policyGetOptions struct {
	f   *Factory
	out outputFlags
}

func newPolicyGetCmd(f *Factory) *cobra.Command {
	opts := &policyGetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show an expiry policy",
		Example: `  apikeyctl policy set prod-keys --role deployer --max 90d
  apikeyctl policy get prod-keys --jq '.policies[0].max'`,
		Args: exactArgs(1, "a policy NAME"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyGet(cmd, opts.f, opts.out, args[0]) },
	}
	opts.out.register(cmd)
	return cmd
}

// runPolicyGet prints the policy name, or all of them for "": a table on
// a terminal.
func runPolicyGet(cmd *cobra.Command, f *Factory, out outputFlags, name string) error {
	admin, err := f.Admin(cmd.Context())
	if err != nil {
		return err
	}
	resp, err := admin.GetExpiryPolicies(cmd.Context(), name)
	if err != nil {
		return err
	}
	out.opts.Render = func(t *output.Terminal) error {
		if len(resp.Policies) == 0 {
			t.Hint("no expiry policies: create one with apikeyctl policy set")
			return nil
		}
		rows := make([][]string, len(resp.Policies))
		for i, p := range resp.Policies {
			scope, value := p.Scope()
			rows[i] = []string{p.Name, scope, value, dash(p.Default), dash(p.Max)}
		}
		return t.Table([]string{"NAME", "SCOPE", "FOR", "DEFAULT", "MAX"}, rows)
	}
	return out.print(f, resp)
}

// dash is s, or "-" for nothing.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type policyDeleteOptions struct {
	f   *Factory
	out outputFlags
}

func newPolicyDeleteCmd(f *Factory) *cobra.Command {
	opts := &policyDeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an expiry policy",
		Example: `  apikeyctl policy set tmp-policy --user nobody --max 1d
  apikeyctl policy delete tmp-policy`,
		Args: exactArgs(1, "a policy NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			admin, err := opts.f.Admin(cmd.Context())
			if err != nil {
				return err
			}
			resp, err := admin.DeleteExpiryPolicy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return opts.out.print(opts.f, resp)
		},
	}
	opts.out.register(cmd)
	return cmd
}
