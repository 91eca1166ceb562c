// Command seed writes a config directory for the performance script
// (perf/run.sh): an encrypted file keyring holding one account with a valid
// token ("perf-token", stored through accounts.Store.Add, so its keyring item
// is exactly what tokenring writes), and an account index with n accounts in
// all, written in the index's own format (accounts.IndexFile: version 1, a
// list of accounts.Account) in one go instead of n read-modify-write cycles.
//
// The extra accounts have no keyring item (the TUI is measured with the
// keyring locked, so it never reads one). Their tokens expire between 20 and
// 55 minutes from now (a countdown that changes every second, outside the
// refresh window), so the soonest 20 fill the list of a 27-line terminal.
//
//	go run ./perf/seed -dir DIR -n 1000   (passphrase in TOKENRING_PASSPHRASE)
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
	n := flag.Int("n", 1000, "accounts in the index")
	flag.Parse()
	if *dir == "" || os.Getenv("TOKENRING_PASSPHRASE") == "" {
		fmt.Fprintln(os.Stderr, "usage: TOKENRING_PASSPHRASE=... seed -dir DIR [-n 1000]")
		os.Exit(2)
	}
	if err := seed(*dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func provider() flow.Provider {
	return flow.Provider{
		ID: "perf", DisplayName: "Perf OIDC",
		AuthURL:  "https://id.perf.invalid/authorize",
		TokenURL: "https://id.perf.invalid/token",
		ClientID: "tokenring", RedirectURI: "urn:ietf:wg:oauth:2.0:oob",
		Scopes: []string{"openid", "email"},
	}
}

func seed(dir string, n int) error {
	st, err := accounts.Open(accounts.Config{Dir: dir, Backend: "file"})
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
	if err := st.Add(context.Background(), accounts.Account{Name: "perf-token", Provider: p, Scopes: p.Scopes},
		accounts.Secret{Token: tok}); err != nil {
		return err
	}
	all, err := st.Accounts()
	if err != nil {
		return err
	}
	for i := len(all); i < n; i++ {
		exp := now.Add(20*time.Minute + time.Duration(i)*35*time.Minute/time.Duration(n))
		all = append(all, accounts.Account{
			Name: fmt.Sprintf("acct-%04d", i), Provider: p, Scopes: p.Scopes,
			LinkedAt: now.Add(-time.Hour), AccessExpiry: exp, ExpirySource: flow.ExpiryFromExpiresIn,
			AccessIssued: now.Add(-5 * time.Minute), HasRefresh: true, Backend: "file",
		})
	}
	doc := struct {
		Version  int                `json:"version"`
		Accounts []accounts.Account `json:"accounts"`
	}{1, all}
	data, err := json.Marshal(doc) // as accounts writes it: compact
	if err != nil {
		return err
	}
	path := filepath.Join(dir, accounts.IndexFile)
	tmp := path + ".seed"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
