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
	cmd.MarkFlagsMutuallyExclusive("device", "client-credentials")
	_ = cmd.RegisterFlagCompletionFunc("provider", a.completeProviders)
	return cmd
}

// resolveProvider builds the provider from --provider (config.toml first,
// then the built-in presets) and the other flags.
func (a *app) resolveProvider(cfg config.File, f linkFlags) (flow.Provider, error) {
	if strings.TrimSpace(f.provider) == "" {
		return flow.Provider{}, withHint(ExitUsage, errors.New("link needs --provider"),
			"Run 'tokenring providers' for the list, e.g. --provider warhorn, --provider dressipi or --provider oidc.")
	}
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
	if p, ok := cfg.Provider(f.provider); ok {
		if p.NeedsBaseURL && p.BaseURL == "" && o.BaseURL == "" {
			return flow.Provider{}, usageErrorf("provider %s needs the customer's API base URL: give --base-url", p.ID)
		}
		return p.With(o), nil
	}
	p, err := flow.Preset(f.provider, o)
	if err != nil {
		return flow.Provider{}, withCode(ExitUsage, err)
	}
	return p, nil
}

func (a *app) link(ctx context.Context, name string, f linkFlags) error {
	if err := checkName(name); err != nil {
		return err
	}
	st, cfg, err := a.openStore(true)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Account(name); err == nil {
		return withHint(ExitExists, fmt.Errorf("an account named %s already exists", name),
			fmt.Sprintf("Remove it first ('tokenring remove %s') or choose another name.", name))
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	p, err := a.resolveProvider(cfg, f)
	if err != nil {
		return err
	}
	if p.Issuer != "" {
		fmt.Fprintf(a.stderr, "Reading the OpenID Connect configuration of %s ...\n", termtext.Clean(p.Issuer))
		if p, err = a.exchanger.Discover(ctx, p.Issuer, p); err != nil {
			return err
		}
	}
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return withCode(ExitUsage, err)
	}

	var sec flow.Secrets
	secretNeed := p.ClientSecret
	if p.Grant == flow.GrantClientCredentials {
		secretNeed = flow.NeedRequired
	}
	if sec.ClientSecret, err = a.secret(config.EnvClientSecret, p.ID, secretNeed); err != nil {
		return err
	}
	if p.APIKeyHeader != "" {
		if sec.APIKey, err = a.secret(config.EnvAPIKey, p.ID, flow.NeedRequired); err != nil {
			return err
		}
	}
	// A wrong passphrase must show now, before a single-use code is spent.
	if err := a.unlock(ctx, st); err != nil {
		return err
	}

	var tok *flow.Token
	switch p.Grant {
	case flow.GrantClientCredentials:
		fmt.Fprintf(a.stderr, "Getting an application token from %s by client credentials ...\n", p.Label())
		tok, err = a.exchanger.ClientCredentials(ctx, p, sec)
	case flow.GrantDeviceCode:
		tok, err = a.linkDevice(ctx, name, p, sec)
	default:
		tok, p, err = a.linkCode(ctx, name, p, sec, f)
	}
	if err != nil {
		return a.linkFailed(name, err)
	}
	if tok == nil || tok.AccessToken == "" {
		return withCode(ExitProvider, errors.New("the provider answered without an access token"))
	}

	acct, item := accounts.Linked(name, p, sec, *tok, a.now())
	if err := st.Add(ctx, acct, item); err != nil {
		return fmt.Errorf("the token was issued but could not be stored: %w", err)
	}
	fmt.Fprintf(a.stderr, "Linked %s (%s): %s; %s.\n", name, p.Label(), expiryPhrase(tok.Expiry, a.now()), refreshPhrase(tok))
	fmt.Fprintf(a.stderr, "Get its token with: tokenring token %s\n", name)
	return nil
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

// linkCode runs the authorization-code flow: print the URL, then take the
// first of the pasted code (stdin) and the loopback capture.
func (a *app) linkCode(ctx context.Context, name string, p flow.Provider, sec flow.Secrets, f linkFlags) (*flow.Token, flow.Provider, error) {
	req, err := flow.StartAuth(p)
	if err != nil {
		return nil, p, withCode(ExitUsage, err)
	}
	var capture flow.Capture
	if !f.noListen && flow.IsLoopbackRedirect(req.RedirectURI) {
		c, lerr := a.exchanger.ListenLoopback(req)
		if lerr != nil {
			fmt.Fprintf(a.stderr, "Note: %s; paste the code instead.\n", termtext.Clean(lerr.Error()))
		} else {
			capture = c
			defer c.Close()
			if c.RedirectURI() != req.RedirectURI {
				if req, err = req.WithRedirectURI(c.RedirectURI()); err != nil {
					return nil, p, err
				}
			}
		}
	}
	p = req.Provider

	w := a.stderr
	fmt.Fprintf(w, "To link %s, open this address in a browser and approve the access:\n\n", name)
	fmt.Fprintf(w, "  %s\n\n", req.URL)
	switch {
	case capture != nil:
		fmt.Fprintf(w, "tokenring is listening on %s and takes the code when the browser comes back.\n", capture.RedirectURI())
		fmt.Fprintln(w, "Or paste the code, or the whole address the browser landed on, and press Enter:")
	case req.RedirectURI == flow.OOBRedirectURI || req.RedirectURI == flow.DressipiRedirectURI:
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
	var captured <-chan flow.CaptureResult
	if capture != nil {
		captured = capture.Result()
	}

	var code string
	for code == "" {
		select {
		case <-ctx.Done():
			return nil, p, ctx.Err()
		case r, ok := <-captured:
			if !ok {
				captured = nil
				if pastes == nil {
					return nil, p, withCode(ExitNotAuthd, errors.New("the loopback listener stopped and nothing was pasted"))
				}
				continue
			}
			if r.Err != nil {
				return nil, p, r.Err
			}
			fmt.Fprintln(w, "Received the code from the browser.")
			code = r.Code
		case l := <-pastes:
			if l.err != nil && strings.TrimSpace(l.text) == "" {
				if captured != nil {
					// stdin is closed (e.g. </dev/null): the browser can
					// still come back to the loopback listener.
					pastes = nil
					fmt.Fprintln(w, "Nothing to read on standard input; waiting for the browser ...")
					continue
				}
				if errors.Is(l.err, io.EOF) {
					return nil, p, withCode(ExitNotAuthd, errors.New("nothing was pasted (standard input ended)"))
				}
				return nil, p, fmt.Errorf("reading the pasted code: %w", l.err)
			}
			if code, err = req.ReadPaste(l.text); err != nil {
				return nil, p, err
			}
		}
	}
	fmt.Fprintf(w, "Exchanging the code with %s ...\n", p.Label())
	tok, err := a.exchanger.Exchange(ctx, req, sec, code)
	return tok, p, err
}

// linkDevice runs the device authorization grant (RFC 8628).
func (a *app) linkDevice(ctx context.Context, name string, p flow.Provider, sec flow.Secrets) (*flow.Token, error) {
	d, err := a.exchanger.StartDevice(ctx, p, sec)
	if err != nil {
		return nil, err
	}
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
	return a.exchanger.PollDevice(ctx, p, sec, d)
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
