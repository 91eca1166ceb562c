package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/flow"
)

func TestLoadConfigMissingFileIsFine(t *testing.T) {
	c, err := Load(t.TempDir())
	if err != nil {
		t.Fatalf("missing config.toml: %v", err)
	}
	if c.Path != "" || len(c.Providers) != 0 || c.Keyring.Backend != "" {
		t.Fatalf("missing config.toml gave %+v", c)
	}
	if c.ClipboardClear() != 30*time.Second {
		t.Fatalf("default clipboard clear = %v", c.ClipboardClear())
	}
	if c.Refresh != (RefreshConfig{}) {
		t.Fatalf("default refresh = %+v, want zero (store defaults)", c.Refresh)
	}
}

const fullConfig = `
# tokenring settings
[keyring]
backend = "file"

[refresh]
fraction = 0.2
min = "45s"
max = 600

[clipboard]
clear_seconds = 0

[providers.acme]
issuer = "https://id.acme.example"
client_id = "tokenring-cli"

[providers.shop]
preset = "dressipi"
base_url = "https://api.shop.example/"
client_id = "abc123"

[providers.corp]
display_name = "Corp SSO"
auth_url = "https://sso.corp.example/oauth2/authorize"
token_url = "https://sso.corp.example/oauth2/token"
revocation_url = "https://sso.corp.example/oauth2/revoke"
client_id = "cli"
redirect_uri = "http://127.0.0.1:8765/callback"
scopes = ["read", "write"]
pkce = "required"
client_auth = "basic"
headers = { "x-tenant" = "blue" }

[providers.wh-app]
preset = "warhorn"
grant = "client_credentials"
client_id = "app-1"
`

func TestLoadConfigFull(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(fullConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.Path != filepath.Join(dir, FileName) {
		t.Errorf("Path = %q", c.Path)
	}
	if c.Keyring.Backend != "file" {
		t.Errorf("backend = %q", c.Keyring.Backend)
	}
	if got, want := c.Refresh, (RefreshConfig{Fraction: 0.2, Min: Duration(45 * time.Second), Max: Duration(10 * time.Minute)}); got != want {
		t.Errorf("policy = %+v, want %+v", got, want)
	}
	if c.ClipboardClear() >= 0 {
		t.Errorf("clear_seconds = 0 should mean never (negative), got %v", c.ClipboardClear())
	}

	acme, ok := c.Provider("acme")
	if !ok {
		t.Fatal("acme missing")
	}
	if acme.ID != "acme" || acme.Issuer != "https://id.acme.example" || acme.ClientID != "tokenring-cli" {
		t.Errorf("acme = %+v", acme)
	}
	if len(acme.Scopes) != 1 || acme.Scopes[0] != "openid" {
		t.Errorf("an issuer provider asks for openid by default, got %v", acme.Scopes)
	}

	shop, _ := c.Provider("shop")
	if shop.TokenURL != "https://api.shop.example/oauth/token" || shop.AuthURL != "https://api.shop.example/oauth/authorize" {
		t.Errorf("dressipi preset not rebased on base_url: %q %q", shop.AuthURL, shop.TokenURL)
	}
	if shop.PKCE != flow.PKCERequired || shop.RedirectURI != flow.DressipiRedirectURI || shop.APIKeyHeader != "x-api-key" {
		t.Errorf("dressipi preset settings lost: %+v", shop)
	}
	if err := shop.Validate(); err != nil {
		t.Errorf("shop should validate: %v", err)
	}

	corp, _ := c.Provider("corp")
	if corp.DisplayName != "Corp SSO" || corp.PKCE != flow.PKCERequired || corp.ClientAuth != flow.ClientAuthBasic ||
		corp.RevocationURL == "" || corp.Headers["x-tenant"] != "blue" || strings.Join(corp.Scopes, " ") != "read write" {
		t.Errorf("corp = %+v", corp)
	}
	if err := corp.Validate(); err != nil {
		t.Errorf("corp should validate: %v", err)
	}

	app, _ := c.Provider("wh-app")
	if app.Grant != flow.GrantClientCredentials || app.TokenURL != flow.WarhornTokenURL || app.ClientSecret != flow.NeedRequired {
		t.Errorf("wh-app = %+v", app)
	}

	list := c.ProviderList()
	var names []string
	for _, p := range list {
		names = append(names, p.ID)
	}
	if strings.Join(names, ",") != "acme,corp,shop,wh-app" {
		t.Errorf("ProviderList names = %v", names)
	}
	if _, ok := c.Provider("nope"); ok {
		t.Error("unknown provider found")
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // substrings of the error
	}{
		{"syntax", "[keyring]\nbackend = \"file\"\n\n[refresh]\nmin = = 1\n", []string{"line 5"}},
		{"unterminated string", "[keyring]\nbackend = \"file\n", []string{"line 2"}},
		{"wrong type", "[refresh]\nfraction = \"ten\"\n", []string{"fraction"}},
		{"typo key", "[keyring]\nbackand = \"file\"\n", []string{"unknown setting", "keyring.backand"}},
		{"typo provider key", "[providers.x]\nissuer = \"https://id.example\"\nclient_ide = \"a\"\n", []string{"unknown setting", "client_ide"}},
		{"bad backend", "[keyring]\nbackend = \"plaintext\"\n", []string{"plaintext"}},
		{"bad fraction", "[refresh]\nfraction = 1.5\n", []string{"fraction"}},
		{"bad duration", "[refresh]\nmin = \"soon\"\n", []string{"soon", "duration"}},
		{"min over max", "[refresh]\nmin = \"10m\"\nmax = \"1m\"\n", []string{"larger than max"}},
		{"bad clipboard", "[clipboard]\nclear_seconds = -3\n", []string{"clear_seconds"}},
		{"empty provider", "[providers.x]\ndisplay_name = \"X\"\n", []string{"providers.x", "issuer"}},
		{"unknown preset", "[providers.x]\npreset = \"github\"\n", []string{"github", "not a built-in"}},
		{"shadow builtin", "[providers.warhorn]\npreset = \"warhorn\"\n", []string{"redeclares"}},
		{"insecure endpoint", "[providers.x]\nauth_url = \"http://sso.example/a\"\ntoken_url = \"https://sso.example/t\"\n", []string{"providers.x", "https"}},
		{"bad pkce", "[providers.x]\nissuer = \"https://id.example\"\npkce = \"sometimes\"\n", []string{"pkce"}},
		{"secret in config", "[providers.x]\nissuer = \"https://id.example\"\nclient_secret = \"hunter2-very-secret\"\n", []string{"none, optional or required", "TOKENRING_CLIENT_SECRET"}},
		{"unquoted secret", "[providers.x]\nissuer = \"https://id.example\"\nclient_secret = hunter2-bare\n", []string{"line 3", "quotes"}},
		{"bad name", "[providers.\"a b\"]\nissuer = \"https://id.example\"\n", []string{"provider name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFile) {
				t.Errorf("error does not wrap ErrFile: %v", err)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
				t.Errorf("error does not name the file: %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a secret: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil { // a directory, not a file
		t.Fatal(err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrFile) {
		t.Fatalf("unreadable config.toml: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fullConfig)
	f.Add("[providers.x]\npreset = \"dressipi\"\n")
	f.Add("[refresh]\nmin = 5\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrFile) {
				t.Fatalf("error does not wrap ErrFile: %v", err)
			}
			return
		}
		_ = c.ProviderList()
		_ = c.ClipboardClear()
	})
}

func TestSecretKey(t *testing.T) {
	for _, k := range []string{"client_secret", "providers.x.client_secret", "api_key", "apiKey", "x.api-key", "passphrase", "password", "token", "providers.a.refresh_token", "key"} {
		if !secretKey(k) {
			t.Errorf("%s should count as a secret key", k)
		}
	}
	for _, k := range []string{"token_url", "providers.x.token_url", "issuer", "client_id", "token_header", "keyring.backend"} {
		if secretKey(k) {
			t.Errorf("%s should not count as a secret key", k)
		}
	}
}

func TestInheritable(t *testing.T) {
	for name, want := range map[string]bool{
		"PATH": true, "HOME": true, "TOKENRING_HOME": true, "TOKENRING_KEYRING": true, "TOKENRINGX": true,
		"TOKENRING_PASSPHRASE": false, "TOKENRING_API_KEY": false, "TOKENRING_CLIENT_SECRET": false,
		"TOKENRING_ACCESS_TOKEN": false, "TOKENRING_ANYTHING": false, "tokenring_passphrase": false,
	} {
		if got := Inheritable(name); got != want {
			t.Errorf("Inheritable(%s) = %v, want %v", name, got, want)
		}
	}
}
