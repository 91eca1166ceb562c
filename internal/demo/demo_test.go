package demo

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
)

func TestDemoSeedsEveryStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tmp := t.TempDir()
	d, err := Start(ctx, Options{TempDir: tmp, Exchanger: exchange.New()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer d.Close()
	dir := d.Dir
	if !strings.HasPrefix(dir, tmp) {
		t.Fatalf("demo dir %s not under %s", dir, tmp)
	}

	accts, err := d.Store.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	got := map[string]accounts.Status{}
	byName := map[string]accounts.Account{}
	for _, a := range accts {
		got[a.Name] = d.Store.Policy().Status(a, now)
		byName[a.Name] = a
	}
	want := map[string]accounts.Status{
		AccountAlice:  accounts.StatusValid,
		AccountShop:   accounts.StatusValid,
		AccountEvents: accounts.StatusNoExpiry,
		AccountLaptop: accounts.StatusNeedsRelink,
	}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: status %v, want %v", name, got[name], st)
		}
	}
	if len(accts) != len(want) {
		t.Errorf("%d accounts, want %d", len(accts), len(want))
	}
	// Expiring within one to two minutes, so refreshes happen while one watches.
	for _, name := range []string{AccountAlice, AccountShop} {
		left := time.Until(byName[name].AccessExpiry)
		if left < 30*time.Second || left > 2*time.Minute+time.Second {
			t.Errorf("%s expires in %v, want within 1-2 minutes", name, left)
		}
		if !byName[name].HasRefresh {
			t.Errorf("%s has no refresh token", name)
		}
	}

	// Tokens are real: the servers accept them, and a refresh rotates.
	tok, err := d.Store.Token(ctx, AccountAlice)
	if err != nil || !d.OIDC.ValidAccessToken(tok.AccessToken) {
		t.Fatalf("alice's token: %v", err)
	}
	if _, err := d.Store.Refresh(ctx, AccountShop); err != nil {
		t.Fatalf("refreshing the Dressipi sample: %v", err)
	}
	tok, _ = d.Store.Token(ctx, AccountShop)
	if !d.Dressipi.ValidAccessToken(tok.AccessToken) {
		t.Fatal("the refreshed Dressipi token is not valid at the server")
	}
	tok, _ = d.Store.Token(ctx, AccountEvents)
	if !d.Warhorn.ValidAccessToken(tok.AccessToken) {
		t.Fatal("the Warhorn sample's token is not valid at the server")
	}

	// The wizard's demo preset: its authorize page shows a code to paste.
	req, err := flow.StartAuth(d.Provider)
	if err != nil {
		t.Fatal(err)
	}
	page, err := d.OIDC.Approve(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(page), "code") {
		t.Errorf("the demo authorize page does not show a code: %q", page)
	}
	code, err := req.ReadPaste(page)
	if err != nil {
		t.Fatalf("the page's code cannot be pasted: %v", err)
	}
	if _, err := d.Exchanger.Exchange(ctx, req, flow.Secrets{}, code); err != nil {
		t.Fatalf("exchanging the demo code: %v", err)
	}

	// No passphrase in clear anywhere in the throwaway directory.
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(d.pass)) {
				t.Errorf("the demo passphrase is in %s", p)
			}
		}
		return nil
	})

	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("demo dir still there after Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestDemoStartFailsCleanly(t *testing.T) {
	// An unusable temp dir: Start fails and leaves nothing running.
	_, err := Start(context.Background(), Options{TempDir: filepath.Join(t.TempDir(), "missing", "dir"), Exchanger: exchange.New()})
	if err == nil {
		t.Fatal("Start succeeded in a missing directory")
	}
}
