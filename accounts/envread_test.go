package accounts

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTokenWithEnvPassReadsTheItemOnly: with TOKENRING_PASSPHRASE, Token
// decrypts the account's item without first decrypting the passphrase
// check item (one PBKDF2, not two). Shown by a check item that does not
// open with the passphrase: the old path refused; the account's own item
// opens. A wrong passphrase is still refused with the usual error.
func TestTokenWithEnvPassReadsTheItemOnly(t *testing.T) {
	ex := newFakeEx(time.Now)
	dir := t.TempDir()
	s := openFile(t, dir, "right pass", ex, nil)
	ctx := ctxT(t)
	tok := ex.Mint()
	if err := s.Add(ctx, Account{Name: "a", Provider: testProvider()}, Secret{Token: tok}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	o := openFile(t, other, "another pass", ex, nil)
	if err := o.Unlock(ctx, "another pass"); err != nil {
		t.Fatal(err)
	}
	check, err := os.ReadFile(filepath.Join(other, KeyringDir, checkKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyringDir, checkKey), check, 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := openFile(t, dir, "right pass", ex, nil).Token(ctx, "a")
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("Token: %v (same token: %v)", err, got.AccessToken == tok.AccessToken)
	}
	if err := openFile(t, dir, "right pass", ex, nil).Unlock(ctx, "right pass"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("control: unlocking against the foreign check item gave %v, want ErrBadPassphrase", err)
	}
	if _, err := openFile(t, dir, "wrong pass", ex, nil).Token(ctx, "a"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v, want ErrBadPassphrase", err)
	}
}

func TestIsNameMatchesTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	cases := []string{"", "a", "A9", "-a", ".a", "_a", "a-b.c_d", "a b", "a/b", "é", "a\n", strings.Repeat("a", 64), strings.Repeat("a", 65), "a\x00"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, s := range cases {
		if got, want := isName(s), re.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
