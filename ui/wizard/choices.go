package wizard

import (
	"charm.land/bubbles/v2/textinput"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
	"github.com/tokenring/tokenring/ui/common"
)

type fieldKind int

const (
	fName fieldKind = iota
	fBaseURL
	fIssuer
	fAuthURL
	fTokenURL
	fClientID
	fClientSecret
	fAPIKey
	fRedirect
	fScopes
)

type field struct {
	kind     fieldKind
	label    string
	hint     string
	required bool
	input    textinput.Model
}

// choice is one line of the provider picker.
type choice struct {
	title, desc string
	preset      string         // flow preset id ("" for config providers)
	grant       flow.Grant     // override ("" keeps the preset's)
	base        *flow.Provider // a provider from config.toml
	fields      []fieldSpec
}

type fieldSpec struct {
	kind     fieldKind
	required bool
	value    string // prefilled
	fromEnv  bool   // a secret the environment gives: an empty field takes it
}

// loopbackRedirect is the redirect URI an empty optional field stands for:
// link listens on a free port of 127.0.0.1 and catches the code itself.
const loopbackRedirect = "http://127.0.0.1/callback"

// secretSpec is a secret's field: needed unless the environment gives it
// (TOKENRING_CLIENT_SECRET, TOKENRING_API_KEY), which an empty field takes.
func secretSpec(k fieldKind, required bool, env flow.Secrets) fieldSpec {
	s := fieldSpec{kind: k, required: required}
	if (k == fClientSecret && env.ClientSecret != "") || (k == fAPIKey && env.APIKey != "") {
		s.required, s.fromEnv = false, true
	}
	return s
}

func builtinChoices(env flow.Secrets) []choice {
	name := fieldSpec{kind: fName, required: true}
	secret := func(req bool) fieldSpec { return secretSpec(fClientSecret, req, env) }
	redirect := fieldSpec{kind: fRedirect, value: loopbackRedirect}
	return []choice{
		{title: "Warhorn", desc: "user token: authorize in the browser, paste the address you land on",
			preset: flow.PresetWarhorn,
			fields: []fieldSpec{name, {kind: fClientID, required: true}, secret(false),
				{kind: fRedirect, required: true}, {kind: fScopes, value: "openid email profile"}}},
		{title: "Warhorn application", desc: "application token by client credentials: no browser",
			preset: flow.PresetWarhorn, grant: flow.GrantClientCredentials,
			fields: []fieldSpec{name, {kind: fClientID, required: true}, secret(true)}},
		{title: "Dressipi", desc: "per-customer API base URL and API key; PKCE; paste the code shown",
			preset: flow.PresetDressipi,
			fields: []fieldSpec{name, {kind: fBaseURL, required: true}, {kind: fClientID, required: true},
				secretSpec(fAPIKey, true, env)}},
		{title: "OpenID Connect (discovery)", desc: "any OIDC provider: endpoints read from the issuer",
			preset: flow.PresetGeneric,
			fields: []fieldSpec{name, {kind: fIssuer, required: true}, {kind: fClientID, required: true},
				secret(false), redirect, {kind: fScopes, value: "openid"}}},
		{title: "OpenID Connect device code", desc: "for a provider with device flow: enter a code on any device",
			preset: flow.PresetGeneric, grant: flow.GrantDeviceCode,
			fields: []fieldSpec{name, {kind: fIssuer, required: true}, {kind: fClientID, required: true},
				secret(false), {kind: fScopes, value: "openid"}}},
		{title: "Custom OAuth 2.0", desc: "give the authorization and token URLs yourself",
			preset: flow.PresetGeneric,
			fields: []fieldSpec{name, {kind: fAuthURL, required: true}, {kind: fTokenURL, required: true},
				{kind: fClientID, required: true}, secret(false), redirect, {kind: fScopes}}},
	}
}

// configChoice offers a provider from config.toml, asking only for what it
// lacks. It is named as the list names it ("shop (Dressipi)" for a
// [providers.shop] on the Dressipi preset, beside the built-in Dressipi).
func configChoice(p flow.Provider, env flow.Secrets) choice {
	q := p.WithDefaults()
	c := choice{title: common.ProviderName(p), desc: termtext.Clean(p.Description), base: &p}
	if c.desc == "" {
		c.desc = "from config.toml"
	}
	c.fields = append(c.fields, fieldSpec{kind: fName, required: true})
	if p.NeedsBaseURL && p.BaseURL == "" {
		c.fields = append(c.fields, fieldSpec{kind: fBaseURL, required: true})
	}
	if p.ClientID == "" {
		c.fields = append(c.fields, fieldSpec{kind: fClientID, required: true})
	}
	if q.ClientSecret != flow.NeedNone {
		c.fields = append(c.fields, secretSpec(fClientSecret, q.ClientSecret == flow.NeedRequired, env))
	}
	if p.APIKeyHeader != "" {
		c.fields = append(c.fields, secretSpec(fAPIKey, true, env))
	}
	if q.Grant == flow.GrantAuthorizationCode && p.RedirectURI == "" {
		// Warhorn's must be its registered https callback; elsewhere empty is the loopback one
		c.fields = append(c.fields, fieldSpec{kind: fRedirect, required: p.ID == flow.PresetWarhorn, value: loopbackRedirect})
	}
	return c
}

// fieldText is each field's label and hint.
var fieldText = map[fieldKind]struct{ label, hint string }{
	fName:         {"Account name", "letters, digits, . _ - (e.g. work-warhorn)"},
	fBaseURL:      {"API base URL", "https://api.customer.example.com"},
	fIssuer:       {"Issuer", "https://login.example.com"},
	fAuthURL:      {"Authorization URL", "https://example.com/oauth/authorize"},
	fTokenURL:     {"Token URL", "https://example.com/oauth/token"},
	fClientID:     {"Client ID", "from the app registered with the provider"},
	fClientSecret: {"Client secret", "kept in the keyring"},
	fAPIKey:       {"API key", "kept in the keyring"},
	fRedirect:     {"Redirect URI", "as registered; empty: http://127.0.0.1/… (caught automatically)"},
	fScopes:       {"Scopes", "space separated"},
}

func newField(s fieldSpec) field {
	t := fieldText[s.kind]
	f := field{kind: s.kind, required: s.required, label: t.label, hint: t.hint}
	secret := s.kind == fClientSecret || s.kind == fAPIKey
	switch {
	case s.fromEnv && s.kind == fAPIKey:
		f.hint = "from TOKENRING_API_KEY (type to use another)"
	case s.fromEnv:
		f.hint = "from TOKENRING_CLIENT_SECRET (type to use another)"
	case s.kind == fClientSecret && !s.required:
		f.hint = "optional: leave empty for a public client"
	case s.kind == fRedirect && s.required:
		f.hint = "the https callback registered with the provider"
	}
	f.input = common.NewInput("", f.hint, secret)
	f.input.SetValue(s.value)
	return f
}
