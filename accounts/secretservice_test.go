package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/godbus/dbus"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/flow/exchange"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// The D-Bus tests run under accounts/testdata/secret-service.sh, which CI
// calls: TOKENRING_TEST_SECRET_SERVICE=1 inside dbus-run-session with an
// unlocked gnome-keyring; =bare inside a session bus that has no Secret
// Service and cannot start one.
const ssEnv = "TOKENRING_TEST_SECRET_SERVICE"

// TestSecretService links, reads, refreshes (against strict Dressipi
// rotation) and removes an account in a real gnome-keyring, chosen
// automatically, and checks with secret-tool that the item really is there.
func TestSecretService(t *testing.T) {
	if os.Getenv(ssEnv) != "1" {
		t.Skip("needs a D-Bus session with an unlocked gnome-keyring: run accounts/testdata/secret-service.sh (sets " + ssEnv + "=1)")
	}
	if !registered("secret-service") {
		t.Fatal(ssEnv + "=1 but keyring registered no Secret Service: the session bus did not answer at start")
	}
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "ss-client", APIKey: "ss-api-key-secret"})
	defer srv.Close()
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir, Exchanger: exchange.New()})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Backend()
	if b.Name != "secret-service" || b.Locked || !strings.Contains(b.Reason, "answered") {
		t.Fatalf("automatic choice with a Secret Service: %+v", b)
	}
	t.Logf("backend: %s (%s)", b.Name, b.Reason)
	ctx := ctxT(t)
	p, _ := flow.Preset(flow.PresetDressipi, flow.Overrides{BaseURL: srv.URL, ClientID: "ss-client"})
	m, _ := srv.MintTokens("", 0)
	tok := flow.Token{AccessToken: m.AccessToken, RefreshToken: m.RefreshToken, Expiry: m.Expiry, IssuedAt: time.Now()}
	name := "ss-test-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	if err := s.Add(ctx, Account{Name: name, Provider: p}, Secret{Token: tok, APIKey: "ss-api-key-secret"}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	defer s.Remove(context.Background(), name, false)

	// keyring stores the JSON of a keyring.Item (Data base64-encoded).
	out, err := exec.Command("secret-tool", "lookup", "profile", itemKey(name)).Output()
	var it keyring.Item
	var stored Secret
	if err != nil || json.Unmarshal(out, &it) != nil || json.Unmarshal(it.Data, &stored) != nil || stored.APIKey != "ss-api-key-secret" {
		t.Fatalf("secret-tool does not find the item in the Secret Service (%d bytes): %v", len(out), err)
	}
	// A second store (a new process would do the same) reads it back.
	s2, err := Open(Config{Dir: dir, Backend: "secret-service", Exchanger: exchange.New()})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := s2.Secret(ctx, name)
	if err != nil || sec.Token.RefreshToken != m.RefreshToken {
		t.Fatalf("Secret: %v", err)
	}
	a, err := s2.Refresh(ctx, name)
	if err != nil || a.NeedsRelink {
		t.Fatalf("Refresh: %v", err)
	}
	sec, _ = s.Secret(ctx, name)
	if sec.Token.RefreshToken == m.RefreshToken || !srv.ValidRefreshToken(sec.Token.RefreshToken) {
		t.Fatal("the rotated refresh token was not stored in the Secret Service")
	}
	// Nothing secret, and no file keyring, under the config directory.
	if _, err := os.Stat(filepath.Join(dir, KeyringDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file keyring was created although the Secret Service is in use")
	}
	grepDir(t, dir, m.AccessToken, m.RefreshToken, sec.Token.AccessToken, sec.Token.RefreshToken, "ss-api-key-secret")

	if err := s.Remove(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("secret-tool", "lookup", "profile", itemKey(name)).Output(); err == nil && len(out) > 0 {
		t.Fatal("the item is still in the Secret Service after Remove")
	}
}

func grepDir(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		for _, s := range secrets {
			if s != "" && strings.Contains(string(data), s) {
				t.Errorf("%s contains a secret", path)
			}
		}
		return nil
	})
}

// TestSecretServiceAbsent: a session bus on which no Secret Service runs
// (and none can be started): choosing it fails at once with the real
// reason; the automatic choice falls back to the file backend and says why.
func TestSecretServiceAbsent(t *testing.T) {
	if os.Getenv(ssEnv) != "bare" {
		t.Skip("needs a bare D-Bus session: run accounts/testdata/secret-service.sh (sets " + ssEnv + "=bare)")
	}
	start := time.Now()
	_, err := Open(Config{Dir: t.TempDir(), Backend: "secret-service", Timeout: 3 * time.Second})
	if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "secret-service") || !strings.Contains(err.Error(), "TOKENRING_KEYRING=file") ||
		!strings.Contains(err.Error(), "org.freedesktop.secrets") {
		t.Fatalf("secret-service without a service: %v", err)
	}
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	s, err := Open(Config{Dir: t.TempDir(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Backend(); b.Name != "file" || !strings.Contains(b.Reason, "secret-service") {
		t.Fatalf("automatic choice: %+v", b)
	}
}

// silentSecrets owns org.freedesktop.secrets and never answers, like an
// unlock prompt on a screen nobody sees.
type silentSecrets struct{ block chan struct{} }

func (s silentSecrets) OpenSession(alg string, in dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	<-s.block
	return dbus.MakeVariant(""), "/", nil
}

// TestSecretServiceSilent: a Secret Service that never answers gives the
// named-backend error within the deadline instead of hanging, both when
// chosen and in the automatic choice (which then uses the file backend).
func TestSecretServiceSilent(t *testing.T) {
	if os.Getenv(ssEnv) != "bare" {
		t.Skip("needs a bare D-Bus session: run accounts/testdata/secret-service.sh (sets " + ssEnv + "=bare)")
	}
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	fake := silentSecrets{block: make(chan struct{})}
	defer close(fake.block)
	if err := conn.Export(fake, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own org.freedesktop.secrets: %v %v", r, err)
	}

	start := time.Now()
	_, err = Open(Config{Dir: t.TempDir(), Backend: "secret-service", Timeout: time.Second})
	took := time.Since(start)
	if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "secret-service") || !strings.Contains(err.Error(), "did not answer") ||
		!strings.Contains(err.Error(), "TOKENRING_KEYRING=file") {
		t.Fatalf("silent Secret Service: %v", err)
	}
	if took > 10*time.Second {
		t.Fatalf("took %v", took)
	}
	t.Logf("after %v: %v", took.Round(time.Millisecond), err)

	s, err := Open(Config{Dir: t.TempDir(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Backend(); b.Name != "file" || !strings.Contains(b.Reason, "secret-service: it did not answer") {
		t.Fatalf("automatic choice with a silent Secret Service: %+v", b)
	}
}

// hangingRing is a keyring whose calls never return (an unlock prompt).
type hangingRing struct{ block chan struct{} }

func (h hangingRing) Get(string) (keyring.Item, error) { <-h.block; return keyring.Item{}, nil }
func (h hangingRing) GetMetadata(string) (keyring.Metadata, error) {
	<-h.block
	return keyring.Metadata{}, nil
}
func (h hangingRing) Set(keyring.Item) error  { <-h.block; return nil }
func (h hangingRing) Remove(string) error     { <-h.block; return nil }
func (h hangingRing) Keys() ([]string, error) { <-h.block; return nil, nil }

// TestKeyringCallDeadline: every keyring call has a deadline and the
// error names the backend and the way out.
func TestKeyringCallDeadline(t *testing.T) {
	s := openFile(t, t.TempDir(), "pw", nil, nil)
	ex := newFakeEx(time.Now)
	if err := s.Add(ctxT(t), Account{Name: "a", Provider: testProvider()}, Secret{Token: ex.Mint()}); err != nil {
		t.Fatal(err)
	}
	h := hangingRing{block: make(chan struct{})}
	defer close(h.block)
	s.file, s.kr, s.timeout = false, h, 200*time.Millisecond
	s.info = BackendInfo{Name: "secret-service", Reason: "test"}
	a := mustAccount(t, s, "a")
	a.Backend = "secret-service"
	if err := s.files.write(a); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"Secret": func() error { _, err := s.Secret(ctxT(t), "a"); return err },
		"Token":  func() error { _, err := s.Token(ctxT(t), "a"); return err },
		"Add": func() error {
			return s.Add(ctxT(t), Account{Name: "b", Provider: testProvider()}, Secret{Token: ex.Mint()})
		},
		"Remove": func() error { return s.Remove(ctxT(t), "a", false) },
	} {
		err := f()
		if !errors.Is(err, ErrKeyring) || !strings.Contains(err.Error(), "secret-service keyring did not answer within 200ms") ||
			!strings.Contains(err.Error(), "TOKENRING_KEYRING=file") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestKeyctl: the kernel keyring, where the kernel allows it.
func TestKeyctl(t *testing.T) {
	ex := newFakeEx(time.Now)
	s, err := Open(Config{Dir: t.TempDir(), Backend: "keyctl", Exchanger: ex})
	if err != nil {
		t.Skipf("keyctl is not usable here: %v", err)
	}
	if b := s.Backend(); b.Name != "keyctl" || !strings.Contains(b.Reason, "restarts") {
		t.Fatalf("Backend = %+v", b)
	}
	ctx := ctxT(t)
	tok := ex.Mint()
	name := "keyctl-test-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	if err := s.Add(ctx, Account{Name: name, Provider: testProvider()}, Secret{Token: tok, ClientSecret: "kc-secret"}); err != nil {
		t.Skipf("keyctl refused a write: %v", err)
	}
	defer s.Remove(context.Background(), name, false)
	sec, err := s.Secret(ctx, name)
	if err != nil || sec.Token.RefreshToken != tok.RefreshToken || sec.ClientSecret != "kc-secret" {
		t.Fatalf("Secret: %v", err)
	}
	if _, err := s.Refresh(ctx, name); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if err := s.Remove(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.getItem(ctx, itemKey(name)); !errors.Is(err, keyring.ErrKeyNotFound) {
		t.Fatalf("item still there after Remove: %v", err)
	}
}

// TestKeyctlAcrossProcesses: what one process stores in the kernel keyring
// another reads (keyring's default key permissions give "possessor" all and
// "user" only view; this proves the user keyring is reachable here).
func TestKeyctlAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	if _, err := Open(Config{Dir: t.TempDir(), Backend: "keyctl"}); err != nil {
		t.Skipf("keyctl is not usable here: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "kcprobe")
	cmd := exec.Command("go", "build", "-o", exe, "./accounts/testdata/kcprobe")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	dir := t.TempDir()
	name := "kcx-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	run := func(args ...string) string {
		b, err := exec.Command(exe, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kcprobe %v: %v\n%s", args[0], err, b)
		}
		return strings.TrimSpace(string(b))
	}
	run("add", dir, name, "kc-token-secret")
	defer exec.Command(exe, "remove", dir, name).Run()
	if got := run("get", dir, name); got != "kc-token-secret" {
		t.Fatalf("another process read %q", got)
	}
	run("remove", dir, name)
}
