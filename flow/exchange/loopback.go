package exchange

import (
	"context"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// ListenLoopback starts a one-shot RFC 8252 §7.3 listener for req: it listens
// on req.RedirectURI's host and port (localhost listens on 127.0.0.1 and,
// when it can, [::1]) and waits for one GET on the redirect path carrying
// the request's state. It answers a small HTML page ("You can close this tab
// and return to tokenring") and delivers a CaptureResult: the code, or the
// provider's error (*flow.OAuthError, Op "authorization") for error=...
// Requests with a wrong or missing state, without a code, on other paths or
// for /favicon.ico get an error page and are otherwise ignored. The
// listener stops after the first result or Close; Result is then closed.
//
// When the redirect URI has no port or port 0, a free port is chosen:
// Capture.RedirectURI reports it, and the caller must build the
// authorization URL with it (the redirect_uri of the authorization request
// and of the code exchange must be identical) — use (*flow.AuthRequest).WithRedirectURI.
// Pasting keeps working alongside: the listener never consumes a code
// itself.
func (c *Client) ListenLoopback(req *flow.AuthRequest) (flow.Capture, error) {
	if req == nil {
		return nil, fmt.Errorf("loopback listener: %w: no authorization request", flow.ErrConfig)
	}
	if !flow.IsLoopbackRedirect(req.RedirectURI) {
		return nil, fmt.Errorf("loopback listener: %w: the redirect URI is not http on 127.0.0.1, [::1] or localhost", flow.ErrConfig)
	}
	u, _ := url.Parse(req.RedirectURI)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "0"
	}
	hosts := []string{host}
	if strings.EqualFold(host, "localhost") {
		hosts = []string{"127.0.0.1", "::1"} // a browser may resolve either
	}
	var lns []net.Listener
	for i, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err != nil {
			if i > 0 { // [::1] missing: 127.0.0.1 alone will do
				continue
			}
			return nil, fmt.Errorf("loopback listener: cannot listen on %s port %s (%w: is another program using it?)", termtext.Clean(h), termtext.Clean(port), flow.ErrConfig)
		}
		if port == "0" {
			port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		}
		lns = append(lns, ln)
	}
	ru := *u
	ru.Host = net.JoinHostPort(host, port)
	path := u.Path
	if path == "" {
		path = "/"
	}
	cp := &capture{
		redirect: ru.String(),
		path:     path,
		state:    req.State,
		result:   make(chan flow.CaptureResult, 1),
		done:     make(chan struct{}),
	}
	cp.srv = &http.Server{
		Handler:           cp,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // never write over the TUI
	}
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Add(1)
		go func() { defer wg.Done(); _ = cp.srv.Serve(ln) }()
	}
	go func() {
		wg.Wait()
		cp.finish()
	}()
	return cp, nil
}

type capture struct {
	redirect, path, state string
	srv                   *http.Server

	mu        sync.Mutex
	delivered bool
	result    chan flow.CaptureResult
	done      chan struct{}
	closeOnce sync.Once
	finOnce   sync.Once
}

func (cp *capture) Result() <-chan flow.CaptureResult { return cp.result }
func (cp *capture) RedirectURI() string               { return cp.redirect }

// Close stops the listener; Result is closed once it has stopped.
func (cp *capture) Close() error {
	cp.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := cp.srv.Shutdown(ctx); err != nil {
			_ = cp.srv.Close()
		}
	})
	return nil
}

func (cp *capture) finish() {
	cp.finOnce.Do(func() {
		cp.mu.Lock()
		if !cp.delivered {
			cp.delivered = true
			close(cp.result)
		}
		cp.mu.Unlock()
		close(cp.done)
	})
}

// deliver hands over the one result; false when one was already delivered.
func (cp *capture) deliver(r flow.CaptureResult) bool {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.delivered {
		return false
	}
	cp.delivered = true
	cp.result <- r
	close(cp.result)
	go cp.Close()
	return true
}

func (cp *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}
	if r.URL.Path != cp.path {
		page(w, http.StatusNotFound, "Not found", "This is tokenring's one-time sign-in listener; nothing else lives here.")
		return
	}
	if r.Method != http.MethodGet {
		h.Set("Allow", "GET")
		page(w, http.StatusMethodNotAllowed, "Not allowed", "The sign-in redirect must be a GET request.")
		return
	}
	q := r.URL.Query()
	if cp.state != "" && q.Get("state") != cp.state {
		page(w, http.StatusBadRequest, "Wrong sign-in attempt",
			"This redirect does not belong to the sign-in tokenring is waiting for (the state does not match). Start again from tokenring.")
		return
	}
	var res flow.CaptureResult
	var status int
	var title, text string
	switch {
	case q.Get("error") != "":
		oe := newOAuthError(q.Get("error"), q.Get("error_description"), q.Get("error_uri"), 0, nil)
		oe.Op = "authorization"
		res = flow.CaptureResult{Err: oe}
		status, title = http.StatusOK, "Sign-in not completed"
		text = "The provider answered: " + oe.Code
		if oe.Description != "" {
			text += " (" + oe.Description + ")"
		}
		text += ". You can close this tab and return to tokenring."
	case q.Get("code") != "":
		res = flow.CaptureResult{Code: q.Get("code")}
		status, title = http.StatusOK, "Signed in"
		text = "You can close this tab and return to tokenring."
	default:
		page(w, http.StatusBadRequest, "No code", "This redirect carries no authorization code. Return to tokenring and start again.")
		return
	}
	if !cp.deliver(res) {
		page(w, http.StatusGone, "Already done", "tokenring has already received a sign-in result. You can close this tab.")
		return
	}
	page(w, status, title, text)
}

func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tokenring: %s</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.4em}</style>
</head><body><h1>%s</h1><p>%s</p></body></html>
`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
