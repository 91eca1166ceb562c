package localoauth

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnableControl turns on the control endpoints under /_localoauth/, which let
// a test in another process drive a standalone server (see Main). They are
// not recorded and not counted. Never enable them outside tests and demos.
//
//	POST /_localoauth/approve        url=AUTHURL  -> 200 text: what the user pastes
//	POST /_localoauth/deny           url=AUTHURL  -> 200 text: the redirect URL with the error
//	POST /_localoauth/approve-device [user_code=] -> 204 (default: the latest user code)
//	POST /_localoauth/deny-device    [user_code=] -> 204
//	POST /_localoauth/revoke-all                  -> 204
//	POST /_localoauth/revoke         token=       -> 204
//	POST /_localoauth/fail  status= body= content_type= delay=2s late=1 count= path= -> 204
//	POST /_localoauth/clock offset=90s            -> 204 (server clock = now + offset)
//	POST /_localoauth/mint  scope= ttl=30s        -> 200 JSON Tokens
//	GET  /_localoauth/count?path=/oauth/token     -> 200 text: a number
//	GET  /_localoauth/requests                    -> 200 JSON []Recorded
//	GET  /_localoauth/user-code                   -> 200 text: the latest user code
func (s *Server) EnableControl() { s.control = true }

func (s *Server) handleControl(c *call) {
	w := c.w
	text := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, msg)
	}
	f := c.form
	if f == nil {
		f = c.r.URL.Query()
	}
	name := strings.TrimPrefix(c.r.URL.Path, "/_localoauth/")
	post := c.r.Method == http.MethodPost
	switch {
	case post && (name == "approve" || name == "deny"):
		var out string
		var err error
		if name == "approve" {
			out, err = s.Approve(f.Get("url"))
		} else {
			out, err = s.Deny(f.Get("url"))
		}
		if err != nil {
			text(http.StatusBadRequest, err.Error())
			return
		}
		text(http.StatusOK, out)
	case post && (name == "approve-device" || name == "deny-device"):
		uc := f.Get("user_code")
		if uc == "" {
			uc = s.LastUserCode()
		}
		if err := s.decideDevice(uc, name == "approve-device"); err != nil {
			text(http.StatusBadRequest, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case post && name == "revoke-all":
		s.RevokeAll()
		w.WriteHeader(http.StatusNoContent)
	case post && name == "revoke":
		s.Revoke(f.Get("token"))
		w.WriteHeader(http.StatusNoContent)
	case post && name == "fail":
		fl := Failure{Body: f.Get("body"), ContentType: f.Get("content_type"), Path: f.Get("path")}
		fl.Status, _ = strconv.Atoi(f.Get("status"))
		fl.Count, _ = strconv.Atoi(f.Get("count"))
		fl.Late = f.Get("late") == "1"
		if d := f.Get("delay"); d != "" {
			var err error
			if fl.Delay, err = time.ParseDuration(d); err != nil {
				text(http.StatusBadRequest, "bad delay")
				return
			}
		}
		s.SetFail(fl)
		w.WriteHeader(http.StatusNoContent)
	case post && name == "clock":
		off, err := time.ParseDuration(f.Get("offset"))
		if err != nil {
			text(http.StatusBadRequest, "bad offset")
			return
		}
		s.SetNow(func() time.Time { return time.Now().Add(off) })
		w.WriteHeader(http.StatusNoContent)
	case post && name == "mint":
		var ttl time.Duration
		if v := f.Get("ttl"); v != "" {
			ttl, _ = time.ParseDuration(v)
		}
		t, err := s.MintTokens(f.Get("scope"), ttl)
		if err != nil {
			text(http.StatusBadRequest, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(t)
	case name == "count":
		text(http.StatusOK, strconv.Itoa(s.Count(f.Get("path"))))
	case name == "requests":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Requests())
	case name == "user-code":
		text(http.StatusOK, s.LastUserCode())
	default:
		text(http.StatusNotFound, "unknown control endpoint")
	}
}

// Main runs one provider as a standalone process (the cmd/localoauth entry
// point; also usable from a hidden subcommand). It prints one JSON line
// {"provider","url","authorize_url","token_url"} to stdout once listening,
// then serves until SIGINT/SIGTERM (or stdin closes, with -stdin). Secrets
// come from the environment, never argv: LOCALOAUTH_CLIENT_SECRET,
// LOCALOAUTH_APP_CLIENT_SECRET, LOCALOAUTH_API_KEY. Control endpoints are on
// unless -control=false.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("localoauth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "oidc", "warhorn, dressipi or oidc")
	addr := fs.String("addr", "127.0.0.1:0", "loopback listen address")
	clientID := fs.String("client-id", "tokenring-test", "client id")
	appClientID := fs.String("app-client-id", "", "Warhorn application client id (client_credentials)")
	redirect := fs.String("redirect-uri", "", "registered redirect URI(s), comma-separated")
	accessTTL := fs.Duration("access-ttl", 0, "access token lifetime (0 = provider default)")
	refreshTTL := fs.Duration("refresh-ttl", 0, "OIDC refresh token lifetime (0 = none)")
	rotate := fs.Bool("rotate", false, "OIDC: rotate refresh tokens")
	jwtTokens := fs.Bool("jwt", false, "OIDC: JWT access tokens")
	device := fs.Bool("device", false, "OIDC: device authorization endpoint")
	revocation := fs.Bool("revocation", false, "OIDC: revocation endpoint")
	cc := fs.Bool("client-credentials", false, "OIDC: client_credentials grant")
	basic := fs.Bool("basic", false, "OIDC: require client_secret_basic")
	pkce := fs.Bool("pkce", false, "OIDC: require PKCE S256")
	demo := fs.Bool("demo", false, "OIDC: friendly demo pages")
	interval := fs.Int("interval", 0, "OIDC: device polling interval in seconds")
	control := fs.Bool("control", true, "serve the /_localoauth/ control endpoints")
	stdin := fs.Bool("stdin", false, "exit when stdin closes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var s *Server
	var err error
	switch *provider {
	case "warhorn":
		s, err = StartWarhorn(WarhornOptions{ClientID: *clientID, ClientSecret: os.Getenv("LOCALOAUTH_CLIENT_SECRET"),
			RedirectURI: *redirect, AppClientID: *appClientID, AppClientSecret: os.Getenv("LOCALOAUTH_APP_CLIENT_SECRET"), Addr: *addr})
	case "dressipi":
		s, err = StartDressipi(DressipiOptions{ClientID: *clientID, APIKey: os.Getenv("LOCALOAUTH_API_KEY"), AccessTTL: *accessTTL, Addr: *addr})
	case "oidc":
		var uris []string
		for _, u := range strings.Split(*redirect, ",") {
			if u = strings.TrimSpace(u); u != "" {
				uris = append(uris, u)
			}
		}
		s, err = StartOIDC(OIDCOptions{ClientID: *clientID, ClientSecret: os.Getenv("LOCALOAUTH_CLIENT_SECRET"), RedirectURIs: uris,
			AccessTTL: *accessTTL, RefreshTTL: *refreshTTL, RotateRefresh: *rotate, JWTAccessTokens: *jwtTokens, Device: *device,
			Revocation: *revocation, ClientCredentials: *cc, BasicAuth: *basic, PKCE: *pkce, Demo: *demo, DeviceInterval: *interval, Addr: *addr})
	default:
		fmt.Fprintf(stderr, "localoauth: unknown provider %q (warhorn, dressipi, oidc)\n", *provider)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *control {
		s.EnableControl()
	}
	json.NewEncoder(stdout).Encode(map[string]string{
		"provider": *provider, "url": s.URL,
		"authorize_url": s.URL + s.cfg.authorizePath, "token_url": s.URL + s.cfg.tokenPath,
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *stdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	Serve(ctx, s)
	return 0
}
