package accounts

// The file keyring's passphrase is stretched with Argon2id before it
// reaches keyring's file backend (issue 10). keyring encrypts each item
// with PBES2 (8,192 PBKDF2 rounds, fixed by its format): ~1 ms per guess
// and core for whoever holds a copy of the keyring. Now the password that
// keyring sees is a 256-bit key derived from the passphrase by Argon2id
// with the parameters and salt of keyring/kdf.json (not secret), so a guess
// costs one Argon2id derivation (~0.4 s and 128 MiB here) instead.
//
// The derived key is handed to keyring as text: "<kid>:<key, base64url>",
// where kid ("tokenring-argon2id-" + 16 hex digits of SHA-256(salt))
// names the key's generation. Every item written with such a key carries
// the kid in its JWE protected header (kek.go), so an item written with the
// passphrase itself (by tokenring before issue 10, or an older binary still
// running) is told apart without a key, and converted at the next unlock.
//
// A keyring without kdf.json is one of an older tokenring: its items are
// encrypted with the passphrase itself. The next unlock checks the
// passphrase that way, writes kdf.json and re-encrypts every item, one at a
// time and each atomically (an interrupted migration goes on at the next
// unlock: an item is readable either way until it is converted). Changing
// the passphrase (ChangePassphrase, rekey.go) re-encrypts every item into a
// new directory that replaces the keyring in one rename.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// KDFFile is the name of the file in the keyring directory that holds the
// Argon2id parameters and salt.
const KDFFile = "kdf.json"

// KDFParams are Argon2id's costs.
type KDFParams struct {
	Time    uint32 // passes over the memory
	Memory  uint32 // KiB
	Threads uint8  // lanes
}

// DefaultKDF is what a new keyring gets (and a migrated one, and a changed
// passphrase) unless Config.KDF says otherwise: 128 MiB, 4 lanes and 4
// passes, one derivation ~0.4 s on the project's 2-core VM (measured with
// BenchmarkKDF, RFC 9106's second option t=3 m=64 MiB p=4 took ~0.1 s
// there; memory was doubled and a pass added rather than only passes, since
// memory is what makes guessing expensive on GPUs).
func DefaultKDF() KDFParams { return KDFParams{Time: 4, Memory: 128 << 10, Threads: 4} }

// lowCostKDF is for tests only (UseLowCostKDFForTests).
var lowCostKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

var useLowCostKDF atomic.Bool

// UseLowCostKDFForTests makes keyrings created from now on in this process
// use Argon2id parameters that cost almost nothing (64 KiB, one pass), where
// a Config does not set KDF. For tests only: a keyring made so is as cheap
// to guess as the old PBKDF2 one. (The race detector makes the default
// ~4x slower; a test suite unlocking hundreds of keyrings would take
// minutes.)
func UseLowCostKDFForTests() { useLowCostKDF.Store(true) }

// Limits on parameters read from kdf.json or config.toml: a crafted file
// must not make an unlock take hours or all the memory.
const (
	maxKDFMemory = 4 << 20 // KiB: 4 GiB
	maxKDFTime   = 64
)

// Check says whether p can be used.
func (p KDFParams) Check() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("argon2id time %d: it must be 1 to %d", p.Time, maxKDFTime)
	case p.Threads < 1:
		return errors.New("argon2id threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxKDFMemory:
		return fmt.Errorf("argon2id memory %d KiB: it must be %d KiB to 4 GiB", p.Memory, 8*uint32(p.Threads))
	}
	return nil
}

// kdfParams is what this store gives a new kdf.json.
func (s *Store) kdfParams() KDFParams {
	if p := s.cfg.KDF; p != (KDFParams{}) {
		return p
	}
	if useLowCostKDF.Load() {
		return lowCostKDF
	}
	return DefaultKDF()
}

// kdfDoc is kdf.json.
type kdfDoc struct {
	Version int    `json:"version"` // 1
	KDF     string `json:"kdf"`     // "argon2id"
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
	Salt    []byte `json:"salt"` // 32 random bytes (base64 in the file)
}

func (d kdfDoc) params() KDFParams {
	return KDFParams{Time: d.Time, Memory: d.Memory, Threads: d.Threads}
}

// kid names the key derived with d (its salt): the JWE "kid" of every item
// written with it.
func (d kdfDoc) kid() string {
	h := sha256.Sum256(d.Salt)
	return kidPrefix + hex.EncodeToString(h[:8])
}

const kidPrefix = "tokenring-argon2id-"

func newKDFDoc(p KDFParams) (kdfDoc, error) {
	if err := p.Check(); err != nil {
		return kdfDoc{}, err
	}
	d := kdfDoc{Version: 1, KDF: "argon2id", Time: p.Time, Memory: p.Memory, Threads: p.Threads, Salt: make([]byte, 32)}
	if _, err := rand.Read(d.Salt); err != nil {
		return kdfDoc{}, err
	}
	return d, nil
}

// readKDF reads dir/kdf.json: ok false when there is none (a keyring of
// an older tokenring, or none yet).
func readKDF(dir string) (d kdfDoc, ok bool, err error) {
	path := filepath.Join(dir, KDFFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kdfDoc{}, false, nil
	}
	if err != nil {
		return kdfDoc{}, false, fmt.Errorf("%w: reading %s: %v", ErrKeyring, path, err)
	}
	if len(data) > 4096 || json.Unmarshal(data, &d) != nil || d.Version != 1 || d.KDF != "argon2id" || len(d.Salt) < 16 {
		return kdfDoc{}, false, fmt.Errorf("%w: %s is damaged or from a newer tokenring; without it the keyring cannot be opened (restore it from a backup of the keyring directory)", ErrKeyring, path)
	}
	if err := d.params().Check(); err != nil {
		return kdfDoc{}, false, fmt.Errorf("%w: %s: %v", ErrKeyring, path, err)
	}
	return d, true, nil
}

// writeKDF writes dir/kdf.json; replace false fails with errFileExists
// when there is one already.
func writeKDF(dir string, d kdfDoc, replace bool) error {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	return writeFile(filepath.Join(dir, KDFFile), append(data, '\n'), replace)
}

// deriveKey stretches pass with d into a key box holding "<kid>:<key>",
// the password keyring's file backend is given.
func deriveKey(pass []byte, d kdfDoc) *keyBox {
	raw := argon2.IDKey(pass, d.Salt, d.Time, d.Memory, d.Threads, 32)
	kid := d.kid()
	n := len(kid) + 1 + base64.RawURLEncoding.EncodedLen(len(raw))
	b := newKeyBox(n)
	copy(b.b, kid)
	b.b[len(kid)] = ':'
	base64.RawURLEncoding.Encode(b.b[len(kid)+1:], raw)
	clear(raw)
	return b
}

// keyKid is the kid of a key made by deriveKey ("" for a passphrase used
// as the key itself, as older tokenrings did).
func keyKid(key string) string {
	if !strings.HasPrefix(key, kidPrefix) {
		return ""
	}
	kid, _, ok := strings.Cut(key, ":")
	if !ok {
		return ""
	}
	return kid
}

// itemKid reads the kid from the protected header of the item stored in
// path without decrypting it: "" for an item written with the passphrase
// itself. ok is false when the file is not a JWE.
func itemKid(path string) (kid string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	var buf [1024]byte // the header comes first and is ~300 bytes
	n, _ := f.Read(buf[:])
	head, _, found := bytes.Cut(buf[:n], []byte("."))
	if !found {
		return "", false
	}
	js := make([]byte, base64.RawURLEncoding.DecodedLen(len(head)))
	m, err := base64.RawURLEncoding.Decode(js, head)
	if err != nil {
		return "", false
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(js[:m], &h) != nil {
		return "", false
	}
	return h.Kid, true
}
