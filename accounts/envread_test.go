package accounts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/dvsekhvalnov/jose2go"
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

// TestUnwrapMatchesJose2go: the key unwrap of the file keyring's items
// (crypto/pbkdf2) gives what jose2go's own gives, and a wrong passphrase
// fails the same way; a whole item encrypted by jose2go decodes.
func TestUnwrapMatchesJose2go(t *testing.T) {
	orig := jose.NewPbse2HmacAesKWAlg(128, 1300000, 0)
	mine := preparedPBES2{orig: orig}
	for i := 0; i < 20; i++ {
		pass := fmt.Sprintf("pass %d", i)
		header := map[string]interface{}{"alg": jose.PBES2_HS256_A128KW}
		cek, enc, err := orig.WrapNewKey(256, pass, header)
		if err != nil {
			t.Fatal(err)
		}
		header["p2c"] = float64(header["p2c"].(int)) // as a decoded JSON header holds it
		got, err := mine.Unwrap(enc, pass, 256, header)
		if err != nil || !bytes.Equal(got, cek) {
			t.Fatalf("unwrap: %v (equal: %v)", err, bytes.Equal(got, cek))
		}
		_, werr := mine.Unwrap(enc, pass+"x", 256, header)
		_, oerr := orig.Unwrap(enc, pass+"x", 256, header)
		if werr == nil || oerr == nil {
			t.Fatalf("a wrong passphrase unwrapped: mine %v, jose2go %v", werr, oerr)
		}
	}
	tok, err := jose.Encrypt("payload", jose.PBES2_HS256_A128KW, jose.A256GCM, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := jose.Decode(tok, "pw"); err != nil || p != "payload" {
		t.Fatalf("decode: %q, %v", p, err)
	}
}

func BenchmarkUnwrapItem(b *testing.B) {
	orig := jose.NewPbse2HmacAesKWAlg(128, 1300000, 0)
	header := map[string]interface{}{"alg": jose.PBES2_HS256_A128KW}
	_, enc, _ := orig.WrapNewKey(256, "pw", header)
	header["p2c"] = float64(header["p2c"].(int))
	for _, c := range []struct {
		name string
		alg  jose.JwaAlgorithm
	}{{"jose2go", orig}, {"stdlib", preparedPBES2{orig: orig}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.alg.Unwrap(enc, "pw", 256, header); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
