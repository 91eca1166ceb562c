package accounts

// The file backend encrypts each item with PBES2 (jose2go, 8,192 PBKDF2
// rounds): about 1.3 ms of key derivation per write. During a refresh that
// derivation would sit between the server rotating the refresh token and
// the new one being on disk, the window in which a killed process loses the
// account. So the store derives one key-encryption key (with a fresh random
// salt) in the background while the refresh request is in flight, and the
// write that follows uses it. This file registers a drop-in for jose2go's
// PBES2-HS256+A128KW that takes such a prepared key when one is waiting for
// the passphrase and otherwise does exactly what jose2go does; the output is
// the standard format (p2s, p2c = 8192) that keyring reads back unchanged.
// A prepared key is used once (one salt per item). The password is the key
// derived from the passphrase (kdf.go), which WrapNewKey also names in the
// item's header ("kid").

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"sync"

	jose "github.com/dvsekhvalnov/jose2go"
	joseaes "github.com/dvsekhvalnov/jose2go/aes"
	"github.com/dvsekhvalnov/jose2go/base64url"
)

const pbes2Rounds = 8192 // what keyring's jose2go call uses

type preparedKEK struct {
	salt, kek []byte
	err       error
}

var kekPool = struct {
	sync.Mutex
	m map[string][]chan preparedKEK
}{m: map[string][]chan preparedKEK{}}

// prepareKEK starts deriving one key for pass (at most 4 wait per passphrase).
func prepareKEK(pass string) {
	if pass == "" {
		return
	}
	kekPool.Lock()
	defer kekPool.Unlock()
	if len(kekPool.m[pass]) >= 4 {
		return
	}
	ch := make(chan preparedKEK, 1)
	kekPool.m[pass] = append(kekPool.m[pass], ch)
	go func() {
		var p preparedKEK
		p.salt = make([]byte, 12)
		if _, err := rand.Read(p.salt); err != nil {
			p.err = err
		} else {
			salt := append([]byte(jose.PBES2_HS256_A128KW+"\x00"), p.salt...)
			p.kek, p.err = pbkdf2.Key(sha256.New, pass, salt, pbes2Rounds, 16)
		}
		ch <- p
	}()
}

func takeKEK(pass string) (preparedKEK, bool) {
	kekPool.Lock()
	q := kekPool.m[pass]
	if len(q) == 0 {
		kekPool.Unlock()
		return preparedKEK{}, false
	}
	ch := q[0]
	if len(q) == 1 {
		delete(kekPool.m, pass)
	} else {
		kekPool.m[pass] = q[1:]
	}
	kekPool.Unlock()
	p := <-ch // already derived, or being derived since before the request
	return p, p.err == nil
}

// forgetKEKs drops prepared keys and the remembered ones (Close).
func forgetKEKs(pass string) {
	kekPool.Lock()
	delete(kekPool.m, pass)
	kekPool.Unlock()
	kekMemo.Lock()
	for _, k := range kekMemo.m[pass] {
		clear(k)
	}
	delete(kekMemo.m, pass)
	kekMemo.Unlock()
}

// kekMemo remembers the key-encryption key of each item (by its PBES2
// salt) read with a key derived from the passphrase (kdf.go), so a
// long-running process (the unlock agent, the TUI) reads an item again
// without another 8,192 PBKDF2 rounds: `tokenring token` through the agent
// is then a file read and two AES operations. Each is 16 bytes derived
// from the key the process holds anyway; forgetKEKs (Close) overwrites
// them. A passphrase used as the key itself (an older tokenring's items)
// is not remembered.
var kekMemo = struct {
	sync.Mutex
	m map[string]map[string][]byte // key -> p2s -> KEK
}{m: map[string]map[string][]byte{}}

const kekMemoMax = 4096 // items per key

func memoKEK(pass, p2s string) []byte {
	kekMemo.Lock()
	defer kekMemo.Unlock()
	return kekMemo.m[pass][p2s]
}

func rememberKEK(pass, p2s string, kek []byte) {
	if keyKid(pass) == "" {
		return
	}
	kekMemo.Lock()
	defer kekMemo.Unlock()
	m := kekMemo.m[pass]
	if m == nil {
		m = map[string][]byte{}
		kekMemo.m[pass] = m
	}
	if len(m) < kekMemoMax {
		m[p2s] = append([]byte(nil), kek...)
	}
}

type preparedPBES2 struct{ orig jose.JwaAlgorithm }

func init() {
	jose.RegisterJwa(preparedPBES2{orig: jose.NewPbse2HmacAesKWAlg(128, 1300000, 0)})
}

func (preparedPBES2) Name() string { return jose.PBES2_HS256_A128KW }

func (a preparedPBES2) WrapNewKey(cekSizeBits int, key interface{}, header map[string]interface{}) ([]byte, []byte, error) {
	pass, ok := key.(string)
	if kid := keyKid(pass); ok && kid != "" {
		// A key derived from the passphrase (kdf.go) names itself in the
		// protected header, so an item tells which key wrote it.
		header["kid"] = kid
	}
	if _, custom := header["p2c"]; !ok || custom || header["alg"] != jose.PBES2_HS256_A128KW {
		return a.orig.WrapNewKey(cekSizeBits, key, header)
	}
	p, ok := takeKEK(pass)
	if !ok {
		return a.orig.WrapNewKey(cekSizeBits, key, header)
	}
	cek := make([]byte, cekSizeBits/8)
	if _, err := rand.Read(cek); err != nil {
		return nil, nil, err
	}
	enc, err := joseaes.KeyWrap(cek, p.kek)
	if err != nil {
		return nil, nil, errors.New("accounts: key wrap failed")
	}
	header["p2c"] = pbes2Rounds
	header["p2s"] = base64url.Encode(p.salt)
	return cek, enc, nil
}

// Unwrap derives the key-encryption key with crypto/pbkdf2 for the items
// keyring writes (PBES2-HS256+A128KW, p2c 8192): the same key as jose2go's
// kdf, without its two allocations per round (16,384 per item read), which
// made one PBKDF2 ~1.7 ms instead of ~1 ms and is the largest part of
// `tokenring token` (issue 5). Anything else goes to jose2go unchanged.
func (a preparedPBES2) Unwrap(encryptedCek []byte, key interface{}, cekSizeBits int, header map[string]interface{}) ([]byte, error) {
	pass, ok := key.(string)
	p2c, _ := header["p2c"].(float64)
	p2s, _ := header["p2s"].(string)
	alg, _ := header["alg"].(string)
	if !ok || p2c != pbes2Rounds || p2s == "" || alg != jose.PBES2_HS256_A128KW {
		return a.orig.Unwrap(encryptedCek, key, cekSizeBits, header)
	}
	if kek := memoKEK(pass, p2s); kek != nil {
		return joseaes.KeyUnwrap(encryptedCek, kek)
	}
	saltInput, err := base64url.Decode(p2s)
	if err != nil {
		return a.orig.Unwrap(encryptedCek, key, cekSizeBits, header)
	}
	kek, err := pbkdf2.Key(sha256.New, pass, append([]byte(alg+"\x00"), saltInput...), pbes2Rounds, 16)
	if err != nil {
		return a.orig.Unwrap(encryptedCek, key, cekSizeBits, header)
	}
	cek, err := joseaes.KeyUnwrap(encryptedCek, kek)
	if err == nil {
		rememberKEK(pass, p2s, kek) // only a KEK that opened the item
	}
	return cek, err
}
