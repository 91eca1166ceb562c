package ui

// The UI's second line of defence against escape sequences: text from a
// provider reaches the view cleaned even when whatever produced it did not
// clean it (the real exchanger and flow clean first; the fakes here do not).
// Each test renders the whole view and fails on any control character or
// escape sequence the UI does not write itself.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// hostile is provider text that would move the cursor, clear the screen,
// set the window title, ring the bell and reverse the text's direction.
const hostile = "x\x1b[2J\x1b]0;pwned\x07\x1b]8;;https://evil.example\x1b\\ \u009b31m\u0085 \u202eevil\u202c \u2066\u2069\u200e\u200f\u061c\x07 end"

// ownSeq are the only escape sequences the UI writes: SGR (colour, bold,
// underline) and OSC 8 hyperlinks, ended by BEL or ST.
var ownSeq = regexp.MustCompile(`^(?:\x1b\[[0-9;:]*m|\x1b\]8;[^\x07\x1b]*(?:\x07|\x1b\\))`)

// unsafeIn lists what in a rendered view is not the UI's own styling: an
// ESC or BEL outside SGR and OSC 8, a C1 control (raw or UTF-8) or a bidi
// control anywhere, also inside a hyperlink's target.
func unsafeIn(v string) []string {
	var bad []string
	flag := func(at int, r rune) { bad = append(bad, fmt.Sprintf("%U at byte %d", r, at)) }
	for i := 0; i < len(v); {
		if m := ownSeq.FindString(v[i:]); m != "" {
			for j, r := range m[2:] { // the parameters and the target, not the frame
				if isC1(r) || isBidi(r) {
					flag(i+2+j, r)
				}
			}
			i += len(m)
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1 && v[i] >= 0x80 && v[i] <= 0x9f:
			flag(i, rune(v[i])) // a raw C1 byte
		case r == 0x1b, r == 0x07, isC1(r), isBidi(r):
			flag(i, r)
		}
		i += n
	}
	return bad
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// The checker itself: it must see each kind of hostile character.
func TestUnsafeInSeesEveryKind(t *testing.T) {
	if got := unsafeIn("\x1b[1mbold\x1b[0m \x1b]8;;https://ok.example\x07link\x1b]8;;\x07"); got != nil {
		t.Fatalf("the UI's own styling flagged: %v", got)
	}
	for _, s := range []string{"\x1b[2J", "\x1b]0;t\x07", "\x07", "\u009b", "\x9b", "\u202e", "\u2066", "\u200f", "\u061c",
		"\x1b]8;;https://e.example/\u202e\x07"} {
		if unsafeIn("a"+s+"b") == nil {
			t.Errorf("%q not seen", s)
		}
	}
}

// assertClean fails when the raw view holds anything unsafe, and checks
// that the view shows what the test expects (the hostile text's harmless
// part), so the test cannot pass by showing nothing.
func assertClean(t *testing.T, m *Model, want string) {
	t.Helper()
	v := m.View().Content
	if bad := unsafeIn(v); len(bad) > 0 {
		t.Errorf("unsafe characters in the view: %v\n%q", bad, v)
	}
	if flat := strings.Join(strings.Fields(ansi.Strip(v)), " "); !strings.Contains(flat, want) {
		t.Errorf("the view lacks %q:\n%s", want, ansi.Strip(v))
	}
}

// rawExchanger answers every call with hostile text, uncleaned.
type rawExchanger struct {
	flow.Exchanger
	listen bool // ListenLoopback fails too
}

func (rawExchanger) Refresh(context.Context, flow.Provider, flow.Secrets, string) (*flow.Token, error) {
	return nil, errors.New("refresh: " + hostile)
}

func (rawExchanger) Exchange(context.Context, *flow.AuthRequest, flow.Secrets, string) (*flow.Token, error) {
	return nil, &flow.OAuthError{Op: "code exchange", Code: "bad" + hostile, Description: "desc" + hostile}
}

func (rawExchanger) ClientCredentials(context.Context, flow.Provider, flow.Secrets) (*flow.Token, error) {
	return nil, errors.New("app: " + hostile)
}

func (e rawExchanger) ListenLoopback(*flow.AuthRequest) (flow.Capture, error) {
	return nil, errors.New("listen: " + hostile)
}

// A refresh error shown on the account's row (the info line of the selected
// row): the real store, the exchanger's raw error.
func TestRowRefreshErrorIsCleaned(t *testing.T) {
	st, err := accounts.Open(accounts.Config{Dir: t.TempDir(), Backend: "file", EnvPassphrase: "pw", Exchanger: rawExchanger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, _ := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: "https://api.shop.example", ClientID: "c"})
	a, sec := accounts.Linked("shop", p, flow.Secrets{APIKey: "k"},
		flow.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, time.Now())
	if err := st.Add(t.Context(), a, sec); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Store: st, Timeout: 5 * time.Second, Getenv: func(string) string { return "" }})
	settle(t, m, tea.WindowSizeMsg{Width: 200, Height: 24})
	settle(t, m, loadedFromStore(t, st))
	settle(t, m, press("r"))
	assertClean(t, m, "shop: refresh") // the row says the gist,
	settle(t, m, press("enter"))
	assertClean(t, m, "refresh: x evil end") // the detail view all of it
}

// wizardTo opens the wizard on the one configured provider p, fills the
// name and (when given) the secret, and submits; it returns the URL the
// wizard opened in the "browser" ("" when none).
func wizardTo(t *testing.T, ex flow.Exchanger, p flow.Provider, secret string, open func(context.Context, string) error) (*Model, chan string) {
	t.Helper()
	c := newClock()
	o := baseOptions(newFakeStore(c), c, map[string]string{"DISPLAY": ":0"})
	o.Exchanger, o.Providers = ex, []flow.Provider{p}
	opened := make(chan string, 4)
	o.OpenURL = func(ctx context.Context, u string) error {
		opened <- u
		if open != nil {
			return open(ctx, u)
		}
		return nil
	}
	m := New(o)
	settle(t, m, tea.WindowSizeMsg{Width: 200, Height: 30})
	settle(t, m, loadedFromStore(t, o.Store))
	for _, k := range []string{"n", "1", "n", "a", "m", "e", "tab"} {
		settle(t, m, press(k))
	}
	for _, r := range secret {
		settle(t, m, press(string(r)))
	}
	settle(t, m, press("enter"))
	return m, opened
}

func warhornAt(redirect string) flow.Provider {
	p, _ := flow.Preset(flow.PresetWarhorn, flow.Overrides{ClientID: "wh", RedirectURI: redirect,
		AuthURL: "https://wh.example/oauth/authorize", TokenURL: "https://wh.example/oauth/token"})
	return p
}

// A provider's refusal on the wizard's failure screen: an OAuth error whose
// code and description are raw, and a plain error of the exchanger.
func TestWizardProviderErrorIsCleaned(t *testing.T) {
	t.Run("oauth error", func(t *testing.T) {
		m, opened := wizardTo(t, rawExchanger{}, warhornAt("https://app.example/cb"), "s", nil)
		u, err := url.Parse(<-opened)
		if err != nil {
			t.Fatal(err)
		}
		settle(t, m, tea.PasteMsg{Content: "https://app.example/cb?code=abc&state=" + u.Query().Get("state")})
		settle(t, m, press("enter"))
		assertClean(t, m, "Warhorn refused: badx evil end — descx evil end")
	})
	t.Run("plain error", func(t *testing.T) {
		p, _ := flow.Preset(flow.PresetWarhorn, flow.Overrides{ClientID: "app", Grant: flow.GrantClientCredentials})
		m, _ := wizardTo(t, rawExchanger{}, p, "s", nil)
		assertClean(t, m, "app: x evil end")
	})
}

// What the wizard shows around the paste: the pasted text itself (refused:
// not a code), a browser that could not open, a listener that could not
// start.
func TestWizardPasteErrorsAreCleaned(t *testing.T) {
	t.Run("the pasted text", func(t *testing.T) {
		m, _ := wizardTo(t, rawExchanger{}, warhornAt("https://app.example/cb"), "s", nil)
		settle(t, m, tea.PasteMsg{Content: hostile})
		settle(t, m, press("enter"))
		assertClean(t, m, "is not an authorization code")
		assertClean(t, m, "› x evil end")
	})
	t.Run("the browser", func(t *testing.T) {
		m, _ := wizardTo(t, rawExchanger{}, warhornAt("https://app.example/cb"), "s",
			func(context.Context, string) error { return errors.New("open: " + hostile) })
		assertClean(t, m, "Could not open a browser (open: x evil end)")
	})
	t.Run("the listener", func(t *testing.T) {
		m, _ := wizardTo(t, rawExchanger{}, warhornAt("http://127.0.0.1/callback"), "s", nil)
		assertClean(t, m, "Cannot catch the redirect here: listen: x evil end.")
	})
}
