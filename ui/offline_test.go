package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// offline_access asked for, consent switched off in auth_params, and a
// strict OpenID provider that then drops offline_access: the account is
// linked without a refresh token, and the wizard says so (the CLI warns
// too), so the user is not surprised when it must be linked again.
func TestWizardWarnsWhenOfflineAccessWasNotGranted(t *testing.T) {
	for _, consent := range []bool{true, false} {
		w := newWizEnv(t)
		srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oc", RedirectURIs: []string{localoauth.OOB}, OfflineAccess: true})
		t.Cleanup(srv.Close)
		p := flow.Provider{ID: "corp", DisplayName: "Corp", Issuer: srv.URL, ClientID: "oc", RedirectURI: localoauth.OOB,
			Scopes: []string{"openid", "offline_access"}}
		if !consent {
			p.AuthParams = map[string]string{"prompt": ""}
		}
		w.o.Providers = []flow.Provider{p}
		pr, tm := start(t, w.o, 100, 24)
		waitText(t, pr, "No accounts yet")
		tm.Send(press("n"))
		tm.Send(press("1"))
		waitText(t, pr, "Account name *")
		tm.Type("corp")
		tm.Send(press("enter")) // the client secret (optional)
		tm.Send(press("enter"))
		page, err := srv.Approve(w.nextURL(t))
		if err != nil {
			t.Fatal(err)
		}
		tm.Send(tea.PasteMsg{Content: page})
		tm.Send(press("enter")) // a paste fills the box; enter submits
		v := waitText(t, pr, "Linked corp")
		if warned := strings.Contains(v, "without a refresh token: offline access was not granted"); warned == consent {
			t.Fatalf("consent %v: warned %v:\n%s", consent, warned, v)
		}
	}
}
