package cli

// The commands that hand a token to another program: token (raw, json,
// header, k8s), exec (exec.go) and git-credential (gitcredential.go). Every
// one of them gets its token from freshToken, and nothing else reads a
// token for them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/agent"
	"github.com/tokenring/tokenring/internal/termtext"
)

// need says what an output needs of an account's token.
type need struct {
	// minValid > 0: the token must be valid at least this long (refreshed
	// first otherwise); 0: the refresh policy decides, as for `token`.
	minValid time.Duration
	// apiKey: the account's API key too (the header format).
	apiKey bool
}

// handout is a valid token and what goes with it.
type handout struct {
	tok    flow.Token
	acct   accounts.Account
	apiKey string // "" unless asked for and the account has one
}

// freshToken is the one way the outputs (token, exec, git-credential) get a
// token: valid, refreshed first when the policy says so (or when it is
// valid for less than n.minValid), through the store's one refresh path
// (the account's lock, rotated refresh tokens stored first, one refresh
// per due point whoever asks). A needs-relink account's still-valid token
// is handed out with a warning on stderr, as are new tokens the keyring
// would not take. Errors carry the documented exit codes.
//
// The unlock agent plugs in here: ask a running agent first, else the
// store (as now).
func (a *app) freshToken(ctx context.Context, name string, n need) (handout, error) {
	st, err := a.tokenStore()
	if err != nil {
		return handout{}, err
	}
	acct, err := st.Account(name)
	if err != nil {
		return handout{}, accountErr(name, err)
	}
	tok, err := st.TokenFor(ctx, name, n.minValid)
	var warn *agent.Warning
	switch {
	case errors.As(err, &warn) && tok.AccessToken != "":
		// The unlock agent's word beside a good token (it holds new tokens
		// the keyring did not take, and stores them at its next chance).
		a.warnOnce(termtext.Clean(warn.Message))
	case errors.Is(err, accounts.ErrNotStored) && tok.AccessToken != "":
		// The token works; what is at stake is the next refresh.
		a.warnOnce(termtext.Clean(err.Error()))
		a.warnOnce(fmt.Sprintf("the keyring did not take %s's new tokens; this process held them and ends now, so %s may need linking again. Check the keyring (tokenring refresh %s says how it fails).", name, name, name))
	case err != nil:
		return handout{}, tokenErr(name, acct, err)
	}
	if tok.AccessToken == "" {
		return handout{}, fmt.Errorf("%s has no access token", name)
	}
	if err := checkTokenText("access token", tok.AccessToken); err != nil {
		return handout{}, err
	}
	if acct.NeedsRelink {
		// Still valid: hand it out, and say what comes.
		a.warnOnce(fmt.Sprintf("%s must be linked again before its token %s: the provider refused its refresh token",
			name, expiresWhen(tok.Expiry, a.now())))
	}
	h := handout{tok: tok, acct: acct}
	if n.apiKey && acct.Provider.APIKeyHeader != "" {
		sec, err := st.Secret(ctx, name)
		if err != nil {
			return handout{}, accountErr(name, err)
		}
		if err := checkTokenText("API key", sec.APIKey); err != nil {
			return handout{}, err
		}
		h.apiKey = sec.APIKey
	}
	return h, nil
}

// tokenStore is the store the outputs use, opened once per command (so the
// file keyring's passphrase is asked at most once, also by exec's rewrites
// of the token file) and closed when the command ends.
func (a *app) tokenStore() (store, error) {
	a.heldMu.Lock()
	defer a.heldMu.Unlock()
	if a.held != nil {
		return a.held, nil
	}
	st, _, err := a.openStore(true)
	if err != nil {
		return nil, err
	}
	a.held = st
	return st, nil
}

func (a *app) closeHeld() {
	a.heldMu.Lock()
	defer a.heldMu.Unlock()
	if a.held != nil {
		a.held.Close()
		a.held = nil
	}
}

// warnOnce prints a warning on stderr once per process (exec asks for the
// token again before each expiry).
func (a *app) warnOnce(msg string) {
	a.heldMu.Lock()
	defer a.heldMu.Unlock()
	if a.warned == nil {
		a.warned = map[string]bool{}
	}
	if a.warned[msg] {
		return
	}
	a.warned[msg] = true
	fmt.Fprintf(a.stderr, "tokenring: warning: %s\n", msg)
}

func tokenErr(name string, acct accounts.Account, err error) error {
	switch {
	case errors.Is(err, accounts.ErrShortLived):
		return withHint(ExitProvider, err, "Ask for less with --min-valid.")
	case flow.IsInvalidGrant(err), errors.Is(err, accounts.ErrNeedsRelink) && (acct.NeedsRelink || acct.HasRefresh):
		return relinkErr(name, acct)
	case errors.Is(err, accounts.ErrNeedsRelink):
		return withHint(ExitNeedsLink, err,
			fmt.Sprintf("Run 'tokenring remove %s --no-revoke', then 'tokenring link %s --provider %s ...'.", name, name, termtext.Clean(acct.Provider.ID)))
	}
	return accountErr(name, err)
}

// checkTokenText refuses a credential that would break the line or header
// it is written into (a control character such as a newline would let a
// provider's answer add header lines or git credential attributes).
func checkTokenText(what, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return withCode(ExitProvider, fmt.Errorf("%w: the %s contains a control character; tokenring does not hand it out", flow.ErrBadResponse, what))
		}
	}
	return nil
}

// Output formats of `token`.
const (
	formatRaw    = "raw"
	formatJSON   = "json"
	formatHeader = "header"
	formatK8s    = "k8s"
)

var tokenFormats = []string{formatRaw, formatJSON, formatHeader, formatK8s}

// durationValue is a flag taking a Go duration ("90s", "5m") or whole seconds.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "0s"
	}
	return v.d.String()
}
func (v durationValue) Type() string { return "duration" }
func (v durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1<<31 {
			return fmt.Errorf("%q is out of range", s)
		}
		*v.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (like 90s, 5m, 1h) or a number of seconds", s)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*v.d = d
	return nil
}

func newTokenCmd(a *app) *cobra.Command {
	var (
		minValid time.Duration
		format   string
		idToken  bool
	)
	cmd := &cobra.Command{
		Use:   "token NAME [--min-valid DURATION] [--format raw|json|header|k8s] [--id-token]",
		Short: "Print a valid access token (refreshing first when needed)",
		Long: `Print NAME's access token on standard output, refreshing it first when it is
expired or about to expire (the [refresh] policy of config.toml), and nothing
else. Errors go to standard error with a non-zero exit code.

  --min-valid D   refresh first unless the token is valid for at least D
                  (90s, 5m, 1h, or whole seconds); D replaces the refresh
                  policy. When even a new token is valid for less, exit 7.
  --id-token      the ID token instead of the access token (OpenID Connect;
                  its expiry is its exp claim)
  --format F      raw     the token and a newline (the default)
                  json    {"access_token", "token_type", "expires_at" (RFC 3339;
                          absent when the token does not expire), "expires_in"
                          (seconds), "scope", "account", "provider"}; with
                          --id-token "id_token" instead of "access_token"
                  header  the HTTP header lines the provider's API needs, one
                          a line, for curl -H @-: the token in the provider's
                          token header ("Authorization: Bearer ..." unless the
                          provider says otherwise; Dressipi: "x-dressipi-jwt:
                          ...") and the account's API key in its header
                          (Dressipi: "x-api-key: ...")
                  k8s     a client.authentication.k8s.io/v1 ExecCredential for a
                          kubeconfig exec user (status.token,
                          status.expirationTimestamp)

Keep tokens out of the argument lists of other programs (ps shows them to
everyone on the machine):

  tokenring token shop --format header | curl -H @- https://api.example.com/
  tokenring exec work -- ./deploy.sh          # the token in $TOKENRING_ACCESS_TOKEN

` + exitCodesHelp,
		Args:              exactArgs(1, "an account NAME"),
		ValidArgsFunction: a.completeAccounts,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(tokenFormats, format) {
				return withHint(ExitUsage, fmt.Errorf("unknown --format %q", termtext.Snippet(format, 40)),
					"Formats: "+strings.Join(tokenFormats, ", ")+".")
			}
			return a.token(cmd.Context(), args[0], need{minValid: minValid, apiKey: format == formatHeader}, format, idToken)
		},
	}
	cmd.Flags().Var(durationValue{&minValid}, "min-valid", "refresh first unless the token is valid at least this long (90s, 5m, 1h)")
	cmd.Flags().StringVar(&format, "format", formatRaw, "output format: raw, json, header or k8s")
	cmd.Flags().BoolVar(&idToken, "id-token", false, "the ID token instead of the access token")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return tokenFormats, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func (a *app) token(ctx context.Context, name string, n need, format string, idToken bool) error {
	h, err := a.freshToken(ctx, name, n)
	if err != nil {
		return err
	}
	c, err := a.credential(name, h, idToken, n.minValid)
	if err != nil {
		return err
	}
	return writeToken(a.stdout, format, name, h, c, a.now())
}

// cred is the token an output carries: the access token, or the ID token.
type cred struct {
	value  string
	expiry time.Time // zero: does not expire
	id     bool
}

// credential picks the access token, or the ID token with its expiry from
// its exp claim. An ID token is not refreshed on its own: one that expired
// (the provider sent none with the last refresh) is an error.
func (a *app) credential(name string, h handout, idToken bool, minValid time.Duration) (cred, error) {
	if !idToken {
		return cred{value: h.tok.AccessToken, expiry: h.tok.Expiry}, nil
	}
	if h.tok.IDToken == "" {
		return cred{}, withHint(ExitError, fmt.Errorf("%s has no ID token", name),
			"OpenID Connect providers issue one for the openid scope: link the account with --scope openid.")
	}
	if err := checkTokenText("ID token", h.tok.IDToken); err != nil {
		return cred{}, err
	}
	c := cred{value: h.tok.IDToken, id: true}
	if j, err := flow.DecodeJWT(h.tok.IDToken); err == nil {
		c.expiry = j.Exp
	}
	if now := a.now(); !c.expiry.IsZero() && now.Add(minValid).After(c.expiry) {
		if now.Before(c.expiry) {
			return cred{}, withHint(ExitProvider, fmt.Errorf("%w: the ID token of %s expires in %s, less than the %s asked for", accounts.ErrShortLived, name,
				termtext.Duration(c.expiry.Sub(now)), termtext.Duration(minValid)), "Ask for less with --min-valid.")
		}
		return cred{}, withHint(ExitProvider, fmt.Errorf("the ID token of %s expired %s ago: the provider sent no new one with the last refresh", name, termtext.Duration(now.Sub(c.expiry))),
			fmt.Sprintf("'tokenring refresh %s' asks for new tokens; a provider that sends ID tokens only at sign-in needs the account linked again.", name))
	}
	return c, nil
}

// tokenJSON is `token --format json`; the field names are a contract.
type tokenJSON struct {
	AccessToken string     `json:"access_token,omitempty"`
	IDToken     string     `json:"id_token,omitempty"`
	TokenType   string     `json:"token_type,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	ExpiresIn   *int64     `json:"expires_in,omitempty"`
	Scope       string     `json:"scope"`
	Account     string     `json:"account"`
	Provider    string     `json:"provider"`
}

// execCredential is a client.authentication.k8s.io/v1 ExecCredential as a
// kubeconfig exec plugin prints it.
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialStatus struct {
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
	Token               string `json:"token"`
}

func writeToken(w io.Writer, format, name string, h handout, c cred, now time.Time) error {
	switch format {
	case formatJSON:
		out := tokenJSON{Account: name, Provider: termtext.Clean(h.acct.Provider.ID)}
		if c.id {
			out.IDToken = c.value
		} else {
			out.AccessToken = c.value
			out.TokenType = termtext.Clean(h.tok.TokenType)
			if out.TokenType == "" {
				out.TokenType = "Bearer"
			}
			out.Scope = termtext.Clean(h.tok.Scope)
			if out.Scope == "" {
				out.Scope = strings.Join(cleanAll(h.acct.Scopes), " ")
			}
		}
		if !c.expiry.IsZero() {
			out.ExpiresAt = timePtr(c.expiry)
			s := int64(c.expiry.Sub(now) / time.Second)
			out.ExpiresIn = &s
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case formatHeader:
		p := h.acct.Provider
		hn, hv := p.AuthHeader(c.value)
		if !flow.IsHeaderName(hn) {
			return withCode(ExitUsage, fmt.Errorf("the token header %q of provider %s is not an HTTP header name (token_header in config.toml)", termtext.Snippet(hn, 40), p.Label()))
		}
		lines := hn + ": " + hv + "\n"
		if h.apiKey != "" {
			if !flow.IsHeaderName(p.APIKeyHeader) {
				return withCode(ExitUsage, fmt.Errorf("the API key header %q of provider %s is not an HTTP header name (api_key_header in config.toml)", termtext.Snippet(p.APIKeyHeader, 40), p.Label()))
			}
			lines += p.APIKeyHeader + ": " + h.apiKey + "\n"
		}
		_, err := io.WriteString(w, lines)
		return err
	case formatK8s:
		out := execCredential{APIVersion: "client.authentication.k8s.io/v1", Kind: "ExecCredential",
			Status: execCredentialStatus{Token: c.value}}
		if !c.expiry.IsZero() {
			out.Status.ExpirationTimestamp = c.expiry.UTC().Truncate(time.Second).Format(time.RFC3339)
		}
		return json.NewEncoder(w).Encode(out)
	}
	_, err := fmt.Fprintln(w, c.value)
	return err
}

// heldState is embedded in app: the store the outputs share and the
// warnings already given.
type heldState struct {
	heldMu sync.Mutex
	held   store
	warned map[string]bool
}
