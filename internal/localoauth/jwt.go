package localoauth

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
)

const keyID = "localoauth-1"

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
	keyErr  error
)

// signingKey is one RSA key per process: generating one per server would
// make tests slow for nothing.
func signingKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { rsaKey, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return rsaKey, keyErr
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwtParts(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return b64(h) + "." + b64(c)
}

// signRS256 makes an RS256 JWT with the process key.
func signRS256(claims map[string]any) string {
	k, _ := signingKey() // checked in newServer
	in := jwtParts(map[string]any{"typ": "JWT", "alg": "RS256", "kid": keyID}, claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		return in + "."
	}
	return in + "." + b64(sig)
}

// signHS256 makes an HS256 JWT like Dressipi's access tokens.
func signHS256(key []byte, claims map[string]any) string {
	in := jwtParts(map[string]any{"alg": "HS256"}, claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// PublicKey is the RSA key that verifies every RS256 JWT (id_token, OIDC
// JWT access tokens) the servers of this process sign.
func PublicKey() *rsa.PublicKey {
	k, err := signingKey()
	if err != nil {
		return nil
	}
	return &k.PublicKey
}

func jwks() map[string]any {
	k := PublicKey()
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": keyID,
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()),
	}}}
}
