// Command seed writes a config directory for the performance script
// (perf/run.sh): an encrypted file keyring holding one account with a valid
// token ("perf-token", stored through accounts.Store.Add, so its keyring item
// is exactly what tokenring writes), and n accounts in all, in one go:
//
//   - -layout files (the default): one file per account in accounts/, written
//     by accounts.WriteAccountFiles (the store's own format);
//   - -layout index: the one accounts.json of tokenring up to commit ffd1981
//     (version 1, a list of accounts.Account, compact), for measuring that
//     version beside this one. (This tokenring migrates it when it opens it.)
//
// The extra accounts have no keyring item (the TUI is measured with the
// keyring locked, so it never reads one). Their tokens expire between 20 and
// 55 minutes from now (a countdown that changes every second, outside the
// refresh window), so the soonest 20 fill the list of a 27-line terminal.
//
// With -enter-every D the accounts' tokens enter the refresh window one
// after another, every D from 10 s after seeding on (issued at an unknown
// time: the window is the policy's Max, 5 minutes), so that rows keep
// entering it while the TUI idles with the keyring locked.
//
// -backend keyctl stores perf-token's secret in the kernel keyring (no
// passphrase; -name picks another name for it, since the kernel keyring is
// the user's, shared by every process): the extra accounts stay files only.
//
//	go run ./perf/seed -dir DIR -n 1000 [-layout index] [-enter-every 500ms] [-backend keyctl -name perf-kc-1]   (passphrase in TOKENRING_PASSPHRASE)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

func main() {
	dir := flag.String("dir", "", "config directory to create (TOKENRING_HOME)")
	n := flag.Int("n", 1000, "accounts in all")
	layout := flag.String("layout", "files", "files (accounts/NAME.json) or index (accounts.json, as commit ffd1981 wrote it)")
	flag.DurationVar(&enterEvery, "enter-every", 0, "tokens enter the refresh window one every this long, from 10 s on (0: all 20 to 55 minutes away)")
	flag.StringVar(&backend, "backend", "file", "keyring of perf-token's secret: file or keyctl")
	flag.StringVar(&tokenName, "name", "perf-token", "the account with a valid token")
	flag.Parse()
	if *dir == "" || backend == "file" && os.Getenv("TOKENRING_PASSPHRASE") == "" || *layout != "files" && *layout != "index" {
		fmt.Fprintln(os.Stderr, "usage: TOKENRING_PASSPHRASE=... seed -dir DIR [-n 1000] [-layout files|index] [-enter-every D] [-backend file|keyctl] [-name NAME]")
		os.Exit(2)
	}
	if err := seed(*dir, *n, *layout == "index"); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

var (
	enterEvery time.Duration
	backend    = "file"
	tokenName  = "perf-token"
)

func provider() flow.Provider {
	return flow.Provider{
		ID: "perf", DisplayName: "Perf OIDC",
		AuthURL:  "https://id.perf.invalid/authorize",
		TokenURL: "https://id.perf.invalid/token",
		ClientID: "tokenring", RedirectURI: "urn:ietf:wg:oauth:2.0:oob",
		Scopes: []string{"openid", "email"},
	}
}

func seed(dir string, n int, index bool) error {
	st, err := accounts.Open(accounts.Config{Dir: dir, Backend: backend, EnvPassphrase: os.Getenv("TOKENRING_PASSPHRASE")})
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	p := provider()
	tok := flow.Token{
		AccessToken:  "perf-access-token-0123456789abcdefghijklmnopqrstuvwxyz",
		TokenType:    "Bearer",
		RefreshToken: "perf-refresh-token",
		Expiry:       now.Add(24 * time.Hour),
		IssuedAt:     now,
	}
	if err := st.Add(context.Background(), accounts.Account{Name: tokenName, Provider: p, Scopes: p.Scopes},
		accounts.Secret{Token: tok}); err != nil {
		return err
	}
	all, err := st.Accounts()
	if err != nil {
		return err
	}
	for i := len(all); i < n; i++ {
		exp := now.Add(20*time.Minute + time.Duration(i)*35*time.Minute/time.Duration(n))
		issued := now.Add(-5 * time.Minute)
		if enterEvery > 0 {
			exp = now.Add(10*time.Second + time.Duration(i)*enterEvery + 5*time.Minute)
			issued = time.Time{}
		}
		all = append(all, accounts.Account{
			Name: fmt.Sprintf("acct-%04d", i), Provider: p, Scopes: p.Scopes,
			LinkedAt: now.Add(-time.Hour), AccessExpiry: exp, ExpirySource: flow.ExpiryFromExpiresIn,
			AccessIssued: issued, HasRefresh: true, Backend: backend,
		})
	}
	if index {
		return writeIndex(dir, all)
	}
	if err := accounts.WriteAccountFiles(dir, all); err != nil {
		return err
	}
	// What the store reads back must be what was written: the format is its.
	got, err := st.Accounts()
	if err != nil {
		return err
	}
	for _, a := range got {
		if a.Damaged != nil {
			return a.Damaged
		}
	}
	if len(got) != n {
		return fmt.Errorf("the store lists %d accounts, not %d", len(got), n)
	}
	return nil
}

// writeIndex writes accounts.json as tokenring up to commit ffd1981 wrote
// it (accounts/migrate.go reads it), and takes away the account files.
func writeIndex(dir string, all []accounts.Account) error {
	doc := struct {
		Version  int                `json:"version"`
		Accounts []accounts.Account `json:"accounts"`
	}{1, all}
	data, err := json.Marshal(doc) // as that version wrote it: compact
	if err != nil {
		return err
	}
	path := filepath.Join(dir, accounts.IndexFile)
	tmp := path + ".seed"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, accounts.AccountsDir)); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
