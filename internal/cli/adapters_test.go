package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// shopApp is a test app with a Dressipi account (API key) and an OIDC one
// (ID token), keyring unlocked by TOKENRING_PASSPHRASE.
func shopApp(t *testing.T) (*testApp, *memStore) {
	st := newMemStore("pw")
	ta := newTestApp(t, st)
	ta.env["TOKENRING_PASSPHRASE"] = "pw"
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	dr, _ := flow.Preset("dressipi", flow.Overrides{BaseURL: "https://api.shop.example", ClientID: "c"})
	st.accts["shop"] = accounts.Account{Name: "shop", Provider: dr, AccessExpiry: exp, HasRefresh: true}
	st.secrets["shop"] = accounts.Secret{APIKey: "key-1", Token: flow.Token{AccessToken: "jwt-1", TokenType: "Bearer", Expiry: exp, RefreshToken: "r"}}
	oidc, _ := flow.Preset("oidc", flow.Overrides{Issuer: "https://id.example", ClientID: "c"})
	st.accts["work"] = accounts.Account{Name: "work", Provider: oidc, Scopes: []string{"openid", "email"}}
	st.secrets["work"] = accounts.Secret{Token: flow.Token{AccessToken: "at-2", IDToken: "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"}}
	return ta, st
}

func TestTokenFormats(t *testing.T) {
	ta, st := shopApp(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"token", "shop"}, "jwt-1\n"},
		{[]string{"token", "shop", "--format", "raw"}, "jwt-1\n"},
		{[]string{"token", "shop", "--format", "header"}, "x-dressipi-jwt: jwt-1\nx-api-key: key-1\n"},
		{[]string{"token", "work", "--format", "header"}, "Authorization: Bearer at-2\n"},
		{[]string{"token", "work", "--format", "k8s"}, `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"at-2"}}` + "\n"},
		{[]string{"token", "work", "--id-token", "--format", "k8s"},
			`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"expirationTimestamp":"2100-01-01T00:00:00Z","token":"eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"}}` + "\n"},
	}
	for _, c := range cases {
		if code := ta.run("", c.args...); code != 0 || ta.stdout.String() != c.want {
			t.Errorf("%v: %d %q, want %q\n%s", c.args, code, ta.stdout, c.want, ta.stderr)
		}
	}
	if code := ta.run("", "token", "shop", "--format", "json"); code != 0 {
		t.Fatal(ta.stderr)
	}
	var j map[string]any
	json.Unmarshal(ta.stdout.Bytes(), &j)
	if j["access_token"] != "jwt-1" || j["provider"] != "dressipi" || j["account"] != "shop" || j["expires_at"] == nil || j["expires_in"] == nil {
		t.Errorf("json: %s", ta.stdout)
	}
	if code := ta.run("", "token", "work", "--format", "json"); code != 0 || strings.Contains(ta.stdout.String(), "expires") ||
		!strings.Contains(ta.stdout.String(), `"scope": "openid email"`) {
		t.Errorf("json of a token that does not expire: %s", ta.stdout)
	}
	if code := ta.run("", "token", "shop", "--format", "yaml"); code != ExitUsage || ta.stdout.Len() != 0 {
		t.Errorf("unknown format: %d", code)
	}
	// A token that would break its line is not handed out.
	sec := st.secrets["shop"]
	sec.Token.AccessToken = "jwt\r\nx-evil: 1"
	st.secrets["shop"] = sec
	for _, f := range tokenFormats {
		if code := ta.run("", "token", "shop", "--format", f); code != ExitProvider || ta.stdout.Len() != 0 {
			t.Errorf("a token with CR LF, --format %s: %d %q", f, code, ta.stdout)
		}
	}
}

func TestDurationFlag(t *testing.T) {
	var d time.Duration
	v := durationValue{&d}
	for in, want := range map[string]time.Duration{"90": 90 * time.Second, "90s": 90 * time.Second, "5m": 5 * time.Minute, "1h30m": 90 * time.Minute, "0": 0} {
		if err := v.Set(in); err != nil || d != want {
			t.Errorf("%q: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "soon", "-5s", "-1"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReadCredential(t *testing.T) {
	in := "protocol=https\nhost=git.example.com:8443\npath=a/b.git\nwwwauth[]=Bearer realm=\"x\"\ncapability[]=authtype\npassword=p=q\n\nhost=after-blank\n"
	m, err := readCredential(strings.NewReader(in))
	if err != nil || m["protocol"] != "https" || m["host"] != "git.example.com:8443" || m["path"] != "a/b.git" || m["password"] != "p=q" || len(m) != 4 {
		t.Fatalf("%v %v", m, err)
	}
	m, err = readCredential(strings.NewReader("url=https://alice@git.example.com/r.git\n"))
	if err != nil || m["protocol"] != "https" || m["host"] != "git.example.com" || m["username"] != "alice" {
		t.Fatalf("url: %v %v", m, err)
	}
	if _, err := readCredential(strings.NewReader("protocol\n\n")); err == nil {
		t.Fatal("a line without = accepted")
	}
}

func TestGitAnswers(t *testing.T) {
	hosts := []string{"git.example.com", "127.0.0.1:8080"}
	cases := []struct {
		req  map[string]string
		want bool
	}{
		{map[string]string{"protocol": "https", "host": "git.example.com"}, true},
		{map[string]string{"protocol": "https", "host": "GIT.example.com"}, true},
		{map[string]string{"protocol": "https", "host": "git.example.com", "username": "oauth2"}, true},
		{map[string]string{"protocol": "https", "host": "git.example.com", "username": "bob"}, false},
		{map[string]string{"protocol": "http", "host": "git.example.com"}, false}, // cleartext off loopback
		{map[string]string{"protocol": "http", "host": "127.0.0.1:8080"}, true},
		{map[string]string{"protocol": "https", "host": "127.0.0.1:8081"}, false},
		{map[string]string{"protocol": "https", "host": "git.example.com.evil.example"}, false},
		{map[string]string{"protocol": "https", "host": "evil.example"}, false},
		{map[string]string{"protocol": "ssh", "host": "git.example.com"}, false},
		{map[string]string{"host": "git.example.com"}, false},
		{map[string]string{"protocol": "https"}, false},
	}
	for _, c := range cases {
		if got := answers(c.req, hosts, "oauth2"); got != c.want {
			t.Errorf("%v: %v, want %v", c.req, got, c.want)
		}
	}
	gl, _ := flow.Preset("oidc", flow.Overrides{Issuer: "https://gitlab.example.com", TokenURL: "https://gitlab.example.com:443/oauth/token"})
	if h := providerHosts(gl); len(h) != 1 || h[0] != "gitlab.example.com" || defaultGitUsername(gl) != "oauth2" {
		t.Errorf("GitLab: %v %s", h, defaultGitUsername(gl))
	}
	gh := flow.Provider{AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token"}
	if defaultGitUsername(gh) != "x-access-token" {
		t.Errorf("GitHub: %s", defaultGitUsername(gh))
	}
}

// git-credential: another host gets nothing and reads no secret (the
// keyring stays locked); store and erase touch nothing at all.
func TestGitCredentialInProcess(t *testing.T) {
	ta, st := shopApp(t)
	delete(ta.env, "TOKENRING_PASSPHRASE")
	opens := 0
	open := ta.open
	ta.open = func(c accounts.Config) (store, error) { opens++; return open(c) }
	args := []string{"git-credential", "--account", "work", "--host", "git.example.com"}
	if code := ta.run("protocol=https\nhost=github.com\n\n", append(args, "get")...); code != 0 || ta.stdout.Len() != 0 || ta.stderr.Len() != 0 || opens != 0 {
		t.Fatalf("other host: %d %q %q, %d store opens", code, ta.stdout, ta.stderr, opens)
	}
	for _, op := range []string{"store", "erase", "future-op"} {
		if code := ta.run("protocol=https\nhost=git.example.com\nusername=x\npassword=y\n\n", append(args, op)...); code != 0 || ta.stdout.Len() != 0 || opens != 0 {
			t.Fatalf("%s: %d %q, %d store opens", op, code, ta.stdout, opens)
		}
	}
	if code := ta.run("protocol=https\nhost=git.example.com\n\n", append(args, "get")...); code != ExitKeyring {
		t.Fatalf("locked keyring: %d %s", code, ta.stderr)
	}
	ta.env["TOKENRING_PASSPHRASE"] = "pw"
	st.unlocked = false
	if code := ta.run("protocol=https\nhost=git.example.com\n\n", append(args, "get")...); code != 0 || ta.stdout.String() != "username=oauth2\npassword=at-2\n" {
		t.Fatalf("get: %d %q %s", code, ta.stdout, ta.stderr)
	}
	if code := ta.run("protocol=https\nhost=git.example.com\n\n", append(args, "--username", "alice", "get")...); code != 0 || !strings.HasPrefix(ta.stdout.String(), "username=alice\n") {
		t.Fatalf("--username: %d %q", code, ta.stdout)
	}
	// Without --host: the provider's own host.
	if code := ta.run("protocol=https\nhost=id.example\n\n", "git-credential", "--account", "work", "get"); code != 0 || !strings.Contains(ta.stdout.String(), "password=at-2") {
		t.Fatalf("provider host: %d %q", code, ta.stdout)
	}
	if code := ta.run("", "git-credential", "--account", "work", "--host", "https://x/", "get"); code != ExitUsage {
		t.Fatalf("bad --host: %d", code)
	}
}

func TestChildEnv(t *testing.T) {
	in := []string{"PATH=/bin", "TOKENRING_HOME=/h", "TOKENRING_KEYRING=file", "TOKENRING_PASSPHRASE=p", "TOKENRING_API_KEY=k",
		"TOKENRING_CLIENT_SECRET=s", "TOKENRING_ACCESS_TOKEN=outer", "tokenring_other=x", "MYTOK=old", "OTHER=1"}
	got := strings.Join(childEnv(in, "MYTOK", "new"), " ")
	if got != "PATH=/bin TOKENRING_HOME=/h TOKENRING_KEYRING=file OTHER=1 MYTOK=new" {
		t.Fatalf("childEnv = %s", got)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t")
	tf, err := createTokenFile(p, "one")
	if err != nil {
		t.Fatal(err)
	}
	check := func(want string) {
		t.Helper()
		b, err := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if err != nil || string(b) != want || fi.Mode().Perm() != 0o600 {
			t.Fatalf("file holds %q (%v), mode %v", b, err, fi.Mode())
		}
	}
	check("one")
	if _, err := createTokenFile(p, "x"); exitCode(err) != ExitUsage {
		t.Fatalf("an existing file: %v", err)
	}
	if err := tf.rewrite("two"); err != nil {
		t.Fatal(err)
	}
	check("two")
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temp files left: %v", ents)
	}
	tf.remove()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("not removed")
	}
	// A file that took its place is not ours to remove.
	tf, _ = createTokenFile(p, "three")
	os.Remove(p)
	os.WriteFile(p, []byte("someone else's"), 0o600)
	tf.remove()
	if b, _ := os.ReadFile(p); string(b) != "someone else's" {
		t.Fatal("removed a file it did not write")
	}
}
