// Package config owns tokenring's settings: the config directory,
// config.toml (file.go) and the environment variables, each named once here
// and read once at start-up (Env).
//
// It imports the standard library, a TOML parser and flow (a provider in
// config.toml is a flow.Provider); never accounts or ui.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables (DESIGN.md, "The outside surface"). These are the
// only places their names are spelled.
const (
	EnvHome         = "TOKENRING_HOME"          // the config directory
	EnvKeyring      = "TOKENRING_KEYRING"       // the keyring backend
	EnvPassphrase   = "TOKENRING_PASSPHRASE"    // the file keyring's passphrase (secret)
	EnvClientSecret = "TOKENRING_CLIENT_SECRET" // the client secret for link (secret)
	EnvAPIKey       = "TOKENRING_API_KEY"       // the API key for link (secret)
	// EnvAccessToken is where `tokenring exec` puts the token for its
	// child (unless --env names another variable): a secret.
	EnvAccessToken = "TOKENRING_ACCESS_TOKEN"
)

// Inheritable says whether an environment variable may pass to a program
// tokenring starts (exec's child): every variable but tokenring's own,
// except the two that only say where things are (TOKENRING_HOME,
// TOKENRING_KEYRING), so the child can run tokenring itself. Any other
// TOKENRING_* may be a secret (a passphrase, an API key, the token of an
// outer exec) and never passes.
func Inheritable(name string) bool {
	if len(name) < len("TOKENRING_") || !strings.EqualFold(name[:len("TOKENRING_")], "TOKENRING_") {
		return true
	}
	return name == EnvHome || name == EnvKeyring
}

// Env is what tokenring reads from its environment, read once at start-up
// (ReadEnv) and passed down from there.
type Env struct {
	Home          string // TOKENRING_HOME
	XDGConfigHome string // XDG_CONFIG_HOME
	Keyring       string // TOKENRING_KEYRING
	Passphrase    string // TOKENRING_PASSPHRASE: a secret
	ClientSecret  string // TOKENRING_CLIENT_SECRET: a secret
	APIKey        string // TOKENRING_API_KEY: a secret
}

// ReadEnv reads the variables tokenring knows through getenv.
func ReadEnv(getenv func(string) string) Env {
	return Env{
		Home:          getenv(EnvHome),
		XDGConfigHome: getenv("XDG_CONFIG_HOME"),
		Keyring:       strings.TrimSpace(getenv(EnvKeyring)),
		Passphrase:    getenv(EnvPassphrase),
		ClientSecret:  strings.TrimSpace(getenv(EnvClientSecret)),
		APIKey:        strings.TrimSpace(getenv(EnvAPIKey)),
	}
}

// ScrubSecrets removes the secret variables (passphrase, client secret,
// API key) from this process's environment once ReadEnv has them, so no
// program tokenring starts (a browser, xclip, tmux, the child of exec)
// inherits them (nor the token an outer `tokenring exec` gave this one).
func ScrubSecrets() {
	for _, k := range []string{EnvPassphrase, EnvClientSecret, EnvAPIKey, EnvAccessToken} {
		os.Unsetenv(k)
	}
}

// String never shows a secret.
func (e Env) String() string { return "config.Env{redacted}" }

// GoString keeps %#v from leaking as well.
func (e Env) GoString() string { return e.String() }

// Dir is the config directory: $TOKENRING_HOME, else
// $XDG_CONFIG_HOME/tokenring, else the OS config directory
// (os.UserConfigDir) + /tokenring.
func (e Env) Dir() (string, error) {
	if e.Home != "" {
		return filepath.Abs(e.Home)
	}
	if x := e.XDGConfigHome; x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "tokenring"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory (%v): set %s", err, EnvHome)
	}
	return filepath.Join(d, "tokenring"), nil
}

// Backend is the keyring backend asked for and who asked:
// TOKENRING_KEYRING, else [keyring] backend in config.toml, else ("", "")
// for the automatic choice (accounts.Open makes it).
func (e Env) Backend(f File) (name, source string) {
	switch {
	case e.Keyring != "":
		return e.Keyring, EnvKeyring
	case f.Keyring.Backend != "":
		return f.Keyring.Backend, FileName
	}
	return "", ""
}
