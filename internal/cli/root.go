package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

const rootLong = `tokenring keeps OAuth 2.0 tokens for your accounts: it links an account by
the authorization-code flow (paste the code back, so it works over SSH),
refreshes tokens before they expire, and hands a fresh token to scripts.

Run without a command to open the terminal UI; run "tokenring demo" to try
it against a built-in provider with sample accounts.

Environment:
  TOKENRING_HOME           config directory (default: $XDG_CONFIG_HOME/tokenring)
  TOKENRING_KEYRING        keyring backend: keychain, wincred, secret-service,
                           kwallet, pass, keyctl or file (default: the OS keyring
                           when one answers, else the encrypted file)
  TOKENRING_PASSPHRASE     passphrase of the file backend (else asked on the terminal)
  TOKENRING_CLIENT_SECRET  client secret for "link" (else asked, masked)
  TOKENRING_API_KEY        API key for "link", e.g. Dressipi's x-api-key (else asked)
  TOKENRING_ACCESS_TOKEN   set by "exec" for its command

Tokens for other programs (never in an argument list): "token --format
header | curl -H @- URL", "exec NAME -- COMMAND", "git-credential", and
"token --format k8s" for a kubeconfig exec user; see each command's --help.
`

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "tokenring",
		Short:         "A terminal account manager for OAuth 2.0 tokens",
		Long:          rootLong + "\n" + exitCodesHelp,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				hint := "Run 'tokenring --help' for the commands."
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					hint = fmt.Sprintf("Did you mean %q? %s", s[0], hint)
				}
				return withHint(ExitUsage, fmt.Errorf("unknown command %q", termtext.Clean(args[0])), hint)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTUI(cmd.Context())
		},
	}
	root.SetVersionTemplate("tokenring {{.Version}}\n")
	// Before InitDefaultCompletionCmd, which captures the output writer.
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withHint(ExitUsage, err, fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath()))
	})
	root.AddCommand(
		newDemoCmd(a),
		newLinkCmd(a),
		newTokenCmd(a),
		newExecCmd(a),
		newGitCredentialCmd(a),
		newListCmd(a),
		newRefreshCmd(a),
		newRemoveCmd(a),
		newProvidersCmd(a),
	)
	root.CompletionOptions.HiddenDefaultCmd = false
	// cobra adds "completion" (bash, zsh, fish, powershell) and "help".
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Long += "\n\nExamples:\n  source <(tokenring completion bash)\n" +
				"  tokenring completion zsh > \"${fpath[1]}/_tokenring\"\n" +
				"  tokenring completion fish > ~/.config/fish/completions/tokenring.fish"
		}
	}
	return root
}

// exactArgs is cobra.ExactArgs with a usage exit code and a readable message.
func exactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		what := strings.Join(names, " ")
		hint := fmt.Sprintf("Usage: %s. Run '%s --help' for more.", cmd.UseLine(), cmd.CommandPath())
		if len(args) < n {
			return withHint(ExitUsage, fmt.Errorf("%s needs %s", cmd.CommandPath(), what), hint)
		}
		return withHint(ExitUsage, fmt.Errorf("%s takes %s only, got %d arguments", cmd.CommandPath(), what, len(args)), hint)
	}
}

// checkName refuses account names the store would refuse, before anything
// (such as an authorization code) is spent.
func checkName(name string) error {
	if accounts.ValidName(name) != nil {
		return withCode(ExitUsage, fmt.Errorf("account name %q: account names use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)", termtext.Snippet(name, 70)))
	}
	return nil
}

// completeAccounts completes account names from the account files (no passphrase).
func (a *app) completeAccounts(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, _, err := a.openStore(false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	defer st.Close()
	accts, err := st.Accounts()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, ac := range accts {
		if strings.HasPrefix(ac.Name, toComplete) {
			out = append(out, ac.Name+"\t"+ac.Provider.Label())
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeProviders completes --provider from the presets and config.toml.
func (a *app) completeProviders(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, p := range flow.Presets() {
		out = append(out, p.ID+"\t"+p.DisplayName)
	}
	if _, cfg, err := a.loadConfig(); err == nil {
		for _, p := range cfg.ProviderList() {
			out = append(out, p.ID+"\t"+p.DisplayName)
		}
	}
	var keep []string
	for _, o := range out {
		if strings.HasPrefix(o, toComplete) {
			keep = append(keep, o)
		}
	}
	return keep, cobra.ShellCompDirectiveNoFileComp
}
