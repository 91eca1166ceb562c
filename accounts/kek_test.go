package accounts

import (
	"strings"
	"testing"

	jose "github.com/dvsekhvalnov/jose2go"
)

// TestPreparedKEK: an item written with a prepared key is standard PBES2
// that jose2go (as keyring uses it) decrypts with the passphrase and
// refuses with another; each prepared key is used once.
func TestPreparedKEK(t *testing.T) {
	prepareKEK("kek-pass")
	prepareKEK("kek-pass")
	a, err := jose.Encrypt(`{"x":1}`, jose.PBES2_HS256_A128KW, jose.A256GCM, "kek-pass")
	if err != nil {
		t.Fatal(err)
	}
	b, err := jose.Encrypt(`{"x":1}`, jose.PBES2_HS256_A128KW, jose.A256GCM, "kek-pass")
	if err != nil {
		t.Fatal(err)
	}
	if len(kekPool.m["kek-pass"]) != 0 {
		t.Fatal("prepared keys not consumed")
	}
	if strings.Split(a, ".")[0] == strings.Split(b, ".")[0] {
		t.Fatal("two items share a header (and salt)")
	}
	for _, tok := range []string{a, b} {
		_, hdr, err := jose.Decode(tok, "kek-pass")
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if hdr["p2c"] != float64(8192) {
			t.Fatalf("p2c = %v", hdr["p2c"])
		}
		if _, _, err := jose.Decode(tok, "other-pass"); err == nil {
			t.Fatal("decrypted with the wrong passphrase")
		}
	}
	// Without a prepared key the original path is taken.
	c, err := jose.Encrypt(`{"x":1}`, jose.PBES2_HS256_A128KW, jose.A256GCM, "kek-pass")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := jose.Decode(c, "kek-pass"); err != nil {
		t.Fatal(err)
	}
}
