package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Device flow constants (RFC 8628 §3.2, §3.5).
const (
	defaultDeviceInterval = 5 * time.Second
	slowDownStep          = 5 * time.Second
	maxDeviceInterval     = 60 * time.Second
	maxTransientPolls     = 3                // consecutive timeouts/5xx tolerated while polling
	maxDeviceWait         = 30 * time.Minute // when the server gave no expires_in
)

// StartDevice begins a device authorization (RFC 8628 §3.1): one POST to
// the provider's DeviceAuthURL with client_id (client authentication per
// ClientAuth when a secret is given) and the provider's scopes. The user
// code and verification URIs are cleaned; the verification URIs must be
// http(s). Interval defaults to 5 s.
func (c *Client) StartDevice(ctx context.Context, p flow.Provider, s flow.Secrets) (*flow.DeviceAuth, error) {
	if p.DeviceAuthURL == "" {
		return nil, fmt.Errorf("%s failed: %w: %s has no device authorization endpoint", opDevice, flow.ErrConfig, p.Label())
	}
	form := url.Values{}
	if len(p.Scopes) > 0 {
		form.Set("scope", strings.Join(p.Scopes, " "))
	}
	if authStyle(p, s) == oauth2.AuthStyleInHeader && p.ClientID != "" {
		// RFC 8628 §3.1: client_id is a request parameter.
		form.Set("client_id", p.ClientID)
	}
	start := c.now()
	st, status, body, err := c.postForm(ctx, opDevice, p.DeviceAuthURL, p, s, form)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		if oe := readOAuthError(body, status, secretsOf(p, s)); oe != nil {
			return nil, st.oauth(oe)
		}
		return nil, c.classify(ctx, st, errors.New("unexpected status"), nil)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, c.classify(ctx, st, errors.New("not JSON"), nil)
	}
	d, err := readDeviceAuth(raw, start)
	if err != nil {
		return nil, st.fail(flow.ErrBadResponse, nil, "%s: %v", st.host, err)
	}
	return d, nil
}

func readDeviceAuth(raw map[string]any, now time.Time) (*flow.DeviceAuth, error) {
	get := func(k string) string { s, _ := raw[k].(string); return s }
	d := &flow.DeviceAuth{
		DeviceCode:              get("device_code"),
		UserCode:                cut(termtext.Clean(get("user_code")), 64),
		VerificationURI:         get("verification_uri"),
		VerificationURIComplete: get("verification_uri_complete"),
		Interval:                defaultDeviceInterval,
	}
	if d.VerificationURI == "" {
		d.VerificationURI = get("verification_url") // a common misspelling
	}
	if d.DeviceCode == "" || d.UserCode == "" || d.VerificationURI == "" {
		return nil, errors.New("the reply lacks device_code, user_code or verification_uri")
	}
	if !isTokenChars(d.DeviceCode) {
		return nil, errBadTokenChars
	}
	var ok bool
	if d.VerificationURI, ok = webURL(d.VerificationURI); !ok {
		return nil, errors.New("verification_uri is not an http(s) URL")
	}
	if d.VerificationURIComplete, ok = webURL(d.VerificationURIComplete); !ok {
		d.VerificationURIComplete = ""
	}
	if secs, ok := seconds(raw["expires_in"]); ok {
		d.Expiry = now.Add(time.Duration(secs) * time.Second)
	}
	if secs, ok := seconds(raw["interval"]); ok {
		d.Interval = min(time.Duration(secs)*time.Second, maxDeviceInterval)
	}
	return d, nil
}

// webURL accepts an absolute http(s) URL without control characters (it is
// shown to the user and may be opened in a browser).
func webURL(s string) (string, bool) {
	if s == "" || termtext.Clean(s) != s || strings.ContainsAny(s, " \t") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false
	}
	return s, true
}

// PollDevice polls the token endpoint until the user approves (the token),
// denies (access_denied) or the code expires (expired_token, also when
// d.Expiry passes, or 30 minutes when it is zero), or ctx ends (an error wrapping ctx.Err()). It waits
// d.Interval (default 5 s) before each poll, adds 5 s for every slow_down
// (RFC 8628 §3.5) and keeps polling on authorization_pending. Up to three
// consecutive timeouts or 5xx replies are tolerated, doubling the interval.
// Each poll is one request under the client's Timeout.
func (c *Client) PollDevice(ctx context.Context, p flow.Provider, s flow.Secrets, d *flow.DeviceAuth) (*flow.Token, error) {
	if d == nil || d.DeviceCode == "" {
		return nil, fmt.Errorf("%s failed: %w: no device authorization in progress", opDevicePoll, flow.ErrConfig)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	interval := d.Interval
	if interval <= 0 {
		interval = defaultDeviceInterval
	}
	wait := c.wait
	if wait == nil {
		wait = sleep
	}
	expiry := d.Expiry
	if expiry.IsZero() { // expires_in is REQUIRED (§3.2); do not poll forever without it
		expiry = c.now().Add(maxDeviceWait)
	}
	transient := 0
	for {
		if !c.now().Before(expiry) {
			return nil, expiredDevice()
		}
		if err := wait(ctx, interval); err != nil {
			return nil, fmt.Errorf("%s stopped: %w", opDevicePoll, err)
		}
		if !c.now().Before(expiry) {
			return nil, expiredDevice()
		}
		params := extraParams(p)
		params.Set("grant_type", grantDeviceCode)
		params.Set("device_code", d.DeviceCode)
		if authStyle(p, s) == oauth2.AuthStyleInHeader && p.ClientID != "" {
			params.Set("client_id", p.ClientID)
		}
		tok, err := c.grant(ctx, opDevicePoll, p, s, params, nil, []string{d.DeviceCode})
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s stopped: %w", opDevicePoll, ctx.Err())
		}
		var oe *flow.OAuthError
		switch {
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
			transient = 0
		case errors.As(err, &oe) && oe.Code == "slow_down":
			transient = 0
			interval += slowDownStep
		case errors.Is(err, flow.ErrTimeout) || errors.Is(err, flow.ErrServer):
			transient++
			if transient > maxTransientPolls {
				return nil, err
			}
			interval = min(interval*2, maxDeviceInterval)
		default:
			return nil, err // access_denied, expired_token, invalid_grant, ...
		}
	}
}

func expiredDevice() error {
	return &flow.OAuthError{Op: opDevicePoll, Code: "expired_token", Description: "the device code expired before it was approved"}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
