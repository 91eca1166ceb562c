// Package exchange is the HTTP side of tokenring's OAuth: it implements
// flow.Exchanger with golang.org/x/oauth2 (code exchange, refresh, client
// credentials, device authorization, revocation, OpenID Connect discovery)
// and runs the one-shot RFC 8252 loopback listener.
//
// Construct a client with New and pass it wherever a flow.Exchanger is
// wanted:
//
//	ex := exchange.New()            // 30 s per request, 1 MiB bodies
//	ex.Timeout = 10 * time.Second   // optional
//	ex.HTTP = &http.Client{Transport: t} // optional: custom transport / CA pool
//	var _ flow.Exchanger = ex
//
// Every request runs under its own timeout, carries the provider's headers,
// its API key (flow.Provider.APIKeyHeader) and a User-Agent, never follows a
// redirect, and reads at most MaxBody bytes. The client authentication style
// is always explicit (never x/oauth2's auto-detection, which re-sends a
// failed request and would spend a single-use code twice), so a code
// exchange sends exactly one HTTP request.
//
// Errors wrap one of flow.ErrTimeout, ErrUnreachable, ErrTLS, ErrServer,
// ErrBadResponse, ErrConfig, ErrInsecure, ErrNonceMismatch (test with
// errors.Is), or are a *flow.OAuthError (errors.As) for an RFC 6749 error
// answer. Their text names the provider's host and what happened; it never
// contains a token, code, secret, verifier or the reply's body.
package exchange

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Defaults used when the Client's fields are zero.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBody   = 1 << 20 // 1 MiB, as x/oauth2 caps token replies
	DefaultUserAgent = "tokenring (+https://github.com/tokenring/tokenring)"
)

// Client talks OAuth over HTTP. The zero value works (the defaults apply);
// New returns one with the defaults spelled out. A Client is safe for
// concurrent use once its fields are set.
type Client struct {
	// HTTP supplies the Transport (nil: http.DefaultTransport). Its Timeout,
	// Jar and CheckRedirect are not used: each request gets Timeout below,
	// no cookies and no redirects.
	HTTP *http.Client
	// Timeout bounds each HTTP request, reply body included (<= 0: 30 s).
	// PollDevice applies it to each poll, not to the whole wait.
	Timeout time.Duration
	// MaxBody caps a reply body (<= 0: 1 MiB). A larger reply is an error
	// wrapping flow.ErrBadResponse. Token replies are also capped at 1 MiB
	// by x/oauth2 itself, so raising it only helps discovery documents.
	MaxBody int64
	// Now is the clock for expiries (nil: time.Now).
	Now func() time.Time
	// UserAgent is sent on every request ("": DefaultUserAgent).
	UserAgent string

	// wait sleeps between device polls; tests replace it (nil: a timer).
	wait func(ctx context.Context, d time.Duration) error
}

// New returns a Client with a 30 s timeout, a 1 MiB body cap, the system
// clock and the default User-Agent, over http.DefaultTransport.
func New() *Client {
	return &Client{Timeout: DefaultTimeout, MaxBody: DefaultMaxBody, Now: time.Now, UserAgent: DefaultUserAgent}
}

var _ flow.Exchanger = (*Client)(nil)

func (c *Client) timeout() time.Duration {
	if c == nil || c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Client) maxBody() int64 {
	if c == nil || c.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return c.MaxBody
}

func (c *Client) now() time.Time {
	if c == nil || c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Client) userAgent() string {
	if c == nil || c.UserAgent == "" {
		return DefaultUserAgent
	}
	return c.UserAgent
}

func (c *Client) baseTransport() http.RoundTripper {
	if c != nil && c.HTTP != nil && c.HTTP.Transport != nil {
		return c.HTTP.Transport
	}
	return http.DefaultTransport
}

// call is the state of one logical operation (one HTTP request, except for
// the retries the transport makes itself before anything was written). The
// transport records what it saw so errors can be classified without
// reading x/oauth2's error strings (which include the body).
type call struct {
	op   string // "code exchange", "refresh", ...
	host string // provider host[:port], for messages
	max  int64  // body cap in force

	// what the request carried, for flow.OAuthError's advice
	apiKeyHeader string
	sentSecret   bool

	requests     int
	status       int
	contentType  string
	bodyLen      int
	firstByte    byte // first non-space byte of the body, 0 if none
	tooLarge     bool
	transportErr error
	// wrote: the request was written to the connection, so the provider may
	// have processed it even if no answer came (see flow.ErrNotSent).
	wrote atomic.Bool
}

// transport adds headers, caps and buffers the reply body, and records
// what happened into call.
type transport struct {
	base    http.RoundTripper
	headers map[string]string // provider headers (non-secret)
	keyName string            // API key header, "" for none
	key     string
	ua      string
	max     int64
	call    *call
	// tokenReply: the reply goes to x/oauth2's token parser (see
	// normalizeExpiresIn).
	tokenReply bool
}

var errTooLarge = errors.New("reply body too large")

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	for k, v := range t.headers { // never replacing Authorization or Content-Type
		if r.Header.Get(k) == "" {
			r.Header.Set(k, v)
		}
	}
	if t.keyName != "" {
		r.Header.Set(t.keyName, t.key)
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.ua)
	}
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/json")
	}
	st := t.call
	st.requests++
	r = r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { st.wrote.Store(true) },
	}))
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		st.transportErr = err
		return nil, err
	}
	st.status = resp.StatusCode
	st.contentType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.ContentLength > t.max {
		resp.Body.Close()
		st.tooLarge = true
		return nil, errTooLarge
	}
	body, err := readCapped(resp.Body, resp.ContentLength, t.max)
	resp.Body.Close()
	if err != nil {
		st.transportErr = err
		return nil, err
	}
	if int64(len(body)) > t.max {
		st.tooLarge = true
		return nil, errTooLarge
	}
	st.bodyLen = len(body)
	if b := bytes.TrimSpace(body); len(b) > 0 {
		st.firstByte = b[0]
	}
	if t.tokenReply && st.firstByte == '{' {
		body = normalizeExpiresIn(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// readCapped reads at most max+1 bytes; with a known length (already
// checked against max) it allocates the buffer once.
func readCapped(r io.Reader, length, max int64) ([]byte, error) {
	if length < 0 {
		return io.ReadAll(io.LimitReader(r, max+1))
	}
	buf := make([]byte, length, length+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	// A body longer than its Content-Length is the transport's business;
	// net/http stops at Content-Length.
	return buf, nil
}

// prepare validates endpoint and returns the call record, a context with the
// timeout and the oauth2.HTTPClient value, and the http.Client to use.
func (c *Client) prepare(ctx context.Context, op, endpoint string, p flow.Provider, s flow.Secrets) (*call, *http.Client, error) {
	host, err := checkEndpoint(op, endpoint)
	if err != nil {
		return nil, nil, err
	}
	st := &call{op: op, host: host, max: c.maxBody(), sentSecret: s.ClientSecret != ""}
	t := &transport{
		base:    c.baseTransport(),
		headers: p.Headers,
		ua:      c.userAgent(),
		max:     c.maxBody(),
		call:    st,
	}
	if p.APIKeyHeader != "" {
		if s.APIKey == "" {
			return nil, nil, fmt.Errorf("%s failed: %w: %s needs an API key (sent as %s on every call); none is stored",
				op, flow.ErrConfig, p.Label(), termtext.Clean(p.APIKeyHeader))
		}
		if !validHeaderValue(s.APIKey) {
			return nil, nil, fmt.Errorf("%s failed: %w: the stored API key contains characters an HTTP header cannot carry (a line break or control character); enter it again",
				op, flow.ErrConfig)
		}
		t.keyName, t.key = p.APIKeyHeader, s.APIKey
		st.apiKeyHeader = termtext.Clean(p.APIKeyHeader)
	}
	hc := &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return st, hc, nil
}

// validHeaderValue: no control characters except tab (RFC 9110 §5.5).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// checkEndpoint applies flow's endpoint rule (flow.CheckEndpoint: https,
// or http on loopback) once more right before a request, whatever the
// caller validated (a provider read back from an account file is not trusted),
// and returns the endpoint's host[:port] for messages.
func checkEndpoint(op, raw string) (string, error) {
	if err := flow.CheckEndpoint("endpoint", raw); err != nil {
		return "", fmt.Errorf("%s failed: the %w", op, err)
	}
	u, _ := url.Parse(strings.TrimSpace(raw)) // CheckEndpoint parsed it
	return termtext.Clean(u.Host), nil
}

// withTimeout derives the per-request context.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, c.timeout())
}

// opError is what every non-OAuth failure looks like: a sentence for a
// person plus the kind (a flow sentinel) for errors.Is. cause is an
// underlying network or context error, reachable by errors.Is/As but never
// printed.
type opError struct {
	op, msg string
	kind    error
	cause   error
	notSent bool // the request never reached the provider (flow.ErrNotSent)
}

func (e *opError) Error() string {
	return e.op + " failed: " + e.kind.Error() + " (" + e.msg + ")"
}

func (e *opError) Unwrap() []error {
	errs := []error{e.kind}
	if e.notSent {
		errs = append(errs, flow.ErrNotSent)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// oauth completes an RFC 6749 error answer with what the request was.
func (st *call) oauth(oe *flow.OAuthError) *flow.OAuthError {
	oe.Op, oe.APIKeyHeader, oe.ClientSecret = st.op, st.apiKeyHeader, st.sentSecret
	return oe
}

func (st *call) fail(kind error, cause error, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if st.op == opExchange && kind != flow.ErrConfig && kind != flow.ErrInsecure {
		msg += "; start the authorization again, a code works only once"
	}
	return &opError{op: st.op, msg: msg, kind: kind, cause: cause}
}

// classify turns whatever a request produced into a tokenring error. oerr
// is an RFC 6749 error already read from the reply, if any. ctx is the
// caller's context (before the timeout was added).
func (c *Client) classify(ctx context.Context, st *call, err error, oerr *flow.OAuthError) error {
	if oerr != nil {
		return st.oauth(oerr)
	}
	if st.tooLarge {
		return st.fail(flow.ErrBadResponse, nil, "%s sent a reply larger than %s", st.host, sizeString(st.max))
	}
	if st.transportErr != nil || (st.status == 0 && err != nil) {
		terr := st.transportErr
		if terr == nil {
			terr = err
		}
		return c.network(ctx, st, terr)
	}
	switch {
	case st.status >= 500:
		return st.fail(flow.ErrServer, nil, "%s answered HTTP %d%s", st.host, st.status, st.shape())
	case st.status >= 300 && st.status < 400:
		return st.fail(flow.ErrBadResponse, nil, "%s answered with a redirect (HTTP %d), which tokenring does not follow; check the endpoint URL", st.host, st.status)
	case st.status >= 400:
		return st.fail(flow.ErrBadResponse, nil, "%s answered HTTP %d without an OAuth error%s", st.host, st.status, st.shape())
	}
	switch {
	case st.bodyLen == 0:
		return st.fail(flow.ErrBadResponse, nil, "%s sent an empty reply (HTTP %d)", st.host, st.status)
	case st.firstByte == '<':
		return st.fail(flow.ErrBadResponse, nil, "%s sent an HTML page instead of JSON (HTTP %d)", st.host, st.status)
	case st.firstByte != '{' && st.contentType != "application/x-www-form-urlencoded" && st.contentType != "text/plain":
		return st.fail(flow.ErrBadResponse, nil, "%s sent a reply that is not JSON (HTTP %d)", st.host, st.status)
	}
	return st.fail(flow.ErrBadResponse, nil, "%s sent a reply that is not a valid %s answer", st.host, st.op)
}

// shape describes a body without showing it.
func (st *call) shape() string {
	switch {
	case st.bodyLen == 0:
		return " with an empty body"
	case st.firstByte == '<':
		return " with an HTML page"
	case st.firstByte == '{':
		return ""
	}
	return " with a body that is not JSON"
}

func (c *Client) network(ctx context.Context, st *call, err error) error {
	e := c.networkKind(ctx, st, err)
	if oe, ok := e.(*opError); ok && !st.wrote.Load() {
		oe.notSent = true
	}
	return e
}

func (c *Client) networkKind(ctx context.Context, st *call, err error) error {
	if ctx != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return st.fail(context.Canceled, err, "cancelled while talking to %s", st.host)
	}
	var (
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		he   x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		ae   tls.AlertError
		dnse *net.DNSError
		ne   net.Error
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he), errors.As(err, &cie):
		return st.fail(flow.ErrTLS, err, "%s presented a certificate that is not trusted or not valid for it", st.host)
	case errors.As(err, &rhe):
		return st.fail(flow.ErrTLS, err, "%s does not speak TLS on that port", st.host)
	case errors.As(err, &ae):
		return st.fail(flow.ErrTLS, err, "%s ended the TLS handshake", st.host)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		if !errors.Is(err, context.DeadlineExceeded) {
			err = errors.Join(err, context.DeadlineExceeded)
		}
		return st.fail(flow.ErrTimeout, err, "%s gave no answer within %s", st.host, c.timeout())
	case errors.Is(err, syscall.ECONNREFUSED):
		return st.fail(flow.ErrUnreachable, err, "%s refused the connection", st.host)
	case errors.As(err, &dnse):
		return st.fail(flow.ErrUnreachable, err, "the host name of %s could not be resolved", st.host)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return st.fail(flow.ErrUnreachable, err, "%s closed the connection without a complete answer", st.host)
	}
	return st.fail(flow.ErrUnreachable, err, "network error talking to %s", st.host)
}

func sizeString(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
