package exchange

import (
	"context"
	"net/http"
	"testing"

	"github.com/tokenring/tokenring/flow"
)

// The standard client authentication of generic providers: HTTP Basic when
// a client secret is given (RFC 6749 §2.3.1), client_id alone in the body
// for a public client; never both, and one request either way.
func TestStandardClientAuth(t *testing.T) {
	reply := `{"access_token":"` + testAccess + `","token_type":"Bearer","expires_in":60}`
	for _, tc := range []struct {
		name      string
		secret    string
		wantBasic bool
	}{
		{"confidential", testSecret, true},
		{"public", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := newServer(t, jsonReply(http.StatusOK, reply))
			p := testProvider(cs.URL)
			p.ClientAuth = ""
			p = p.WithDefaults()
			if p.ClientAuth != flow.ClientAuthStandard {
				t.Fatalf("WithDefaults client auth = %q", p.ClientAuth)
			}
			if _, err := testClient().Refresh(context.Background(), p, flow.Secrets{ClientSecret: tc.secret}, testRefresh); err != nil {
				t.Fatal(err)
			}
			if n := cs.count(); n != 1 {
				t.Fatalf("%d requests", n)
			}
			r := cs.last(t)
			user, pass, basic := (&http.Request{Header: r.Header}).BasicAuth()
			if basic != tc.wantBasic {
				t.Fatalf("Basic auth sent = %v, want %v", basic, tc.wantBasic)
			}
			if basic && (user != p.ClientID || pass != tc.secret) {
				t.Errorf("Basic credentials %q/%q", user, pass)
			}
			if r.Form.Has("client_secret") {
				t.Error("client_secret in the body as well")
			}
			if !basic && r.Form.Get("client_id") != p.ClientID {
				t.Errorf("public client: client_id %q in the body", r.Form.Get("client_id"))
			}
		})
	}
}
