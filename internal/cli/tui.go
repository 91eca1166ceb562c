package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/demo"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui"
)

// runTUI opens the terminal UI on the user's accounts. The UI asks for the
// file backend's passphrase in its own prompt (or TOKENRING_PASSPHRASE).
func (a *app) runTUI(ctx context.Context) error {
	if !isTerminal(a.stdin, a.stdout) {
		return withHint(ExitUsage, errors.New("the terminal UI needs a terminal on standard input and output"),
			"For scripts: 'tokenring token NAME', 'tokenring list --json'. Run 'tokenring --help' for all commands.")
	}
	for {
		err := a.runOwnTUI(ctx)
		if !errors.Is(err, ui.ErrDemoRequested) {
			return err
		}
		// D on the empty list: the demo, then back to the user's own list.
		if err := a.demo(ctx, false); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// runOwnTUI runs the UI once on the user's own store; the store is closed
// before the demo (which has its own) starts.
func (a *app) runOwnTUI(ctx context.Context) (err error) {
	st, cfg, err := a.openStore(false)
	if err != nil {
		return err
	}
	defer func() {
		switch cerr := a.closeAfterTUI(st); {
		case cerr == nil:
		case errors.Is(err, ui.ErrDemoRequested): // say it; no demo
			err = cerr
		default:
			err = errors.Join(err, cerr)
		}
	}()
	return ui.Run(ctx, ui.Options{
		Store:          st,
		Exchanger:      a.exchanger,
		Providers:      cfg.ProviderList(),
		Now:            a.now,
		ClipboardClear: cfg.ClipboardClear(),
		OfferDemo:      true,
		Secrets:        a.envSecrets(),
	})
}

// envSecrets are the secrets of the environment, read once at start-up
// (config.Env): the wizard takes them when their field is left empty.
func (a *app) envSecrets() flow.Secrets {
	return flow.Secrets{ClientSecret: a.env.ClientSecret, APIKey: a.env.APIKey}
}

func newDemoCmd(a *app) *cobra.Command {
	var listOnly bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try tokenring against a built-in provider with sample accounts",
		Long: `Open the terminal UI against a built-in OAuth provider on 127.0.0.1 (real
HTTP, the same code path as a real provider) and a throwaway encrypted
keyring, with sample accounts linked through the real authorization-code flow:
tokens that expire within a minute or two (watch them refresh), one that does
not expire, and one that must be linked again. The link wizard offers the
demo provider, whose authorize page shows a code to paste back.

Nothing touches your own accounts or keyring; everything is deleted on exit.

` + exitCodesHelp,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.demo(cmd.Context(), listOnly)
		},
	}
	cmd.Flags().BoolVar(&listOnly, "list", false, "set the demo up, print its accounts as 'list' would, and exit")
	_ = cmd.Flags().MarkHidden("list")
	return cmd
}

func (a *app) demo(ctx context.Context, listOnly bool) error {
	if !listOnly && !isTerminal(a.stdin, a.stdout) {
		return withHint(ExitUsage, errors.New("the demo needs a terminal on standard input and output"),
			"Run it in a terminal: tokenring demo")
	}
	if !listOnly {
		fmt.Fprintln(a.stderr, "Starting the demo provider and linking the sample accounts ...")
	}
	d, err := demo.Start(ctx, demo.Options{Exchanger: a.exchanger})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := d.Close(); cerr != nil {
			fmt.Fprintf(a.stderr, "tokenring: cleaning up the demo: %s\n", termtext.Clean(cerr.Error()))
		}
	}()
	if listOnly {
		fmt.Fprintf(a.stderr, "demo provider: %s\n", d.Provider.AuthURL)
		return listStore(a, d.Store, false)
	}
	err = ui.Run(ctx, ui.Options{
		Store:     d.Store,
		Exchanger: d.Exchanger,
		Providers: []flow.Provider{d.Provider},
		Now:       a.now,
		Demo:      true,
		Secrets:   a.envSecrets(),
	})
	fmt.Fprintln(a.stderr, "Demo over: its provider is stopped and its keyring deleted.")
	return err
}

// closeAfterTUI closes the store of a TUI that has quit. A background
// refresh may still be on its way with a request that spent the old
// refresh token: Close waits for its answer and stores it (the screen is
// gone, so say why the prompt does not come back yet). New tokens the
// keyring would not take are lost with this process: an error names them.
func (a *app) closeAfterTUI(st store) error {
	a.sayWaiting(false)
	_ = st.Close()
	var local any = st
	if b, ok := st.(agentBacked); ok { // without the agent its refreshes run here
		local = b.Local
	}
	p, ok := local.(interface{ Pending() []string })
	if !ok {
		return nil
	}
	lost := p.Pending()
	if len(lost) == 0 {
		return nil
	}
	sort.Strings(lost)
	names := termtext.Clean(strings.Join(lost, ", "))
	return fmt.Errorf("%w: the keyring did not take the new tokens of %s, and they end with this process: %s may need linking again (tokenring refresh NAME says how the keyring fails)",
		accounts.ErrNotStored, names, names)
}
