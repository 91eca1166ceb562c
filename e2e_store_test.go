//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	trcli "github.com/tokenring/tokenring/internal/cli"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// TestE2EDamagedAccountFile: one answer from every command for an account
// whose file is damaged (here: cut short, as a full disk or a bad edit
// leaves it): list shows it as damaged with the file and what to do; token
// and refresh fail (not with 0, not with "no such account"); link will not
// take the name; remove clears it; the other account works throughout.
func TestE2EDamagedAccountFile(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: "dr-key-e2e-damage"})
	defer srv.Close()
	keyEnv := []string{"TOKENRING_API_KEY=dr-key-e2e-damage"}
	for _, name := range []string{"good", "broken"} {
		res, _ := c.link(srv, keyEnv, nil, name, "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
		c.expect(res, 0, "link "+name)
	}
	path := filepath.Join(c.home, "accounts", "broken.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-2], 0o600); err != nil { // the final "}\n" cut
		t.Fatal(err)
	}
	codes := srv.Count("/oauth/token")

	res := c.run(nil, "", "list")
	c.expect(res, 0, "list")
	if !strings.Contains(res.stdout, "damaged") || !strings.Contains(res.stdout, path) || !strings.Contains(res.stdout, "tokenring remove broken") {
		t.Fatalf("list does not show the damage:\n%s", res.stdout)
	}
	res = c.run(nil, "", "list", "--json")
	c.expect(res, 0, "list --json")
	var l []struct {
		Name      string `json:"name"`
		Status    string `json:"status"`
		LastError string `json:"last_error"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &l); err != nil || len(l) != 2 || l[0].Name != "broken" || l[0].Status != "damaged" ||
		!strings.Contains(l[0].LastError, path) || l[1].Status != "valid" {
		t.Fatalf("list --json: %v\n%s", err, res.stdout)
	}
	for _, args := range [][]string{{"token", "broken"}, {"refresh", "broken"}} {
		res := c.run(nil, "", args...)
		if res.code == 0 || res.code == trcli.ExitNoAccount || res.stdout != "" || !strings.Contains(res.stderr, path) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", args, res.code, res.stdout, res.stderr)
		}
	}
	r := c.start(keyEnv, "link", "broken", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	r.stdin.Close()
	if res := r.wait(t); res.code == 0 || !strings.Contains(res.stderr, path) {
		t.Errorf("link over the damaged account: exit %d\n%s", res.code, res.stderr)
	}
	if n := srv.Count("/oauth/token"); n != codes {
		t.Errorf("%d token requests for a damaged account", n-codes)
	}
	c.expect(c.run(nil, "", "token", "good"), 0, "token of the good account")

	res = c.run(nil, "", "remove", "broken")
	c.expect(res, 0, "remove broken")
	if !strings.Contains(res.stdout, "not revoked") {
		t.Errorf("remove: %q", res.stdout)
	}
	c.expect(c.run(nil, "", "token", "broken"), trcli.ExitNoAccount, "token after remove")
	if l := c.list(); len(l) != 1 || l[0].Name != "good" {
		t.Fatalf("after remove: %+v", l)
	}
}

// TestE2EMigration: the binary opens a config directory that commit
// ffd1981 wrote (accounts/testdata/index-ffd1981): every account is
// listed, and a token comes out of the migrated keyring.
func TestE2EMigration(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["TOKENRING_PASSPHRASE"] = "fixture-pass"
	src := filepath.Join("accounts", "testdata", "index-ffd1981")
	if err := os.MkdirAll(filepath.Join(c.home, "keyring"), 0o700); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(src, "keyring", "*"))
	for _, f := range append(files, filepath.Join(src, "accounts.json")) {
		data, err := os.ReadFile(f)
		if err == nil {
			rel, _ := filepath.Rel(src, f)
			err = os.WriteFile(filepath.Join(c.home, rel), data, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	l := c.list()
	var names []string
	for _, a := range l {
		names = append(names, a.Name+"="+a.Status)
	}
	if got := strings.Join(names, " "); got != "a_b-c.9=expired ci-bot=expired flaky.api=error kc-box=no_expiry old-laptop=needs_relink warhorn-me=no_expiry work-dressipi=expired" {
		t.Fatalf("after the migration: %s", got)
	}
	res := c.run(nil, "", "token", "warhorn-me")
	c.expect(res, 0, "token warhorn-me")
	if res.stdout != "fixture-warhorn-at\n" {
		t.Fatalf("token: %q", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(c.home, "accounts.json.migrated")); err != nil {
		t.Fatal(err)
	}
}

// Whatever an account file holds is cleaned before it reaches the
// terminal: escape sequences in the provider's id and name, the last
// error and the scopes never come out raw from list, list --json, token or
// refresh (their hints name the provider).
func TestE2EAccountFileFieldsAreCleaned(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const apiKey = "dr-api-key-esc"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Hour})
	defer srv.Close()
	res, _ := c.link(srv, []string{"TOKENRING_API_KEY=" + apiKey}, nil, "shop", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link")
	path := filepath.Join(c.home, "accounts", "shop.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	evil := "\x1b]52;c;ZXZpbA==\x07\x1b[31mred\u009b2J\u202e"
	acct := doc
	if a, ok := doc["account"].(map[string]any); ok { // the file may wrap the account
		acct = a
	}
	prov := acct["provider"].(map[string]any)
	prov["id"] = "dressipi" + evil
	prov["display_name"] = "Shop" + evil
	acct["last_error"] = "boom" + evil
	acct["needs_relink"] = true
	acct["scopes"] = []string{"read" + evil}
	out, _ := json.Marshal(doc)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"list", "--json"}, {"token", "shop"}, {"refresh", "shop"}, {"remove", "shop", "--no-revoke"}} {
		res := c.run(nil, "", args...)
		for _, s := range []string{res.stdout, res.stderr} {
			if strings.ContainsAny(s, "\x1b\x07\u009b\u202e") {
				t.Errorf("%v printed a control character: %q", args, s)
			}
		}
	}
}
