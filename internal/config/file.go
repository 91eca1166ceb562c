package config

// config.toml: the user's settings file in the config directory. tokenring
// only ever reads it.

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// FileName is the name of the settings file in the config directory.
const FileName = "config.toml"

// ErrFile wraps every problem with config.toml (test with errors.Is).
var ErrFile = errors.New("config.toml is not valid")

// DefaultClipboardClear is how long a copied token stays on the clipboard
// when config.toml does not say.
const DefaultClipboardClear = 30 * time.Second

// File is what config.toml says. Every field is optional; the zero
// value is "nothing configured".
//
//	[keyring]
//	backend = "file"           # keychain, wincred, secret-service, kwallet, pass, keyctl, file
//
//	[refresh]
//	fraction = 0.10            # refresh when 10% of the token's lifetime is left ...
//	min = "30s"                # ... but at least 30 s ...
//	max = "5m"                 # ... and at most 5 min ahead of expiry
//
//	[clipboard]
//	clear_seconds = 30         # 0: never clear the clipboard
//
//	[providers.acme]           # a provider by OpenID Connect discovery
//	issuer = "https://id.acme.example"
//	client_id = "tokenring"
//
//	[providers.shop]           # a preset with overrides
//	preset = "dressipi"
//	base_url = "https://api.shop.example"
//	client_id = "abc123"
type File struct {
	Keyring   KeyringConfig             `toml:"keyring"`
	Refresh   RefreshConfig             `toml:"refresh"`
	Clipboard ClipboardConfig           `toml:"clipboard"`
	Providers map[string]ProviderConfig `toml:"providers"`

	// Path is the file that was read ("" when there was none).
	Path string `toml:"-"`
}

// KeyringConfig is the [keyring] table.
type KeyringConfig struct {
	// Backend is a 99designs/keyring backend name; TOKENRING_KEYRING wins
	// over it. "" chooses automatically.
	Backend string `toml:"backend"`
}

// RefreshConfig is the [refresh] table: the refresh-ahead policy.
type RefreshConfig struct {
	Fraction float64  `toml:"fraction"`
	Min      Duration `toml:"min"`
	Max      Duration `toml:"max"`
	// TokenWait: how long `token` waits for an early refresh while the
	// stored token is still valid before handing that one out (0: 5 s).
	TokenWait Duration `toml:"token_wait"`
}

// ClipboardConfig is the [clipboard] table.
type ClipboardConfig struct {
	// ClearSeconds: how long a copied token stays on the clipboard; 0 means
	// never clear; absent means 30 s.
	ClearSeconds *int `toml:"clear_seconds"`
}

// ProviderConfig is one [providers.NAME] table: every field of
// flow.Provider (same names as in flow.Provider's toml tags), plus Preset.
//
//   - preset = "warhorn" | "dressipi" | "generic": start from a built-in
//     preset and override what is given;
//   - no preset, issuer = "...": a generic provider whose endpoints come
//     from OpenID Connect discovery when an account is linked;
//   - no preset, auth_url + token_url (or token_url and grant =
//     "client_credentials"): a generic provider declared in full.
type ProviderConfig struct {
	Preset        string `toml:"preset"`
	flow.Provider        // promoted: display_name, auth_url, token_url, client_id, scopes, pkce, ...
}

// Duration is a time.Duration written in config.toml as a Go duration
// string ("30s", "5m", "1m30s") or as a whole number of seconds.
type Duration time.Duration

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		p, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			return fmt.Errorf("%q is not a duration (write it like \"30s\", \"5m\" or \"1m30s\")", x)
		}
		if p < 0 {
			return fmt.Errorf("%q is negative", x)
		}
		*d = Duration(p)
	case int64:
		if x < 0 {
			return fmt.Errorf("%d is negative", x)
		}
		if x > int64((100*365*24*time.Hour)/time.Second) {
			return fmt.Errorf("%d seconds is too long", x)
		}
		*d = Duration(time.Duration(x) * time.Second)
	default:
		return fmt.Errorf("a duration is a string like \"30s\" or a number of seconds, not a %T", v)
	}
	return nil
}

// secretKey reports whether a key's value may be a secret a user put in
// config.toml by mistake; errors about such keys never quote the value.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		k = k[i+1:]
	}
	k = strings.NewReplacer("-", "", "_", "").Replace(k)
	for _, w := range []string{"secret", "pass", "apikey", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return k == "token" || k == "accesstoken" || k == "refreshtoken" || k == "key"
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// builtinIDs may not be redeclared in config.toml (declare a new name with
// preset = "..." instead).
var builtinIDs = []string{flow.PresetWarhorn, flow.PresetDressipi, flow.PresetGeneric, "custom", "oidc"}

// Load reads dir/config.toml. A missing file gives the zero
// File and no error. A malformed file, an unknown key (most likely a
// typo), a value of the wrong type or an impossible setting is an error
// wrapping ErrFile that names the file and, where the TOML parser
// knows it, the line.
func Load(dir string) (File, error) {
	path := filepath.Join(dir, FileName)
	if err := checkPrivate(dir, true); err != nil {
		return File{}, err
	}
	data, err := readRegular(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, nil
	}
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", ErrFile, err)
	}
	if err := checkPrivate(path, false); err != nil {
		return File{}, err
	}
	c, err := Parse(string(data))
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Parse parses the text of a config.toml (see Load).
func Parse(text string) (File, error) {
	if len(text) > MaxFileSize {
		return File{}, fmt.Errorf("%w: it is %d bytes; a config.toml is at most %d", ErrFile, len(text), MaxFileSize)
	}
	if d := nesting(text); d > MaxNesting {
		// The TOML parser needs minutes and gigabytes for a few thousand
		// levels (83 s and 4.3 GB at 10,000); tokenring's settings need 3.
		return File{}, fmt.Errorf("%w: tables and arrays nest %d deep; at most %d", ErrFile, d, MaxNesting)
	}
	var c File
	md, err := toml.Decode(text, &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if msg == "" {
				msg = pe.Error()
			}
			if secretKey(pe.LastKey) {
				// The parser's message may quote the value, which may be a secret.
				return File{}, fmt.Errorf("%w: line %d (key %s): not valid TOML (a string value needs quotes); secrets never go in config.toml", ErrFile, pe.Position.Line, termtext.Clean(pe.LastKey))
			}
			if pe.LastKey != "" {
				return File{}, fmt.Errorf("%w: line %d (key %s): %s", ErrFile, pe.Position.Line, termtext.Clean(pe.LastKey), termtext.Clean(msg))
			}
			return File{}, fmt.Errorf("%w: line %d: %s", ErrFile, pe.Position.Line, termtext.Clean(msg))
		}
		return File{}, fmt.Errorf("%w: %s", ErrFile, termtext.Clean(err.Error()))
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, 0, len(und))
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return File{}, fmt.Errorf("%w: unknown setting %s (check the spelling; README.md lists the settings)", ErrFile, termtext.Clean(strings.Join(keys, ", ")))
	}
	if err := c.check(); err != nil {
		return File{}, err
	}
	return c, nil
}

func (c File) check() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrFile}, a...)...))
	}
	switch c.Keyring.Backend {
	case "", "keychain", "wincred", "secret-service", "kwallet", "pass", "keyctl", "file":
	default:
		bad("[keyring] backend %q is not one of keychain, wincred, secret-service, kwallet, pass, keyctl, file", termtext.Clean(c.Keyring.Backend))
	}
	r := c.Refresh
	if r.Fraction < 0 || r.Fraction >= 1 {
		bad("[refresh] fraction must be between 0 and 1 (0.1 = refresh when 10%% of the lifetime is left)")
	}
	if r.Min > 0 && r.Max > 0 && r.Min > r.Max {
		bad("[refresh] min (%s) is larger than max (%s)", r.Min.D(), r.Max.D())
	}
	if cs := c.Clipboard.ClearSeconds; cs != nil && (*cs < 0 || *cs > 86400) {
		bad("[clipboard] clear_seconds must be between 0 (never clear) and 86400")
	}
	for _, name := range c.providerNames() {
		pc := c.Providers[name]
		if !flow.IsName(name) {
			bad("[providers.%s]: a provider name uses letters, digits, '.', '_' and '-' (at most 64)", termtext.Clean(name))
			continue
		}
		for _, b := range builtinIDs {
			if strings.EqualFold(name, b) {
				bad("[providers.%s] redeclares a built-in provider: give it another name and write preset = %q", termtext.Clean(name), flow.PresetGeneric)
			}
		}
		if _, err := pc.resolve(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c File) providerNames() []string {
	names := make([]string, 0, len(c.Providers))
	for n := range c.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ClipboardClear is how long a copied token stays on the clipboard: 30 s
// unless config.toml says otherwise; negative means never clear (what
// clear_seconds = 0 asks for).
func (c File) ClipboardClear() time.Duration {
	cs := c.Clipboard.ClearSeconds
	switch {
	case cs == nil:
		return DefaultClipboardClear
	case *cs == 0:
		return -1
	}
	return time.Duration(*cs) * time.Second
}

// ProviderList returns the providers config.toml declares, resolved (see
// Provider), sorted by name.
func (c File) ProviderList() []flow.Provider {
	out := make([]flow.Provider, 0, len(c.Providers))
	for _, n := range c.providerNames() {
		if p, err := c.Providers[n].resolve(n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Provider returns the provider config.toml declares under name (case
// sensitive), with its preset applied and defaults filled in. Endpoints of a
// provider declared by issuer alone are still empty: OpenID Connect
// discovery (flow/exchange) fills them in when an account is linked.
func (c File) Provider(name string) (flow.Provider, bool) {
	pc, ok := c.Providers[name]
	if !ok {
		return flow.Provider{}, false
	}
	p, err := pc.resolve(name)
	if err != nil { // check() refused it already when the file was loaded
		return flow.Provider{}, false
	}
	return p, true
}

// resolve turns a [providers.NAME] table into a provider.
func (pc ProviderConfig) resolve(name string) (flow.Provider, error) {
	fail := func(format string, a ...any) (flow.Provider, error) {
		return flow.Provider{}, fmt.Errorf("%w: [providers.%s] "+format, append([]any{ErrFile, termtext.Clean(name)}, a...)...)
	}
	var base flow.Provider
	preset := strings.ToLower(strings.TrimSpace(pc.Preset))
	switch preset {
	case "":
		if pc.Issuer == "" && pc.TokenURL == "" {
			return fail("needs issuer = \"...\" (OpenID Connect discovery), auth_url and token_url, or preset = \"warhorn\" | \"dressipi\" | \"generic\"")
		}
		preset = flow.PresetGeneric
	case "custom", "oidc":
		preset = flow.PresetGeneric
	}
	found := false
	for _, p := range flow.Presets() {
		if p.ID == preset {
			base, found = p, true
		}
	}
	if !found {
		return fail("preset %q is not a built-in provider (warhorn, dressipi, generic)", termtext.Clean(pc.Preset))
	}
	if pc.ID != "" && pc.ID != name {
		return fail("id %q differs from the table name; leave id out", termtext.Clean(pc.ID))
	}

	q := pc.Provider
	switch q.ClientSecret {
	case "", flow.NeedNone, flow.NeedOptional, flow.NeedRequired:
	default:
		// Never echo the value: it is most likely the secret itself.
		return fail("client_secret says whether tokenring asks for a client secret: none, optional or required. " +
			"The secret itself never goes in config.toml: set TOKENRING_CLIENT_SECRET when linking, or let tokenring ask")
	}
	p := base.With(flow.Overrides{
		BaseURL: q.BaseURL, Issuer: q.Issuer, ClientID: q.ClientID, RedirectURI: q.RedirectURI,
		AuthURL: q.AuthURL, TokenURL: q.TokenURL, RevocationURL: q.RevocationURL,
		DeviceAuthURL: q.DeviceAuthURL, Scopes: q.Scopes, Grant: q.Grant,
	})
	p.ID = name
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.DisplayName, q.DisplayName)
	set(&p.Description, q.Description)
	set(&p.APIKeyHeader, q.APIKeyHeader)
	set(&p.TokenHeader, q.TokenHeader)
	if q.NeedsBaseURL {
		p.NeedsBaseURL = true
	}
	if q.PKCE != "" {
		p.PKCE = q.PKCE
	}
	if q.ClientAuth != "" {
		p.ClientAuth = q.ClientAuth
	}
	if q.ClientSecret != "" {
		p.ClientSecret = q.ClientSecret
	}
	p.Headers = mergeMap(p.Headers, q.Headers)
	p.AuthParams = mergeMap(p.AuthParams, q.AuthParams)
	p.TokenParams = mergeMap(p.TokenParams, q.TokenParams)
	if preset == flow.PresetGeneric {
		if q.DisplayName == "" {
			p.DisplayName = name
		}
		if q.Description == "" {
			p.Description = "" // the generic preset's text describes flags, not this provider
		}
	}
	if p.Issuer != "" && q.Scopes == nil && len(p.Scopes) == 0 {
		p.Scopes = []string{"openid"}
	}

	// What link cannot add later (a client id, a redirect URI, a base URL
	// from the command line, endpoints by discovery) is wrong already.
	var msgs []string
	for _, fe := range flow.FieldErrors(p.Validate()) {
		if !fe.Missing() {
			msgs = append(msgs, fe.Error())
		}
	}
	if len(msgs) > 0 {
		return fail("%s", strings.Join(msgs, "; "))
	}
	return p, nil
}

func mergeMap(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
