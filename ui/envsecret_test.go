package ui

// Issue 12 item 8: TOKENRING_API_KEY (read once by the CLI into
// config.Env and scrubbed from the environment) reaches the wizard through
// Options.Secrets: the form does not ask for a key the user already gave.

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/localoauth"
)

func TestWizardTakesTheAPIKeyFromTheEnvironment(t *testing.T) {
	w := newWizEnv(t)
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "shop-client", APIKey: "api-key-123", AccessTTL: 10 * time.Minute})
	t.Cleanup(srv.Close)
	w.o.Secrets = flow.Secrets{APIKey: "api-key-123"}
	p, tm := start(t, w.o, 100, 30)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("3"))
	v := waitText(t, p, "API base URL *")
	for _, l := range viewLines(v) {
		f := strings.TrimPrefix(strings.TrimSpace(l), "▸ ")
		if strings.HasPrefix(f, "API key") && (strings.Contains(l, "*") || !strings.Contains(l, "TOKENRING_API_KEY")) {
			t.Fatalf("the form asks for the API key although TOKENRING_API_KEY is set: %q", l)
		}
	}
	tm.Type("shop")
	tm.Send(press("tab"))
	tm.Type(srv.URL)
	tm.Send(press("tab"))
	tm.Type("shop-client")
	tm.Send(press("tab"))
	tm.Send(press("enter")) // the API key left empty
	u := w.nextURL(t)
	text, err := srv.Approve(u)
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.PasteMsg{Content: text})
	tm.Send(press("enter"))
	waitText(t, p, "shop is linked") // the provider took the key from the environment
}
