package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

func TestRefreshRotatingAndNot(t *testing.T) {
	for _, rotate := range []bool{true, false} {
		t.Run(fmt.Sprint("rotate=", rotate), func(t *testing.T) {
			var n atomic.Int32
			valid := map[string]bool{testRefresh: true}
			cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				i := n.Add(1)
				rt := r.PostForm.Get("refresh_token")
				if r.PostForm.Get("grant_type") != "refresh_token" || !valid[rt] {
					jsonReply(400, `{"error":"invalid_grant"}`)(w, r)
					return
				}
				if !rotate {
					jsonReply(200, fmt.Sprintf(`{"access_token":"at-%d","expires_in":60}`, i))(w, r)
					return
				}
				delete(valid, rt)
				next := fmt.Sprintf("rt-%d", i)
				valid[next] = true
				jsonReply(200, fmt.Sprintf(`{"access_token":"at-%d","refresh_token":%q,"expires_in":60}`, i, next))(w, r)
			})
			c := testClient()
			p := testProvider(cs.URL)
			tok, err := c.Refresh(context.Background(), p, testSecrets, testRefresh)
			if err != nil {
				t.Fatal(err)
			}
			f := cs.last(t).Form
			if f.Get("client_secret") != testSecret || f.Get("client_id") != "client-1" || f.Get("redirect_uri") != p.RedirectURI || f.Has("scope") {
				t.Errorf("refresh form %v", f)
			}
			if rotate && tok.RefreshToken != "rt-1" {
				t.Errorf("rotated: refresh token %q, want rt-1", tok.RefreshToken)
			}
			if !rotate && tok.RefreshToken != testRefresh {
				t.Errorf("not rotated: refresh token %q, want the old one", tok.RefreshToken)
			}
			// The kept/rotated token works for the next refresh; the old one
			// is refused after a rotation.
			if _, err := c.Refresh(context.Background(), p, testSecrets, tok.RefreshToken); err != nil {
				t.Fatal(err)
			}
			_, err = c.Refresh(context.Background(), p, testSecrets, testRefresh)
			if rotate {
				wantOAuth(t, err, "invalid_grant")
			} else if err != nil {
				t.Fatal(err)
			}
			wantRequests(t, cs, 3)
		})
	}
}

func TestRevoke(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	cs := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch st := int(status.Load()); st {
		case 200:
			w.WriteHeader(200)
		case 400:
			jsonReply(400, `{"error":"unsupported_token_type","error_description":"cannot revoke `+r.PostForm.Get("token")+`"}`)(w, r)
		default:
			w.WriteHeader(st)
		}
	})
	c := testClient()
	p := testProvider(cs.URL)
	p.ClientAuth = flow.ClientAuthBasic
	if err := c.Revoke(context.Background(), p, testSecrets, testRefresh, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	r := cs.last(t)
	if r.Method != "POST" || r.Path != "/revoke" || r.Form.Get("token") != testRefresh || r.Form.Get("token_type_hint") != "refresh_token" {
		t.Errorf("revocation request %s %s %v", r.Method, r.Path, r.Form)
	}
	if u, pw, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != "client-1" || pw != testSecret {
		t.Errorf("basic auth missing or wrong")
	}

	status.Store(503)
	err := c.Revoke(context.Background(), p, testSecrets, testAccess, "access_token")
	wantKind(t, err, flow.ErrServer)
	status.Store(400)
	err = c.Revoke(context.Background(), p, testSecrets, testAccess, "")
	oe := wantOAuth(t, err, "unsupported_token_type")
	if oe.Op != "revocation" {
		t.Errorf("op %q", oe.Op)
	}
	status.Store(500)
	wantKind(t, c.Revoke(context.Background(), p, testSecrets, testAccess, ""), flow.ErrServer)
	status.Store(404)
	wantKind(t, c.Revoke(context.Background(), p, testSecrets, testAccess, ""), flow.ErrBadResponse)
	wantRequests(t, cs, 5)

	p.RevocationURL = ""
	err = c.Revoke(context.Background(), p, testSecrets, testAccess, "")
	wantKind(t, err, flow.ErrConfig)
	if !strings.Contains(err.Error(), "no revocation endpoint") {
		t.Errorf("error %q", err)
	}
	wantRequests(t, cs, 5)
}

// deviceServer answers the device endpoint and then plays the given poll
// replies in order.
func deviceServer(t *testing.T, deviceReply string, polls ...string) *countingServer {
	t.Helper()
	var i atomic.Int32
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/device":
			jsonReply(200, deviceReply)(w, r)
		case "/token":
			if r.PostForm.Get("grant_type") != grantDeviceCode || r.PostForm.Get("device_code") != "DEV-s3cr3t" {
				jsonReply(400, `{"error":"invalid_request"}`)(w, r)
				return
			}
			k := int(i.Add(1)) - 1
			if k >= len(polls) {
				jsonReply(400, `{"error":"invalid_grant"}`)(w, r)
				return
			}
			status := 400
			if strings.Contains(polls[k], "access_token") {
				status = 200
			}
			if strings.HasPrefix(polls[k], "500") {
				jsonReply(500, `{}`)(w, r)
				return
			}
			jsonReply(status, polls[k])(w, r)
		}
	})
}

const okDevice = `{"device_code":"DEV-s3cr3t","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","verification_uri_complete":"https://example.com/device?user_code=WDJB-MJHT","expires_in":"1800","interval":2}`

func TestPollDeviceIntervalAndSlowDown(t *testing.T) {
	cs := deviceServer(t, okDevice,
		`{"error":"authorization_pending"}`,
		`{"error":"slow_down"}`,
		`{"error":"authorization_pending"}`,
		`500`,
		`{"error":"slow_down"}`,
		`{"access_token":"dev-token","token_type":"Bearer","expires_in":300}`,
	)
	c := testClient()
	var waits []time.Duration
	c.wait = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
	p := testProvider(cs.URL)
	p.Scopes = []string{"openid", "profile"}
	d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
	if err != nil {
		t.Fatal(err)
	}
	f := cs.last(t).Form
	if f.Get("client_id") != "client-1" || f.Get("scope") != "openid profile" || f.Has("client_secret") {
		t.Errorf("device request form %v", f)
	}
	if d.Interval != 2*time.Second || !d.Expiry.Equal(fixedNow.Add(30*time.Minute)) || d.UserCode != "WDJB-MJHT" {
		t.Fatalf("device auth %+v", d)
	}
	tok, err := c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "dev-token" {
		t.Fatalf("token %q", tok.AccessToken)
	}
	s := time.Second
	// 2, pending → 2, slow_down → 7, pending → 7, 500 → back off 14, slow_down → 19.
	want := []time.Duration{2 * s, 2 * s, 7 * s, 7 * s, 14 * s, 19 * s}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	wantRequests(t, cs, 1+6)
}

func TestPollDeviceStops(t *testing.T) {
	for _, tc := range []struct {
		reply string
		code  string
	}{
		{`{"error":"access_denied"}`, "access_denied"},
		{`{"error":"expired_token"}`, "expired_token"},
		{`{"error":"invalid_client"}`, "invalid_client"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			cs := deviceServer(t, okDevice, `{"error":"authorization_pending"}`, tc.reply)
			c := testClient()
			c.wait = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
			p := testProvider(cs.URL)
			d, err := c.StartDevice(context.Background(), p, flow.Secrets{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
			wantOAuth(t, err, tc.code)
			wantRequests(t, cs, 3)
		})
	}
	t.Run("expiry passes locally", func(t *testing.T) {
		cs := deviceServer(t, okDevice)
		now := fixedNow
		c := testClient()
		c.Now = func() time.Time { return now }
		c.wait = func(ctx context.Context, _ time.Duration) error { now = now.Add(time.Hour); return ctx.Err() }
		p := testProvider(cs.URL)
		d, _ := c.StartDevice(context.Background(), p, flow.Secrets{})
		d.Expiry = fixedNow.Add(time.Minute)
		_, err := c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
		oe := wantOAuth(t, err, "expired_token")
		if oe.Status != 0 {
			t.Errorf("status %d: the expiry should be noticed locally", oe.Status)
		}
		wantRequests(t, cs, 1) // the device request only: no poll after the expiry
	})
	t.Run("no expires_in", func(t *testing.T) {
		cs := deviceServer(t, okDevice, `{"error":"authorization_pending"}`, `{"error":"authorization_pending"}`, `{"error":"authorization_pending"}`)
		now := fixedNow
		c := testClient()
		c.Now = func() time.Time { return now }
		c.wait = func(ctx context.Context, _ time.Duration) error { now = now.Add(12 * time.Minute); return ctx.Err() }
		p := testProvider(cs.URL)
		d, _ := c.StartDevice(context.Background(), p, flow.Secrets{})
		d.Expiry = time.Time{}
		_, err := c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
		wantOAuth(t, err, "expired_token")
		wantRequests(t, cs, 1+2) // polls at +12 and +24 minutes, none at +36
	})
	t.Run("persistent 500s", func(t *testing.T) {
		cs := deviceServer(t, okDevice, "500", "500", "500", "500", "500")
		c := testClient()
		c.wait = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		p := testProvider(cs.URL)
		d, _ := c.StartDevice(context.Background(), p, flow.Secrets{})
		_, err := c.PollDevice(pollCtx(t), p, flow.Secrets{}, d)
		wantKind(t, err, flow.ErrServer)
		wantRequests(t, cs, 1+4)
	})
}

func TestStartDeviceBadReplies(t *testing.T) {
	for name, body := range map[string]string{
		"missing user_code":  `{"device_code":"d","verification_uri":"https://x.example/d"}`,
		"javascript uri":     `{"device_code":"d","user_code":"U","verification_uri":"javascript:alert(1)"}`,
		"not json":           `<html></html>`,
		"device code spaces": `{"device_code":"a b","user_code":"U","verification_uri":"https://x.example/d"}`,
	} {
		t.Run(name, func(t *testing.T) {
			cs := newServer(t, jsonReply(200, body))
			p := testProvider(cs.URL)
			_, err := testClient().StartDevice(context.Background(), p, flow.Secrets{})
			wantKind(t, err, flow.ErrBadResponse)
		})
	}
	t.Run("escape in user code", func(t *testing.T) {
		cs := newServer(t, jsonReply(200, `{"device_code":"d","user_code":"AB\u001b[2JCD","verification_uri":"https://x.example/d","verification_uri_complete":"https://x.example/\u0007"}`))
		d, err := testClient().StartDevice(context.Background(), testProvider(cs.URL), flow.Secrets{})
		if err != nil {
			t.Fatal(err)
		}
		if d.UserCode != "ABCD" || d.VerificationURIComplete != "" || d.Interval != 5*time.Second {
			t.Errorf("device auth %+v", d)
		}
	})
	t.Run("error", func(t *testing.T) {
		cs := newServer(t, jsonReply(400, `{"error":"invalid_client"}`))
		_, err := testClient().StartDevice(context.Background(), testProvider(cs.URL), flow.Secrets{})
		wantOAuth(t, err, "invalid_client")
	})
	t.Run("no endpoint", func(t *testing.T) {
		p := testProvider("http://127.0.0.1:1")
		p.DeviceAuthURL = ""
		_, err := testClient().StartDevice(context.Background(), p, flow.Secrets{})
		wantKind(t, err, flow.ErrConfig)
	})
}

func discoveryServer(t *testing.T, doc func(base string) string) *countingServer {
	t.Helper()
	var cs *countingServer
	cs = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tenant/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		jsonReply(200, doc(cs.URL+"/tenant"))(w, r)
	})
	return cs
}

func TestDiscover(t *testing.T) {
	good := func(iss string) string {
		return `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/auth","token_endpoint":"` + iss + `/token",
		"revocation_endpoint":"` + iss + `/revoke","device_authorization_endpoint":"` + iss + `/device",
		"code_challenge_methods_supported":["plain","S256"],"token_endpoint_auth_methods_supported":["client_secret_basic","private_key_jwt"]}`
	}
	cs := discoveryServer(t, good)
	c := testClient()
	issuer := cs.URL + "/tenant"
	p, err := c.Discover(context.Background(), issuer, flow.Provider{ID: "x", ClientID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != issuer || p.AuthURL != issuer+"/auth" || p.TokenURL != issuer+"/token" || p.RevocationURL != issuer+"/revoke" || p.DeviceAuthURL != issuer+"/device" {
		t.Errorf("endpoints %+v", p)
	}
	if p.PKCE != flow.PKCEOptional || p.ClientAuth != flow.ClientAuthBasic {
		t.Errorf("pkce %q client auth %q", p.PKCE, p.ClientAuth)
	}
	if r := cs.last(t); r.Method != "GET" || r.Header.Get("Accept") != "application/json" {
		t.Errorf("discovery request %s %v", r.Method, r.Header)
	}
	// A trailing slash on the issuer is part of it: the document must match exactly.
	_, err = c.Discover(context.Background(), issuer+"/", flow.Provider{})
	wantKind(t, err, flow.ErrBadResponse)

	// Overrides win; the base's PKCE and ClientAuth are kept.
	p, err = c.Discover(context.Background(), issuer, flow.Provider{TokenURL: "https://override.example/token", PKCE: flow.PKCERequired, ClientAuth: flow.ClientAuthBody})
	if err != nil || p.TokenURL != "https://override.example/token" || p.PKCE != flow.PKCERequired || p.ClientAuth != flow.ClientAuthBody {
		t.Errorf("overrides lost: %v %+v", err, p)
	}
	wantRequests(t, cs, 3)
}

func TestDiscoverRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  func(string) string
		kind error
	}{
		"issuer mismatch": {func(iss string) string {
			return `{"issuer":"https://evil.example","authorization_endpoint":"` + iss + `/a","token_endpoint":"` + iss + `/t"}`
		}, flow.ErrBadResponse},
		"http token endpoint": {func(iss string) string {
			return `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/a","token_endpoint":"http://evil.example/t"}`
		}, flow.ErrInsecure},
		"javascript auth endpoint": {func(iss string) string {
			return `{"issuer":"` + iss + `","authorization_endpoint":"javascript:alert(1)","token_endpoint":"` + iss + `/t"}`
		}, flow.ErrBadResponse},
		"ftp revocation endpoint": {func(iss string) string {
			return `{"issuer":"` + iss + `","token_endpoint":"` + iss + `/t","revocation_endpoint":"ftp://x.example/r"}`
		}, flow.ErrInsecure},
		"no token endpoint": {func(iss string) string {
			return `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/a"}`
		}, flow.ErrBadResponse},
		"not json":  {func(string) string { return `<html>hi</html>` }, flow.ErrBadResponse},
		"bad types": {func(iss string) string { return `{"issuer":42}` }, flow.ErrBadResponse},
	} {
		t.Run(name, func(t *testing.T) {
			cs := discoveryServer(t, tc.doc)
			_, err := testClient().Discover(context.Background(), cs.URL+"/tenant", flow.Provider{})
			wantKind(t, err, tc.kind)
			if strings.Contains(err.Error(), "\x1b") {
				t.Error("escape in error")
			}
		})
	}
	t.Run("404", func(t *testing.T) {
		cs := discoveryServer(t, nil)
		_, err := testClient().Discover(context.Background(), cs.URL+"/other", flow.Provider{})
		wantKind(t, err, flow.ErrBadResponse)
	})
	t.Run("http issuer off loopback", func(t *testing.T) {
		_, err := testClient().Discover(context.Background(), "http://example.com", flow.Provider{})
		wantKind(t, err, flow.ErrInsecure)
	})
}

func TestClientAuthFor(t *testing.T) {
	for _, tc := range []struct {
		methods []string
		secret  flow.Need
		want    flow.ClientAuth
	}{
		{nil, flow.NeedOptional, flow.ClientAuthStandard},
		{[]string{}, flow.NeedOptional, flow.ClientAuthStandard},
		{[]string{"client_secret_post"}, flow.NeedRequired, flow.ClientAuthBody},
		{nil, flow.NeedNone, flow.ClientAuthBody},
		{[]string{"client_secret_basic"}, flow.NeedRequired, flow.ClientAuthBasic},
		{[]string{"client_secret_basic", "client_secret_post"}, flow.NeedRequired, flow.ClientAuthStandard},
		{[]string{"none"}, flow.NeedOptional, flow.ClientAuthBody},
		{[]string{"private_key_jwt"}, "", flow.ClientAuthBody},
	} {
		if got := clientAuthFor(tc.methods, tc.secret); got != tc.want {
			t.Errorf("clientAuthFor(%v, %q) = %q, want %q", tc.methods, tc.secret, got, tc.want)
		}
	}
}

func TestLoopbackCapture(t *testing.T) {
	c := testClient()
	p := testProvider("http://127.0.0.1:1")
	p.RedirectURI = "http://127.0.0.1/cb"
	req := &flow.AuthRequest{Provider: p, State: "st-1", RedirectURI: p.RedirectURI,
		URL: "https://auth.example/authorize?client_id=c&redirect_uri=" + url.QueryEscape(p.RedirectURI) + "&state=st-1"}
	capt, err := c.ListenLoopback(req)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	ru := capt.RedirectURI()
	u, _ := url.Parse(ru)
	if u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" || u.Path != "/cb" {
		t.Fatalf("redirect URI %q", ru)
	}
	req2, err := req.WithRedirectURI(ru)
	if err != nil {
		t.Fatal(err)
	}
	au, _ := url.Parse(req2.URL)
	if au.Query().Get("redirect_uri") != ru || req2.RedirectURI != ru || au.Query().Get("state") != "st-1" || req.RedirectURI == ru {
		t.Fatalf("WithRedirectURI: %q", req2.URL)
	}

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + u.Host + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := get("/favicon.ico"); st != 404 {
		t.Errorf("favicon: %d", st)
	}
	if st, _ := get("/other?code=x&state=st-1"); st != 404 {
		t.Errorf("other path: %d", st)
	}
	if st, body := get("/cb?code=x&state=wrong"); st != 400 || !strings.Contains(body, "does not belong") {
		t.Errorf("wrong state: %d", st)
	}
	if st, _ := get("/cb?state=st-1"); st != 400 {
		t.Errorf("no code: %d", st)
	}
	if resp, err := http.Post("http://"+u.Host+"/cb?code=x&state=st-1", "text/plain", nil); err != nil || resp.StatusCode != 405 {
		t.Errorf("POST: %v", err)
	}
	select {
	case r := <-capt.Result():
		t.Fatalf("a result before the real redirect: %+v", r)
	default:
	}
	st, body := get("/cb?code=" + url.QueryEscape(testCode) + "&state=st-1")
	if st != 200 || !strings.Contains(body, "You can close this tab and return to tokenring") || strings.Contains(body, testCode) {
		t.Errorf("success page: %d %q", st, body)
	}
	r, ok := <-capt.Result()
	if !ok || r.Code != testCode || r.Err != nil {
		t.Fatalf("result %+v %v", r, ok)
	}
	if _, ok := <-capt.Result(); ok {
		t.Error("Result is not closed after the result")
	}
	// The listener stops: a second redirect finds nobody (or a "gone" page).
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := get("/cb?code=y&state=st-1")
		if st == 0 || st == http.StatusGone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener still answers %d", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLoopbackError(t *testing.T) {
	req := &flow.AuthRequest{State: "st-2", RedirectURI: "http://localhost:0/"}
	capt, err := testClient().ListenLoopback(req)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	u, _ := url.Parse(capt.RedirectURI())
	if u.Hostname() != "localhost" || u.Port() == "0" {
		t.Fatalf("redirect URI %q", capt.RedirectURI())
	}
	resp, err := http.Get("http://127.0.0.1:" + u.Port() + "/?error=access_denied&error_description=" + url.QueryEscape("no \x1b[2Jway") + "&state=st-2")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "\x1b") {
		t.Error("page echoes an escape")
	}
	r := <-capt.Result()
	oe := wantOAuth(t, r.Err, "access_denied")
	if oe.Description != "no way" {
		t.Errorf("description %q", oe.Description)
	}
}

func TestLoopbackCloseAndRefusals(t *testing.T) {
	capt, err := testClient().ListenLoopback(&flow.AuthRequest{State: "s", RedirectURI: "http://[::1]:0/cb"})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	capt.Close()
	select {
	case _, ok := <-capt.Result():
		if ok {
			t.Error("a result after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Result not closed after Close")
	}
	for _, ru := range []string{"https://127.0.0.1/cb", "http://example.com/cb", "urn:ietf:wg:oauth:2.0:oob:auto", "http://10.1.1.1:80/"} {
		_, err := testClient().ListenLoopback(&flow.AuthRequest{RedirectURI: ru})
		wantKind(t, err, flow.ErrConfig)
	}
	// A busy port is a clear error.
	a, err := testClient().ListenLoopback(&flow.AuthRequest{RedirectURI: "http://127.0.0.1:0/"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = testClient().ListenLoopback(&flow.AuthRequest{RedirectURI: a.RedirectURI()})
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("busy port: %v", err)
	}
	if !errors.Is(err, flow.ErrConfig) {
		t.Errorf("busy port error %v does not wrap ErrConfig", err)
	}
}

// flow.Exchanger's contract: a refresh answer without a refresh token (the
// provider does not rotate) returns the one passed in, so the caller keeps
// a usable refresh token.
func TestRefreshWithoutNewRefreshTokenKeepsTheOld(t *testing.T) {
	cs := newServer(t, jsonReply(200, `{"access_token":"`+testAccess+`","token_type":"Bearer","expires_in":3600}`))
	tok, err := testClient().Refresh(context.Background(), testProvider(cs.URL), flow.Secrets{}, testRefresh)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != testRefresh || tok.AccessToken != testAccess {
		t.Fatalf("refresh token %q, want the old one kept", tok.RefreshToken)
	}
}
