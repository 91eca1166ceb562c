package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// expiresWhen: "expires at 18:40 (in 3h 02m)", "expires on Nov 30 18:40
// (in 1d 2h)", "does not expire".
func expiresWhen(exp, now time.Time) string {
	if exp.IsZero() {
		return "(which does not expire) is revoked"
	}
	when := exp.Local().Format("15:04")
	if y, m, d := exp.Local().Date(); y != now.Local().Year() || m != now.Local().Month() || d != now.Local().Day() {
		when = "on " + exp.Local().Format("Jan 02 15:04")
	} else {
		when = "at " + when
	}
	return "expires " + when + " (in " + termtext.Duration(exp.Sub(now)) + ")"
}

func accountErr(name string, err error) error {
	if errors.Is(err, accounts.ErrNotFound) {
		return withHint(ExitNoAccount, fmt.Errorf("no account named %s", termtext.Clean(name)),
			"Run 'tokenring list' for the linked accounts, or 'tokenring link NAME --provider P' to link one.")
	}
	return err
}

func relinkErr(name string, acct accounts.Account) error {
	msg := fmt.Sprintf("%s must be linked again: the provider no longer accepts its refresh token", name)
	if acct.Provider.Grant == flow.GrantClientCredentials {
		msg = fmt.Sprintf("%s must be linked again: the provider refused its client credentials", name)
	}
	if acct.LastError != "" {
		msg += " (" + termtext.Clean(acct.LastError) + ")"
	}
	return withHint(ExitNeedsLink, errors.New(msg),
		fmt.Sprintf("Run 'tokenring remove %s --no-revoke', then 'tokenring link %s --provider %s ...'.", name, name, termtext.Clean(acct.Provider.ID)))
}

func newRefreshCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "refresh NAME",
		Short: "Refresh an account's token now",
		Long: `Refresh NAME's access token now, whatever its expiry says, and store the new
token set (a rotated refresh token is stored before anything else). An account
without a refresh token cannot be refreshed (Warhorn user tokens do not expire
and come without one): that ends with exit code 8.

` + exitCodesHelp,
		Args:              exactArgs(1, "an account NAME"),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.refresh(cmd.Context(), args[0])
		},
	}
}

func (a *app) refresh(ctx context.Context, name string) error {
	st, acct, err := a.openAccount(name)
	if err != nil {
		return err
	}
	defer st.Close()
	if !acct.HasRefresh && acct.Provider.Grant != flow.GrantClientCredentials {
		why := "the provider issued none"
		if !acct.AccessExpiry.IsZero() {
			why += "; link it again when the token expires"
		} else {
			why += ", and its token does not expire, so it needs no refresh"
		}
		return withHint(ExitNoRefresh, fmt.Errorf("%s has no refresh token to refresh with: %s", name, why),
			fmt.Sprintf("'tokenring token %s' prints the current token.", name))
	}
	updated, err := st.Refresh(ctx, name)
	if err != nil {
		if flow.IsInvalidGrant(err) || errors.Is(err, accounts.ErrNeedsRelink) {
			acct.LastError = ""
			return relinkErr(name, acct)
		}
		return accountErr(name, err)
	}
	fmt.Fprintf(a.stdout, "%s refreshed: %s.\n", name, expiryPhrase(updated.AccessExpiry, a.now()))
	return nil
}

func newRemoveCmd(a *app) *cobra.Command {
	var noRevoke bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an account (revoking its tokens where the provider can)",
		Long: `Remove NAME: revoke its tokens at the provider when the provider has a
revocation endpoint (RFC 7009), then delete its keyring item and its account
file. --no-revoke skips the revocation (and the passphrase). An account whose
file is damaged is removed without revoking.

` + exitCodesHelp,
		Aliases:           []string{"rm"},
		Args:              exactArgs(1, "an account NAME"),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.remove(cmd.Context(), args[0], !noRevoke)
		},
	}
	cmd.Flags().BoolVar(&noRevoke, "no-revoke", false, "do not revoke the tokens at the provider")
	return cmd
}

func (a *app) remove(ctx context.Context, name string, revoke bool) error {
	st, acct, err := a.openAccount(name)
	if errors.Is(err, accounts.ErrDamaged) && accounts.ValidName(name) == nil {
		// Removing is the way out of a damaged account file; its provider
		// is unknown, so nothing can be revoked.
		if st, _, err = a.openStore(true); err != nil {
			return err
		}
		defer st.Close()
		if err := st.Remove(ctx, name, false); err != nil {
			return accountErr(name, err)
		}
		fmt.Fprintf(a.stdout, "Removed %s (its account file was damaged, so its tokens were not revoked).\n", name)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	revoke = revoke && acct.Provider.RevocationURL != ""
	if err := st.Remove(ctx, name, revoke); err != nil {
		if !errors.Is(err, accounts.ErrRevokeFailed) {
			return accountErr(name, err)
		}
		// Removed here; the provider did not confirm the revocation.
		fmt.Fprintf(a.stderr, "tokenring: warning: %s\n", termtext.Clean(err.Error()))
		fmt.Fprintf(a.stdout, "Removed %s (its tokens may still be valid at %s).\n", name, acct.Provider.Label())
		return nil
	}
	if revoke {
		fmt.Fprintf(a.stdout, "Removed %s and revoked its tokens at %s.\n", name, acct.Provider.Label())
	} else {
		fmt.Fprintf(a.stdout, "Removed %s.\n", name)
	}
	return nil
}

func newListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the linked accounts and the state of their tokens",
		Long: `List the linked accounts: provider, status, expiry, whether a refresh token is
held, and the last refresh. Listing never needs the keyring's passphrase.

Statuses: valid, expiring_soon, expired, no_expiry, refreshing, needs_relink, error,
damaged (the account's file cannot be used; last_error says which file and
what to do).

--json prints an array of objects with the fields name, provider, status,
expires_at, expires_in_seconds, refresh_due, has_refresh_token, has_id_token,
linked_at, last_refresh, last_error, needs_relink and scopes (times in RFC
3339, absent when unknown; expires_at is absent when the token does not expire).

` + exitCodesHelp,
		Aliases: []string{"ls"},
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.list(asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// listEntry is one account in `list --json`; the field names are a contract.
type listEntry struct {
	Name             string     `json:"name"`
	Provider         string     `json:"provider"`
	Status           string     `json:"status"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	ExpiresInSeconds *int64     `json:"expires_in_seconds,omitempty"`
	RefreshDue       *time.Time `json:"refresh_due,omitempty"`
	HasRefreshToken  bool       `json:"has_refresh_token"`
	HasIDToken       bool       `json:"has_id_token"`
	LinkedAt         *time.Time `json:"linked_at,omitempty"`
	LastRefresh      *time.Time `json:"last_refresh,omitempty"`
	LastError        string     `json:"last_error,omitempty"`
	NeedsRelink      bool       `json:"needs_relink"`
	Scopes           []string   `json:"scopes"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}

func (a *app) list(asJSON bool) error {
	st, _, err := a.openStore(false)
	if err != nil {
		return err
	}
	defer st.Close()
	return listStore(a, st, asJSON)
}

// lister is the part of the store that list needs.
type lister interface {
	Accounts() ([]accounts.Account, error)
	Policy() accounts.Policy
}

func listStore(a *app, st lister, asJSON bool) error {
	accts, err := st.Accounts()
	if err != nil {
		return err
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].Name < accts[j].Name })
	now, pol := a.now(), st.Policy()
	entries := make([]listEntry, 0, len(accts))
	for _, ac := range accts {
		e := listEntry{
			Name:            ac.Name,
			Provider:        termtext.Clean(ac.Provider.ID),
			Status:          pol.Status(ac, now).String(),
			ExpiresAt:       timePtr(ac.AccessExpiry),
			RefreshDue:      timePtr(pol.RefreshDue(ac)),
			HasRefreshToken: ac.HasRefresh,
			HasIDToken:      ac.HasIDToken,
			LinkedAt:        timePtr(ac.LinkedAt),
			LastRefresh:     timePtr(ac.LastRefresh),
			LastError:       termtext.Clean(ac.LastError),
			NeedsRelink:     ac.NeedsRelink,
			Scopes:          cleanAll(ac.Scopes),
		}
		if e.Scopes == nil {
			e.Scopes = []string{}
		}
		if !ac.AccessExpiry.IsZero() {
			s := int64(ac.AccessExpiry.Sub(now).Seconds())
			e.ExpiresInSeconds = &s
		}
		entries = append(entries, e)
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(a.stdout, "No accounts yet. Link one with 'tokenring link NAME --provider P', or run 'tokenring demo'.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tSTATUS\tEXPIRES\tREFRESH TOKEN\tLAST REFRESH")
	for i, e := range entries {
		exp := "never"
		if ac := accts[i]; !ac.AccessExpiry.IsZero() {
			if d := ac.AccessExpiry.Sub(now); d > 0 {
				exp = "in " + termtext.Duration(d)
			} else {
				exp = termtext.Duration(d) + " ago"
			}
		}
		rt := "no"
		if e.HasRefreshToken {
			rt = "yes"
		}
		last := "-"
		if !accts[i].LastRefresh.IsZero() {
			last = termtext.Duration(now.Sub(accts[i].LastRefresh)) + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Provider, strings.ReplaceAll(e.Status, "_", " "), exp, rt, last)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ac := range accts {
		if ac.Damaged != nil {
			fmt.Fprintf(a.stdout, "\n%s: %s\n", termtext.Clean(ac.Name), termtext.Clean(ac.LastError))
		}
	}
	return nil
}

func newProvidersCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "providers [--json]",
		Short: "List the providers tokenring knows (built in and from config.toml)",
		Long: `List the built-in providers (warhorn, dressipi, generic) and those declared in
config.toml ([providers.NAME] tables). --json prints their full definitions.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.providers(asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the provider definitions)")
	return cmd
}

func (a *app) providers(asJSON bool) error {
	_, cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	builtin := flow.Presets()
	custom := cfg.ProviderList()
	if asJSON {
		type entry struct {
			Source string `json:"source"` // "builtin" or "config"
			flow.Provider
		}
		out := []entry{}
		for _, p := range builtin {
			out = append(out, entry{"builtin", p})
		}
		for _, p := range custom {
			out = append(out, entry{"config", p})
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Built in:")
	for _, p := range builtin {
		id := p.ID
		if id == flow.PresetGeneric {
			id += " (custom, oidc)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", id, p.Description)
	}
	if len(custom) > 0 {
		fmt.Fprintf(tw, "From %s:\n", cfg.Path)
		for _, p := range custom {
			desc := p.Description
			if desc == "" {
				switch {
				case p.Issuer != "":
					desc = "OpenID Connect issuer " + p.Issuer
				case p.TokenURL != "":
					desc = "token endpoint " + p.TokenURL
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\n", p.ID, termtext.Clean(desc))
		}
	}
	return tw.Flush()
}

// openAccount opens the store (with the passphrase prompt) and looks up
// name's account; the caller closes the store.
func (a *app) openAccount(name string) (store, accounts.Account, error) {
	st, _, err := a.openStore(true)
	if err != nil {
		return nil, accounts.Account{}, err
	}
	acct, err := st.Account(name)
	if err != nil {
		st.Close()
		return nil, accounts.Account{}, accountErr(name, err)
	}
	return st, acct, nil
}

// cleanAll cleans each string (account files are not trusted for display).
func cleanAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = termtext.Clean(s)
	}
	return out
}
