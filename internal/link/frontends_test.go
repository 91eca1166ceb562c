package link_test

// One table of linking cases run against both front ends — the command line
// (cli.Run, in this process) and the TUI's link wizard (the real ui program
// under teatest) — on the strict local providers (real HTTP on 127.0.0.1)
// and the real file keyring in temp dirs. Both front ends only render
// internal/link, so every case must end the same way on both: linked or
// not, the same class of error, and the same number of token requests
// counted at the provider. The provider is the same config.toml table for
// both (the CLI reads it from TOKENRING_HOME, the wizard gets its
// ProviderList), and the "user" does the same thing in both: approve or
// deny at the provider, then paste what the browser shows or let the
// browser come back to the loopback listener.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/cli"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/localoauth"
	"github.com/tokenring/tokenring/ui"
)

// outcome is how a link ended, as a class both front ends can show.
type outcome string

const (
	linked      outcome = "linked"
	denied      outcome = "denied at the provider"
	providerErr outcome = "refused by the token endpoint"
	wrongState  outcome = "another attempt's redirect"
	notACode    outcome = "not a code"
	locked      outcome = "keyring locked"
	taken       outcome = "name taken"
)

const (
	acct       = "acct"
	passphrase = "keyring pass"
	whRedirect = "https://app.example/oauth/callback"
)

// grant is one way of linking, with its provider as config.toml declares it.
type grant struct {
	name      string
	server    func() *localoauth.Server
	config    func(url string) string // the body of [providers.p]
	tokenPath string
	env       map[string]string // the secrets, for the CLI
	fields    []string          // what the wizard's form asks after the name, in order
	device    bool              // the user enters a code on another device (no URL to paste from)
	url       bool              // an authorization URL is shown
}

var grants = []grant{
	{name: "warhorn (https redirect, paste the address)",
		server: func() *localoauth.Server {
			return localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "wh", ClientSecret: "wh-secret", RedirectURI: whRedirect})
		},
		config: func(u string) string {
			return fmt.Sprintf("preset = \"warhorn\"\nclient_id = \"wh\"\nredirect_uri = %q\nauth_url = %q\ntoken_url = %q\n",
				whRedirect, u+"/oauth/authorize", u+"/oauth/token")
		},
		tokenPath: "/oauth/token", env: map[string]string{config.EnvClientSecret: "wh-secret"},
		fields: []string{"wh-secret"}, url: true},
	{name: "dressipi (out-of-band code, API key)",
		server: func() *localoauth.Server {
			return localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr", APIKey: "key-1"})
		},
		config: func(u string) string {
			return fmt.Sprintf("preset = \"dressipi\"\nclient_id = \"dr\"\nbase_url = %q\n", u)
		},
		tokenPath: "/oauth/token", env: map[string]string{config.EnvAPIKey: "key-1"},
		fields: []string{"key-1"}, url: true},
	{name: "oidc (discovery, loopback listener)",
		server: func() *localoauth.Server {
			return localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oc", RedirectURIs: []string{"http://127.0.0.1/callback"}, PKCE: true})
		},
		config: func(u string) string {
			return fmt.Sprintf("issuer = %q\nclient_id = \"oc\"\nredirect_uri = \"http://127.0.0.1/callback\"\n", u)
		},
		tokenPath: "/token", fields: []string{""}, url: true},
	{name: "device code",
		server: func() *localoauth.Server {
			// The client polls only after the interval: a user who approves
			// within it is seen at the first (and only) token request.
			return localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "tv", Device: true, DeviceInterval: 2})
		},
		config: func(u string) string {
			return fmt.Sprintf("issuer = %q\nclient_id = \"tv\"\ngrant = \"device_code\"\n", u)
		},
		tokenPath: "/token", fields: []string{""}, device: true},
	{name: "client credentials",
		server: func() *localoauth.Server {
			return localoauth.NewWarhorn(localoauth.WarhornOptions{ClientID: "app", ClientSecret: "app-secret"})
		},
		config: func(u string) string {
			return fmt.Sprintf("preset = \"warhorn\"\nclient_id = \"app\"\ngrant = \"client_credentials\"\ntoken_url = %q\n", u+"/oauth/token")
		},
		tokenPath: "/oauth/token", env: map[string]string{config.EnvClientSecret: "app-secret"},
		fields: []string{"app-secret"}},
}

// delivery is what comes back to tokenring after the user acted at the
// provider: a paste, or the browser's redirect to the loopback listener.
type delivery struct{ paste, get string }

// user plays the person at the provider. authURL is the URL tokenring
// showed ("" for the device flow, after the user code is on screen).
type user func(t *testing.T, srv *localoauth.Server, authURL string) delivery

// the same for every front end
func approve(t *testing.T, srv *localoauth.Server, authURL string) delivery {
	if authURL == "" {
		mustDo(t, srv.ApproveDevice(srv.LastUserCode()))
		return delivery{}
	}
	landed, err := srv.Approve(authURL)
	mustDo(t, err)
	return back(landed)
}

func deny(t *testing.T, srv *localoauth.Server, authURL string) delivery {
	if authURL == "" {
		mustDo(t, srv.DenyDevice(srv.LastUserCode()))
		return delivery{}
	}
	landed, err := srv.Deny(authURL)
	mustDo(t, err)
	return back(landed)
}

// back: the browser returns to the loopback listener by itself; any other
// address (or an OOB page's text) the user pastes.
func back(landed string) delivery {
	if strings.HasPrefix(landed, "http://127.0.0.1:") {
		return delivery{get: landed}
	}
	return delivery{paste: landed}
}

// otherState approves, then pastes the address with another attempt's state.
func otherState(t *testing.T, srv *localoauth.Server, authURL string) delivery {
	landed, err := srv.Approve(authURL)
	mustDo(t, err)
	u, err := url.Parse(landed)
	mustDo(t, err)
	q := u.Query()
	q.Set("state", "state-of-another-attempt")
	u.RawQuery = q.Encode()
	return delivery{paste: u.String()}
}

func garbage(*testing.T, *localoauth.Server, string) delivery {
	return delivery{paste: "hello there general kenobi"}
}

// failTokens makes the token endpoint refuse the next request.
func failTokens(srv *localoauth.Server) {
	srv.SetFail(localoauth.Failure{Status: 400, ContentType: "application/json",
		Body: `{"error":"invalid_client","error_description":"client authentication failed"}`})
}

type linkCase struct {
	grant  grant
	what   string
	setup  func(srv *localoauth.Server)
	user   user // nil: the user is never asked to act
	state  keyState
	want   outcome
	tokens int // token requests at the provider
}

// keyState is the keyring before the link: unlocked (its passphrase
// known), locked (it exists, the passphrase is not known and nobody can be
// asked), or holding an account already named acct.
type keyState int

const (
	unlocked keyState = iota
	lockedRing
	nameTaken
)

func cases() []linkCase {
	var cs []linkCase
	add := func(g grant, what string, setup func(*localoauth.Server), u user, st keyState, want outcome, tokens int) {
		cs = append(cs, linkCase{g, what, setup, u, st, want, tokens})
	}
	for _, g := range grants {
		switch {
		case g.url:
			add(g, "success", nil, approve, unlocked, linked, 1)
			if strings.HasPrefix(g.name, "dressipi") {
				// An out-of-band page shows the refusal itself; its text,
				// pasted, is not a code. Nothing is sent.
				add(g, "denial", nil, deny, unlocked, notACode, 0)
			} else {
				add(g, "denial", nil, deny, unlocked, denied, 0)
			}
			add(g, "provider error", failTokens, approve, unlocked, providerErr, 1)
			if !strings.HasPrefix(g.name, "dressipi") { // an OOB code carries no state
				add(g, "wrong state", nil, otherState, unlocked, wrongState, 0)
			}
			add(g, "garbage paste", nil, garbage, unlocked, notACode, 0)
		case g.device:
			add(g, "success", nil, approve, unlocked, linked, 1)
			add(g, "denial", nil, deny, unlocked, denied, 1)
			add(g, "provider error", failTokens, func(*testing.T, *localoauth.Server, string) delivery { return delivery{} },
				unlocked, providerErr, 1)
		default:
			add(g, "success", nil, nil, unlocked, linked, 1)
			add(g, "provider error", failTokens, nil, unlocked, providerErr, 1)
		}
		add(g, "keyring locked", nil, nil, lockedRing, locked, 0)
		add(g, "name taken", nil, nil, nameTaken, taken, 0)
	}
	return cs
}

// run is one case on one front end.
type run struct {
	t   *testing.T
	c   linkCase
	srv *localoauth.Server
	dir string // TOKENRING_HOME: config.toml and the file keyring
	cfg config.File
}

func newRun(t *testing.T, c linkCase) *run {
	srv := c.grant.server()
	t.Cleanup(srv.Close)
	if c.setup != nil {
		c.setup(srv)
	}
	dir := t.TempDir()
	text := "[providers.p]\n" + c.grant.config(srv.URL)
	mustDo(t, os.WriteFile(filepath.Join(dir, config.FileName), []byte(text), 0o600))
	cfg, err := config.Load(dir)
	mustDo(t, err)
	r := &run{t: t, c: c, srv: srv, dir: dir, cfg: cfg}
	if c.state != unlocked {
		// An existing keyring: the account acct (or another one) is in it.
		name := acct
		if c.state == lockedRing {
			name = "other"
		}
		st := r.open(passphrase)
		p, err := flow.Preset(flow.PresetWarhorn, flow.Overrides{ClientID: "x", RedirectURI: whRedirect})
		mustDo(t, err)
		a, sec := accounts.Linked(name, p, flow.Secrets{}, flow.Token{AccessToken: "old", TokenType: "Bearer"}, time.Now())
		mustDo(t, st.Add(ctxT(t), a, sec))
		mustDo(t, st.Close())
	}
	return r
}

func (r *run) open(pass string) *accounts.Store {
	st, err := accounts.Open(accounts.Config{Dir: r.dir, Backend: "file", EnvPassphrase: pass, Exchanger: exchange.New()})
	mustDo(r.t, err)
	return st
}

// spent counts what reached the provider beyond reading its public
// configuration: a locked keyring must spend nothing at all.
func (r *run) spent() int {
	n := 0
	for _, q := range r.srv.Requests() {
		if !strings.HasPrefix(q.Path, "/.well-known/") && q.Path != "/jwks" {
			n++
		}
	}
	return n
}

// check compares the run's end with the case's and says what it saw.
func (r *run) check(front string, got outcome) string {
	t, c := r.t, r.c
	n := r.srv.Count(c.grant.tokenPath)
	if got != c.want || n != c.tokens {
		t.Errorf("%s: %s after %d token requests; want %s after %d", front, got, n, c.want, c.tokens)
	}
	if c.state == lockedRing && r.spent() != 0 {
		t.Errorf("%s: %d requests reached the provider with the keyring locked", front, r.spent())
	}
	st := r.open(passphrase)
	defer st.Close()
	tok, err := st.Token(ctxT(t), acct)
	switch {
	case c.want == linked && (err != nil || !r.srv.ValidAccessToken(tok.AccessToken)):
		t.Errorf("%s: the stored token of %s is not one the provider issued (%v)", front, acct, err)
	case c.want == taken && (err != nil || tok.AccessToken != "old"):
		t.Errorf("%s: the account that had the name was changed (%v)", front, err)
	case c.want != linked && c.want != taken && err == nil:
		t.Errorf("%s: %s was stored", front, acct)
	}
	return fmt.Sprintf("%s %d", got, n)
}

func TestFrontEndsLinkAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("drives both front ends through every case")
	}
	var table []string
	for _, c := range cases() {
		t.Run(c.grant.name+"/"+c.what, func(t *testing.T) {
			viaCLI := linkCLI(newRun(t, c))
			viaTUI := linkTUI(newRun(t, c))
			table = append(table, fmt.Sprintf("%-45s %-15s | CLI: %-34s | wizard: %s", c.grant.name, c.what, viaCLI, viaTUI))
		})
	}
	t.Logf("case | outcome and token requests\n%s", strings.Join(table, "\n"))
}

// ---- the command line ---------------------------------------------------------

// syncBuffer is stderr, read while the command runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var authURLRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/(?:oauth/)?authorize\?\S+`)

func linkCLI(r *run) string {
	t, c := r.t, r.c
	env := map[string]string{config.EnvHome: r.dir, config.EnvKeyring: "file"}
	if c.state != lockedRing {
		env[config.EnvPassphrase] = passphrase
	}
	for k, v := range c.grant.env {
		env[k] = v
	}
	stdin, typed := io.Pipe()
	defer typed.Close()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- cli.Run(ctxT(t), []string{"link", acct, "--provider", "p"}, stdin, io.Discard, &stderr,
			func(k string) string { return env[k] })
	}()
	if c.user != nil {
		authURL := ""
		if c.grant.url {
			authURL = waitFor(t, "the authorization URL on stderr", exit, func() string { return authURLRe.FindString(stderr.String()) })
		} else {
			waitFor(t, "the user code", exit, r.srv.LastUserCode)
		}
		d := c.user(t, r.srv, authURL)
		go deliver(d, func(s string) { fmt.Fprintln(typed, s) })
	}
	var code int
	select {
	case code = <-exit:
	case <-time.After(30 * time.Second):
		t.Fatalf("the command did not end; stderr:\n%s", stderr.String())
	}
	return r.check("CLI", cliOutcome(code, stderr.String()))
}

// waitFor polls get until it gives something, failing if the command ended first.
func waitFor(t *testing.T, what string, exit chan int, get func() string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := get(); s != "" {
			return s
		}
		select {
		case code := <-exit:
			exit <- code
			return ""
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no %s", what)
	return ""
}

func deliver(d delivery, paste func(string)) {
	switch {
	case d.get != "":
		if resp, err := http.Get(d.get); err == nil {
			resp.Body.Close()
		}
	case d.paste != "":
		paste(d.paste)
	}
}

// cliOutcome classifies the exit code (the documented contract) and, where
// one code covers several classes, the message.
func cliOutcome(code int, stderr string) outcome {
	switch {
	case code == cli.ExitOK:
		return linked
	case code == cli.ExitExists:
		return taken
	case code == cli.ExitKeyring:
		return locked
	case code == cli.ExitNotAuthd && strings.Contains(stderr, "access_denied"):
		return denied
	case code == cli.ExitNotAuthd && strings.Contains(stderr, "state does not match"):
		return wrongState
	case code == cli.ExitNotAuthd && strings.Contains(stderr, "is not an authorization code"):
		return notACode
	case code == cli.ExitProvider || code == cli.ExitNeedsLink:
		return providerErr
	}
	return outcome(fmt.Sprintf("exit %d: %s", code, stderr))
}

// ---- the wizard ----------------------------------------------------------------

// watched records the root model's view (without styling) after each
// message, for the test to read without racing the program.
type watched struct {
	m    *ui.Model
	mu   sync.Mutex
	view string
}

func (w *watched) Init() tea.Cmd { return w.m.Init() }

func (w *watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := w.m.Update(msg)
	v := ansi.Strip(w.m.View().Content)
	w.mu.Lock()
	w.view = v
	w.mu.Unlock()
	return w, cmd
}

func (w *watched) View() tea.View { return w.m.View() }

func (w *watched) snapshot() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.view
}

// wait waits until the view satisfies cond.
func (w *watched) wait(t *testing.T, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if v := w.snapshot(); cond(v) {
			return v
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; view:\n%s", what, w.snapshot())
	return ""
}

type noClipboard struct{}

func (noClipboard) WriteAll(string) error    { return nil }
func (noClipboard) ReadAll() (string, error) { return "", nil }

func linkTUI(r *run) string {
	t, c := r.t, r.c
	pass := passphrase
	if c.state == lockedRing {
		pass = ""
	}
	st := r.open(pass)
	opened := make(chan string, 4)
	w := &watched{m: ui.New(ui.Options{
		Store: st, Exchanger: exchange.New(), Providers: r.cfg.ProviderList(), Timeout: 10 * time.Second,
		Getenv:          func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, // a local session: the browser opens
		OpenURL:         func(_ context.Context, u string) error { opened <- u; return nil },
		NativeClipboard: noClipboard{},
	})}
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(100, 30))
	key := func(s string) {
		switch s {
		case "enter":
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		default:
			tm.Type(s)
		}
	}
	w.wait(t, "the list", func(v string) bool { return strings.Contains(v, "keyring: file") })
	key("n") // link an account
	w.wait(t, "the provider picker", func(v string) bool { return strings.Contains(v, "Which provider") })
	key("1") // the config.toml provider
	w.wait(t, "the form", func(v string) bool { return strings.Contains(v, "Account name *") })
	key(acct)
	for _, f := range c.grant.fields {
		key("enter")
		if f != "" {
			key(f)
		}
	}
	key("enter")
	if c.user != nil {
		authURL := ""
		select {
		case authURL = <-opened:
		case <-time.After(20 * time.Second):
			t.Fatalf("the wizard opened no URL; view:\n%s", w.snapshot())
		}
		if c.grant.device {
			w.wait(t, "the user code", func(v string) bool { return strings.Contains(v, "and enter the code") })
			authURL = ""
		}
		d := c.user(t, r.srv, authURL)
		deliver(d, func(s string) {
			tm.Send(tea.PasteMsg{Content: s}) // the paste fills the box,
			key("enter")                      // enter submits it
		})
	}
	var got outcome
	w.wait(t, "the end of the link", func(v string) bool {
		got = wizardOutcome(v)
		return got != ""
	})
	mustDo(t, tm.Quit())
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	mustDo(t, st.Close())
	return r.check("wizard", got)
}

// wizardOutcome reads the class from what the user sees ("" while linking).
func wizardOutcome(v string) outcome {
	flat := strings.Join(strings.Fields(v), " ")
	switch {
	case strings.Contains(flat, "Linked "+acct):
		return linked
	case strings.Contains(flat, "already exists"):
		return taken
	case strings.Contains(flat, "Unlock the keyring"):
		return locked
	case strings.Contains(flat, "is not an authorization code"):
		return notACode
	case strings.Contains(flat, "different authorization attempt"):
		return wrongState
	case strings.Contains(flat, "Linking failed") && strings.Contains(flat, "refused: access_denied"):
		return denied
	case strings.Contains(flat, "Linking failed") && strings.Contains(flat, "refused: invalid_client"):
		return providerErr
	case strings.Contains(flat, "Linking failed"):
		return outcome("failed: " + flat)
	}
	return ""
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
