package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/link"
	"github.com/tokenring/tokenring/internal/termtext"
)

type linkFlags struct {
	provider          string
	baseURL           string
	issuer            string
	clientID          string
	redirectURI       string
	authURL           string
	tokenURL          string
	revocationURL     string
	deviceAuthURL     string
	scopes            []string
	device            bool
	clientCredentials bool
	noListen          bool
	timeout           time.Duration
}

const linkLong = `Link an account from a plain terminal (also over SSH, and in a pipe).

tokenring prints the authorization URL on stderr. Open it in any browser,
approve, then paste the code, or the whole address the browser landed on,
into tokenring's standard input and press Enter. The code is exchanged
exactly once: if the provider refuses it, run "link" again for a fresh one.
With a redirect URI on http://127.0.0.1 or http://localhost, tokenring also
listens there and takes the code from the browser itself.

Providers set up for the device flow (--device) show a user code and a URL
instead; client-credentials providers (--client-credentials, e.g. Warhorn
application tokens) need no browser at all.

Secrets are never flags: the client secret comes from TOKENRING_CLIENT_SECRET
and the API key from TOKENRING_API_KEY, else tokenring asks for them on the
terminal with echo off.`

const linkExamples = `  # Warhorn (paste the https callback URL you land on)
  TOKENRING_CLIENT_SECRET=... tokenring link warhorn --provider warhorn \
      --client-id YOUR_APP_UID --redirect-uri https://your.app/oauth/callback

  # Warhorn application token (client credentials, no browser)
  TOKENRING_CLIENT_SECRET=... tokenring link warhorn-app --provider warhorn \
      --client-credentials --client-id YOUR_APP_UID

  # Dressipi (per-customer base URL, API key)
  TOKENRING_API_KEY=... tokenring link shop --provider dressipi \
      --base-url https://api.example.dressipi.com --client-id YOUR_CLIENT_ID

  # Any OpenID Connect provider, by discovery
  tokenring link work --provider oidc --issuer https://id.example.com \
      --client-id tokenring --redirect-uri http://127.0.0.1:8765/callback \
      --scope "openid email offline_access"

  # A code pasted from a pipe
  echo "$REDIRECT_URL" | tokenring link work --provider oidc ...`

func newLinkCmd(a *app) *cobra.Command {
	var f linkFlags
	cmd := &cobra.Command{
		Use:     "link NAME --provider PROVIDER [flags]",
		Short:   "Link an account: authorize in a browser, paste the code back",
		Long:    linkLong + "\n\n" + exitCodesHelp,
		Example: linkExamples,
		Args:    exactArgs(1, "an account NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.link(cmd.Context(), args[0], f)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.provider, "provider", "p", "", "provider: warhorn, dressipi, generic (also custom, oidc), or a name from config.toml")
	fl.StringVar(&f.baseURL, "base-url", "", "the customer's API base URL (Dressipi)")
	fl.StringVar(&f.issuer, "issuer", "", "OpenID Connect issuer URL (endpoints by discovery)")
	fl.StringVar(&f.clientID, "client-id", "", "OAuth client id of the app registered with the provider")
	fl.StringVar(&f.redirectURI, "redirect-uri", "", "redirect URI registered with the provider")
	fl.StringVar(&f.authURL, "auth-url", "", "authorization endpoint")
	fl.StringVar(&f.tokenURL, "token-url", "", "token endpoint")
	fl.StringVar(&f.revocationURL, "revocation-url", "", "revocation endpoint (RFC 7009), used by remove")
	fl.StringVar(&f.deviceAuthURL, "device-auth-url", "", "device authorization endpoint (RFC 8628)")
	fl.StringArrayVar(&f.scopes, "scope", nil, "scope to request (repeatable, or a space/comma separated list)")
	fl.BoolVar(&f.device, "device", false, "use the device flow: enter a short code on another device")
	fl.BoolVar(&f.clientCredentials, "client-credentials", false, "get an application token by client credentials (no browser)")
	fl.BoolVar(&f.noListen, "no-listen", false, "do not listen on a loopback redirect URI; only read the pasted code")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to wait for the pasted code or the browser's redirect")
	cmd.MarkFlagsMutuallyExclusive("device", "client-credentials")
	_ = cmd.RegisterFlagCompletionFunc("provider", a.completeProviders)
	return cmd
}

// overrides are what the flags give on top of the provider.
func (f linkFlags) overrides() flow.Overrides {
	o := flow.Overrides{
		BaseURL: f.baseURL, Issuer: f.issuer, ClientID: f.clientID, RedirectURI: f.redirectURI,
		AuthURL: f.authURL, TokenURL: f.tokenURL, RevocationURL: f.revocationURL,
		DeviceAuthURL: f.deviceAuthURL, Scopes: f.scopes,
	}
	switch {
	case f.device:
		o.Grant = flow.GrantDeviceCode
	case f.clientCredentials:
		o.Grant = flow.GrantClientCredentials
	}
	return o
}

// link runs internal/link's sequence and renders it on a plain terminal:
// messages on stderr, the paste read from stdin.
func (a *app) link(ctx context.Context, name string, f linkFlags) error {
	if err := checkName(name); err != nil {
		return err
	}
	if strings.TrimSpace(f.provider) == "" {
		return withHint(ExitUsage, errors.New("link needs --provider"),
			"Run 'tokenring providers' for the list, e.g. --provider warhorn, --provider dressipi or --provider oidc.")
	}
	st, cfg, err := a.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	l := &link.Linker{Store: st, Exchanger: a.exchanger, Providers: cfg.ProviderList(), Now: a.now, Progress: a.linkProgress}
	plan, err := l.Plan(ctx, link.Request{Name: name, Provider: f.provider, Overrides: f.overrides(), NoListen: f.noListen})
	if errors.Is(err, accounts.ErrExists) {
		return withHint(ExitExists, fmt.Errorf("an account named %s already exists", name),
			fmt.Sprintf("Remove it first ('tokenring remove %s') or choose another name.", name))
	}
	if err != nil {
		return err
	}
	p := plan.Provider
	need := plan.Needs()
	var sec flow.Secrets
	if sec.ClientSecret, err = a.secret(config.EnvClientSecret, p.ID, need.ClientSecret); err != nil {
		return err
	}
	if need.APIKey {
		if sec.APIKey, err = a.secret(config.EnvAPIKey, p.ID, flow.NeedRequired); err != nil {
			return err
		}
	}
	// A wrong passphrase must show now, before a single-use code is spent.
	if err := plan.Ready(ctx, sec); err != nil {
		return err
	}

	step, err := plan.Start(ctx)
	var res *link.Result
	if err == nil {
		switch s := step.(type) {
		case *link.Issued:
			res = s.Result
		case *link.Device:
			res, err = a.linkDevice(ctx, name, s)
		case *link.Authorize:
			res, err = a.linkCode(ctx, name, s, f.timeout)
		}
	}
	if err != nil {
		return a.linkFailed(name, err)
	}
	if err := a.save(ctx, plan, res); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "Linked %s (%s): %s; %s.\n", name, res.Provider.Label(), expiryPhrase(res.Token.Expiry, a.now()), refreshPhrase(&res.Token))
	if res.OfflineDenied() {
		fmt.Fprintf(a.stderr, "tokenring: warning: offline_access was asked for but not granted, so there is no refresh token: link %s again when its token expires (check the client's settings at the provider)\n", name)
	}
	fmt.Fprintf(a.stderr, "Get its token with: tokenring token %s\n", name)
	return nil
}

// save stores the linked account. The code is spent and the tokens exist
// only in this process: a failed write is tried again (a keyring that
// hiccups, a disk that had its space taken after all) before giving up,
// and then loudly.
func (a *app) save(ctx context.Context, plan *link.Plan, res *link.Result) error {
	var err error
	for _, wait := range []time.Duration{0, 500 * time.Millisecond, 2 * time.Second} {
		time.Sleep(wait)
		if _, err = plan.Save(context.WithoutCancel(ctx), res); err == nil {
			return nil
		}
		if errors.Is(err, accounts.ErrExists) || errors.Is(err, accounts.ErrBadName) {
			break
		}
		fmt.Fprintf(a.stderr, "Storing %s failed (%s); trying again ...\n", res.Name, termtext.Clean(err.Error()))
	}
	return fmt.Errorf("the provider issued the tokens but they could not be stored, and they end with this process: %w", err)
}

// linkProgress says what a slow step is doing.
func (a *app) linkProgress(e link.Event) {
	switch e.Kind {
	case link.EventDiscover:
		fmt.Fprintf(a.stderr, "Reading the OpenID Connect configuration of %s ...\n", termtext.Clean(e.Detail))
	case link.EventExchange:
		fmt.Fprintf(a.stderr, "Exchanging the code with %s ...\n", e.Detail)
	case link.EventClientCredentials:
		fmt.Fprintf(a.stderr, "Getting an application token from %s by client credentials ...\n", e.Detail)
	}
}

// linkFailed adds the "start over" advice: a failed exchange is never retried.
func (a *app) linkFailed(name string, err error) error {
	code := exitCode(err)
	if code == ExitInterrupted {
		return err
	}
	hint := fmt.Sprintf("Nothing was stored. Run 'tokenring link %s ...' again to start a fresh authorization.", name)
	return &codedError{code: code, err: err, hint: hint}
}

// linkCode shows the authorization URL, then takes the first of the pasted
// code (stdin) and the loopback capture, and redeems it.
func (a *app) linkCode(ctx context.Context, name string, s *link.Authorize, timeout time.Duration) (*link.Result, error) {
	defer s.Close()
	if timeout <= 0 {
		return nil, usageErrorf("--timeout must be positive")
	}
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w := a.stderr
	if s.ListenErr != nil {
		fmt.Fprintf(w, "Note: %s; paste the code instead.\n", termtext.Clean(s.ListenErr.Error()))
	}
	fmt.Fprintf(w, "To link %s, open this address in a browser and approve the access:\n\n", name)
	fmt.Fprintf(w, "  %s\n\n", s.URL)
	switch {
	case s.Listening != "":
		fmt.Fprintf(w, "tokenring is listening on %s and takes the code when the browser comes back.\n", s.Listening)
		fmt.Fprintln(w, "Or paste the code, or the whole address the browser landed on, and press Enter:")
	case s.OOB:
		fmt.Fprintln(w, "The provider then shows a code. Paste it here and press Enter:")
	default:
		fmt.Fprintln(w, "The browser then lands on your redirect address (the page may not load; that is fine).")
		fmt.Fprintln(w, "Paste that whole address from the address bar, or just the code, and press Enter:")
	}

	type pasted struct {
		text string
		err  error
	}
	lines := make(chan pasted, 1)
	go func() {
		s, err := readLine(a.stdin, flow.MaxPaste+1)
		lines <- pasted{s, err}
	}()
	var pastes <-chan pasted = lines
	captured := s.Captured()

	for {
		select {
		case <-wait.Done():
			if ctx.Err() == nil {
				return nil, withCode(ExitNotAuthd, fmt.Errorf("no code arrived within %s (--timeout)", termtext.Duration(timeout)))
			}
			return nil, ctx.Err()
		case r, ok := <-captured:
			if !ok {
				captured = nil
				if pastes == nil {
					return nil, withCode(ExitNotAuthd, errors.New("the loopback listener stopped and nothing was pasted"))
				}
				continue
			}
			if r.Err != nil {
				return nil, r.Err
			}
			fmt.Fprintln(w, "Received the code from the browser.")
			return s.Redeem(ctx, r.Code)
		case l := <-pastes:
			if l.err != nil && strings.TrimSpace(l.text) == "" {
				if captured != nil {
					// stdin is closed (e.g. </dev/null): the browser can
					// still come back to the loopback listener.
					pastes = nil
					fmt.Fprintf(w, "Nothing to read on standard input; waiting up to %s for the browser ...\n", termtext.Duration(timeout))
					continue
				}
				if errors.Is(l.err, io.EOF) {
					return nil, withCode(ExitNotAuthd, errors.New("nothing was pasted (standard input ended)"))
				}
				return nil, fmt.Errorf("reading the pasted code: %w", l.err)
			}
			code, err := s.Code(l.text)
			if err != nil {
				return nil, err
			}
			return s.Redeem(ctx, code)
		}
	}
}

// linkDevice shows the device code and waits for the approval (RFC 8628).
func (a *app) linkDevice(ctx context.Context, name string, d *link.Device) (*link.Result, error) {
	w := a.stderr
	fmt.Fprintf(w, "To link %s, open this address on any device:\n\n  %s\n\nand enter the code:\n\n  %s\n\n",
		name, termtext.Clean(d.VerificationURI), termtext.Clean(d.UserCode))
	if d.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s, which carries the code)\n", termtext.Clean(d.VerificationURIComplete))
	}
	if !d.Expiry.IsZero() {
		fmt.Fprintf(w, "Waiting for approval; the code expires in %s ...\n", termtext.Duration(d.Expiry.Sub(a.now())))
	} else {
		fmt.Fprintln(w, "Waiting for approval ...")
	}
	return d.Wait(ctx)
}

// readLine reads one line (without its end) of at most max bytes.
func readLine(r io.Reader, max int) (string, error) {
	br := bufio.NewReaderSize(r, 512)
	var b strings.Builder
	for {
		c, err := br.ReadByte()
		if err != nil {
			return b.String(), err
		}
		if c == '\n' {
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		if b.Len() >= max {
			return "", withCode(ExitNotAuthd, fmt.Errorf("%w: the pasted line is longer than %d bytes", flow.ErrNotACode, max-1))
		}
		b.WriteByte(c)
	}
}

func expiryPhrase(exp, now time.Time) string {
	if exp.IsZero() {
		return "the token does not expire"
	}
	d := exp.Sub(now)
	if d <= 0 {
		return "the token has expired"
	}
	return "the token expires in " + termtext.Duration(d)
}

func refreshPhrase(t *flow.Token) string {
	if t.RefreshToken != "" {
		return "tokenring refreshes it before then with its refresh token"
	}
	if t.Expires() {
		return "there is no refresh token: link it again when it expires"
	}
	return "no refresh token is needed"
}
