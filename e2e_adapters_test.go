//go:build unix

package main

// Issue 11's proof: fresh tokens for other programs, with the real clients
// (curl, git, kubectl) and the real binary, against servers on 127.0.0.1
// only. A test whose client is missing skips and says which.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	trcli "github.com/tokenring/tokenring/internal/cli"
	"github.com/tokenring/tokenring/internal/localoauth"
)

// needTool skips the test when a client it drives is not installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian: apt-get install %s); this test drives the real %s", name, name, name)
	}
	return p
}

// shell runs script with sh -c in the installation's environment, with the
// binary on PATH as `tokenring` (as README.md's lines are written).
func (c *installation) shell(extraEnv []string, script string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Env = c.environ(extraEnv)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if cmd.ProcessState == nil {
		c.t.Fatalf("sh -c %q: %v", script, err)
	}
	res.code = cmd.ProcessState.ExitCode()
	return res
}

// environ is the installation's environment with the binary's directory
// first on PATH.
func (c *installation) environ(extra []string) []string {
	var env []string
	for k, v := range c.env {
		if k == "PATH" {
			v = filepath.Dir(c.bin) + string(os.PathListSeparator) + v
		}
		env = append(env, k+"="+v)
	}
	return append(env, extra...)
}

// apiServer is an API on 127.0.0.1 that answers 200 "ok" when check finds
// nothing wrong with a request's headers, else 401 with what is wrong.
type apiServer struct {
	URL  string
	CA   []byte // PEM, for https
	ok   atomic.Int64
	bad  atomic.Int64
	mu   sync.Mutex
	errs []string
	seen map[string]bool // distinct credentials that were accepted
}

func newAPIServer(t *testing.T, check func(h http.Header) (cred string, problem string)) *apiServer {
	return startAPIServer(t, false, check)
}

// startAPIServer starts the API; with useTLS on https (a certificate for
// 127.0.0.1 that a.CA holds).
func startAPIServer(t *testing.T, useTLS bool, check func(h http.Header) (cred string, problem string)) *apiServer {
	t.Helper()
	a := &apiServer{seen: map[string]bool{}}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, problem := check(r.Header)
		if problem != "" {
			a.bad.Add(1)
			a.mu.Lock()
			a.errs = append(a.errs, problem)
			a.mu.Unlock()
			http.Error(w, problem, http.StatusUnauthorized)
			return
		}
		a.ok.Add(1)
		a.mu.Lock()
		a.seen[cred] = true
		a.mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	if useTLS {
		hs.StartTLS()
		a.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	} else {
		hs.Start()
	}
	a.URL = hs.URL
	t.Cleanup(hs.Close)
	return a
}

func (a *apiServer) problems() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.errs...)
}

func (a *apiServer) distinct() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// bearerCheck accepts "Authorization: Bearer T" for a T srv issued and
// that is valid now.
func bearerCheck(srv *localoauth.Server) func(http.Header) (string, string) {
	return func(h http.Header) (string, string) {
		v := h.Values("Authorization")
		if len(v) != 1 || !strings.HasPrefix(v[0], "Bearer ") {
			return "", fmt.Sprintf("want one Authorization: Bearer header, got %d", len(v))
		}
		tok := strings.TrimPrefix(v[0], "Bearer ")
		if !srv.ValidAccessToken(tok) {
			return "", "the bearer token is not valid (expired, revoked or never issued)"
		}
		return tok, ""
	}
}

func linkOIDC(t *testing.T, c *installation, srv *localoauth.Server, name string) {
	t.Helper()
	res, _ := c.link(srv, nil, nil, name, "--provider", "oidc", "--issuer", srv.URL, "--client-id", "oidc-client",
		"--redirect-uri", localoauth.OOB, "--scope", "openid")
	c.expect(res, 0, "link "+name)
}

func newOIDC(ttl time.Duration) *localoauth.Server {
	return localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "oidc-client", RedirectURIs: []string{localoauth.OOB},
		AccessTTL: ttl, RotateRefresh: true})
}

func refreshCount(srv *localoauth.Server, path string) int {
	n := 0
	for _, r := range tokenRequests(srv, path) {
		if r.Form.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

// `tokenring token shop --format header | curl -H @- URL`: real curl,
// Dressipi's two headers, then a bearer API.
func TestE2ETokenHeaderCurl(t *testing.T) {
	t.Parallel()
	needTool(t, "curl")
	c := newCLI(t)

	const apiKey = "dr-api-key-curl-5e1"
	dr := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Hour})
	defer dr.Close()
	res, _ := c.link(dr, []string{"TOKENRING_API_KEY=" + apiKey}, nil, "shop", "--provider", "dressipi", "--base-url", dr.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link dressipi")
	drAPI := newAPIServer(t, func(h http.Header) (string, string) {
		if k := h.Values("x-api-key"); len(k) != 1 || k[0] != apiKey {
			return "", "want one x-api-key header with the client's key"
		}
		j := h.Values("x-dressipi-jwt")
		if len(j) != 1 || !dr.ValidAccessToken(j[0]) {
			return "", "want one x-dressipi-jwt header with a valid user JWT"
		}
		if h.Get("Authorization") != "" {
			return "", "Dressipi's API takes the JWT in x-dressipi-jwt, not Authorization"
		}
		return j[0], ""
	})

	res = c.run(nil, "", "token", "shop", "--format", "header")
	c.expect(res, 0, "token --format header")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "x-dressipi-jwt: ") || lines[1] != "x-api-key: "+apiKey {
		t.Fatalf("header lines for Dressipi:\n%s", res.stdout)
	}

	res = c.shell(nil, "tokenring token shop --format header | curl -sS -f -H @- "+drAPI.URL+"/v1/products")
	c.expect(res, 0, "token --format header | curl -H @- (Dressipi)")
	if res.stdout != "ok" || drAPI.ok.Load() != 1 {
		t.Fatalf("the Dressipi API did not accept curl's request: %q %v", res.stdout, drAPI.problems())
	}

	oidc := newOIDC(time.Hour)
	defer oidc.Close()
	linkOIDC(t, c, oidc, "work")
	bearerAPI := newAPIServer(t, bearerCheck(oidc))
	res = c.shell(nil, "tokenring token work --format header | curl -sS -f -H @- "+bearerAPI.URL+"/me")
	c.expect(res, 0, "token --format header | curl -H @- (bearer)")
	if res.stdout != "ok" || bearerAPI.ok.Load() != 1 {
		t.Fatalf("the bearer API did not accept curl's request: %q %v", res.stdout, bearerAPI.problems())
	}
	res = c.run(nil, "", "token", "work", "--format", "header")
	if !strings.HasPrefix(res.stdout, "Authorization: Bearer ") || strings.Count(res.stdout, "\n") != 1 {
		t.Fatalf("header line for a bearer API: %q", res.stdout)
	}

	// json: the fields of the contract.
	res = c.run(nil, "", "token", "work", "--format", "json")
	c.expect(res, 0, "token --format json")
	var j map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &j); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	for _, k := range []string{"access_token", "token_type", "expires_at", "expires_in", "scope", "account", "provider"} {
		if _, ok := j[k]; !ok {
			t.Errorf("json lacks %q: %s", k, res.stdout)
		}
	}
	if len(j) != 7 || j["account"] != "work" || j["provider"] != "generic" || j["token_type"] != "Bearer" || j["scope"] != "openid" ||
		!oidc.ValidAccessToken(fmt.Sprint(j["access_token"])) {
		t.Errorf("json = %s", res.stdout)
	}
	if in, _ := j["expires_in"].(float64); in < 3500 || in > 3600 {
		t.Errorf("expires_in = %v", j["expires_in"])
	}
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(j["expires_at"])); err != nil || time.Until(at) < 58*time.Minute {
		t.Errorf("expires_at = %v (%v)", j["expires_at"], err)
	}

	// --id-token: the ID token the provider issued, in every format.
	res = c.run(nil, "", "token", "work", "--id-token", "--format", "json")
	c.expect(res, 0, "token --id-token --format json")
	j = nil
	json.Unmarshal([]byte(res.stdout), &j)
	if id, _ := j["id_token"].(string); strings.Count(id, ".") != 2 || j["access_token"] != nil {
		t.Errorf("--id-token json = %s", res.stdout)
	}
	res = c.run(nil, "", "token", "shop", "--id-token")
	c.expect(res, trcli.ExitError, "--id-token of an account without one")
	if !strings.Contains(res.stderr, "no ID token") || res.stdout != "" {
		t.Errorf("--id-token without an ID token: %q %q", res.stdout, res.stderr)
	}
	c.expect(c.run(nil, "", "token", "work", "--format", "yaml"), trcli.ExitUsage, "unknown format")
}

// --min-valid: the server counts exactly the refreshes it must see.
func TestE2ETokenMinValid(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := newOIDC(10 * time.Minute) // expires_in 600
	defer srv.Close()
	linkOIDC(t, c, srv, "work")
	refreshes := func() int { return refreshCount(srv, "/token") }
	token := func(want int, args ...string) string {
		t.Helper()
		res := c.run(nil, "", append([]string{"token", "work"}, args...)...)
		c.expect(res, want, strings.Join(args, " "))
		return strings.TrimSpace(res.stdout)
	}

	first := token(0, "--min-valid", "5m")
	if refreshes() != 0 || !srv.ValidAccessToken(first) {
		t.Fatalf("valid for 10m, 5m asked: %d refreshes", refreshes())
	}
	token(0) // the policy: 1 min before expiry
	if refreshes() != 0 {
		t.Fatal("plain token refreshed a new token")
	}
	// Once the token is more than a second old, it is valid for less than
	// 599 s: refresh; the new one is then valid long enough for 595 s.
	time.Sleep(1500 * time.Millisecond)
	second := token(0, "--min-valid", "599s")
	if refreshes() != 1 || second == first || !srv.ValidAccessToken(second) {
		t.Fatalf("599s asked of a token with less: %d refreshes", refreshes())
	}
	if got := token(0, "--min-valid", "595"); got != second || refreshes() != 1 {
		t.Fatalf("595 s asked right after a refresh: %d refreshes", refreshes())
	}
	// Three processes at one due point: one refresh between them.
	time.Sleep(1500 * time.Millisecond)
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := c.run(nil, "", "token", "work", "--min-valid", "599s")
			if res.code != 0 {
				t.Errorf("concurrent token: %d %s", res.code, res.stderr)
			}
			outs[i] = strings.TrimSpace(res.stdout)
		}()
	}
	wg.Wait()
	if refreshes() != 2 || outs[0] != outs[1] || outs[1] != outs[2] {
		t.Fatalf("three processes at one due point: %d refreshes in all (want 2), tokens equal: %v", refreshes(), outs[0] == outs[1] && outs[1] == outs[2])
	}
	// Longer than the provider's tokens live: one refresh, then exit 7.
	res := c.run(nil, "", "token", "work", "--min-valid", "11m")
	c.expect(res, trcli.ExitProvider, "--min-valid longer than the tokens live")
	if res.stdout != "" || !strings.Contains(res.stderr, "--min-valid") || refreshes() != 3 {
		t.Fatalf("11m asked of 10m tokens: %d refreshes, stdout %q, stderr %q", refreshes(), res.stdout, res.stderr)
	}
	c.expect(c.run(nil, "", "token", "work", "--min-valid", "soon"), trcli.ExitUsage, "bad --min-valid")
}

// execCredentialV1 is client.authentication.k8s.io/v1 ExecCredential as
// the Kubernetes API defines it (k8s.io/client-go/pkg/apis/clientauthentication/v1).
type execCredentialV1 struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Spec       json.RawMessage `json:"spec"`
	Status     *struct {
		ExpirationTimestamp   *string `json:"expirationTimestamp"`
		Token                 *string `json:"token"`
		ClientCertificateData *string `json:"clientCertificateData"`
		ClientKeyData         *string `json:"clientKeyData"`
	} `json:"status"`
}

func TestE2ETokenK8s(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := newOIDC(time.Hour)
	defer srv.Close()
	linkOIDC(t, c, srv, "kube")

	res := c.run(nil, "", "token", "kube", "--format", "k8s")
	c.expect(res, 0, "token --format k8s")
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	var ec execCredentialV1
	if err := dec.Decode(&ec); err != nil {
		t.Fatalf("not an ExecCredential: %v\n%s", err, res.stdout)
	}
	if dec.More() || !strings.HasSuffix(res.stdout, "}\n") {
		t.Fatalf("more than one JSON value: %q", res.stdout)
	}
	if ec.APIVersion != "client.authentication.k8s.io/v1" || ec.Kind != "ExecCredential" {
		t.Errorf("apiVersion %q kind %q", ec.APIVersion, ec.Kind)
	}
	if ec.Spec != nil {
		t.Errorf("a plugin's output has no spec (kubectl gives it in KUBERNETES_EXEC_INFO): %s", ec.Spec)
	}
	st := ec.Status
	if st == nil || st.Token == nil || !srv.ValidAccessToken(*st.Token) {
		t.Fatalf("status.token missing or not valid: %s", res.stdout)
	}
	if st.ClientCertificateData != nil || st.ClientKeyData != nil {
		t.Errorf("a token credential has no certificate fields: %s", res.stdout)
	}
	if st.ExpirationTimestamp == nil {
		t.Fatalf("status.expirationTimestamp missing for an expiring token")
	}
	exp, err := time.Parse(time.RFC3339, *st.ExpirationTimestamp)
	if err != nil || !strings.HasSuffix(*st.ExpirationTimestamp, "Z") {
		t.Fatalf("expirationTimestamp %q is not RFC 3339 UTC: %v", *st.ExpirationTimestamp, err)
	}
	if l := c.list(); len(l) != 1 || l[0].ExpiresAt == nil {
		t.Fatalf("list = %+v", l)
	} else if want, _ := time.Parse(time.RFC3339, *l[0].ExpiresAt); exp.Sub(want).Abs() > time.Second {
		t.Errorf("expirationTimestamp %v, the token expires at %v", exp, want)
	}

	kubectl := needTool(t, "kubectl")
	var kv struct {
		ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
	}
	if out, err := exec.Command(kubectl, "version", "--client", "-o", "json").Output(); err != nil || json.Unmarshal(out, &kv) != nil {
		t.Skipf("kubectl version --client failed: %v", err)
	} else if minor, _ := strconv.Atoi(strings.TrimSuffix(kv.ClientVersion.Minor, "+")); kv.ClientVersion.Major == "1" && minor < 22 {
		t.Skipf("kubectl 1.%d predates ExecCredential v1 (1.22)", minor)
	}
	// The API server: https (kubectl sends an exec plugin's token over TLS
	// only), every request must carry a valid bearer token.
	api := startAPIServer(t, true, bearerCheck(srv))
	kubeconfig := filepath.Join(t.TempDir(), "config")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: local
  context:
    cluster: local
    user: tokenring
current-context: local
users:
- name: tokenring
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: tokenring
      args: ["token", "kube", "--format", "k8s"]
      interactiveMode: Never
`, api.URL, base64.StdEncoding.EncodeToString(api.CA))
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "get", "--raw", "/api/v1/namespaces/default/pods")
	cmd.Env = c.environ(nil)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("kubectl with the exec user: %v\n%s\nserver saw problems: %v", err, out, api.problems())
	}
	if api.ok.Load() < 1 || api.bad.Load() != 0 {
		t.Fatalf("the API server saw %d good and %d bad requests: %v", api.ok.Load(), api.bad.Load(), api.problems())
	}
}

// gitServer is git's smart HTTP (git http-backend behind net/http/cgi) on
// 127.0.0.1, serving root; it demands Basic auth with user and a token
// the provider issued and that is still valid as the password.
type gitServer struct {
	URL      string
	accepted atomic.Int64
	refused  atomic.Int64
	mu       sync.Mutex
	pwds     []string
}

func newGitServer(t *testing.T, root, user string, srv *localoauth.Server) *gitServer {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git http-backend is not installed (%v); Debian's git has it", err)
	}
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gitServer{URL: "http://" + ln.Addr().String()}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || !srv.ValidAccessToken(p) {
			if ok {
				g.refused.Add(1)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		g.accepted.Add(1)
		g.mu.Lock()
		g.pwds = append(g.pwds, p)
		g.mu.Unlock()
		h.ServeHTTP(w, r)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return g
}

func (g *gitServer) lastPassword() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pwds) == 0 {
		return ""
	}
	return g.pwds[len(g.pwds)-1]
}

func TestE2EGitCredential(t *testing.T) {
	t.Parallel()
	needTool(t, "git")
	c := newCLI(t)
	srv := newOIDC(8 * time.Second) // the refresh window is the last 4 s
	defer srv.Close()
	linkOIDC(t, c, srv, "work")

	// A bare repository with one commit, served over HTTP.
	root := t.TempDir()
	gitEnv := append(c.environ(nil), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
	git := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, gitEnv
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustGit := func(dir string, args ...string) string {
		t.Helper()
		out, err := git(dir, args...)
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	src := filepath.Join(root, "src")
	mustGit(root, "init", "-q", "-b", "main", src)
	os.WriteFile(filepath.Join(src, "README"), []byte("hello from the served repository\n"), 0o644)
	mustGit(src, "add", "README")
	mustGit(src, "commit", "-q", "-m", "first")
	mustGit(root, "clone", "-q", "--bare", src, filepath.Join(root, "repo.git"))
	gs := newGitServer(t, root, "oauth2", srv)
	host := strings.TrimPrefix(gs.URL, "http://")

	// README.md's two lines (http only because the server is on loopback).
	mustGit(root, "config", "--global", "credential."+gs.URL+".helper", "")
	mustGit(root, "config", "--global", "--add", "credential."+gs.URL+".helper", "!tokenring git-credential --account work --host "+host)

	out := mustGit(root, "ls-remote", gs.URL+"/repo.git")
	if !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote: %s", out)
	}
	mustGit(root, "clone", "-q", gs.URL+"/repo.git", filepath.Join(root, "clone"))
	if b, err := os.ReadFile(filepath.Join(root, "clone", "README")); err != nil || !strings.Contains(string(b), "hello from") {
		t.Fatalf("clone: %v %q", err, b)
	}
	first := gs.lastPassword()
	before := refreshCount(srv, "/token")

	// After the token expired: the helper refreshes, git asks nobody.
	for deadline := time.Now().Add(20 * time.Second); srv.ValidAccessToken(first); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the token git used is still valid after 20 s")
		}
	}
	out = mustGit(root, "ls-remote", gs.URL+"/repo.git")
	if !strings.Contains(out, "refs/heads/main") {
		t.Fatalf("ls-remote after expiry: %s", out)
	}
	if refreshCount(srv, "/token") != before+1 || gs.lastPassword() == first {
		t.Fatalf("after expiry: %d refreshes (want 1), new password: %v", refreshCount(srv, "/token")-before, gs.lastPassword() != first)
	}

	// The helper by hand, as git calls it.
	helper := func(env []string, stdin string, args ...string) result {
		t.Helper()
		return c.shell(env, "printf '"+stdin+"' | tokenring git-credential --account work --host "+host+" "+strings.Join(args, " "))
	}
	res := helper(nil, `protocol=http\nhost=`+host+`\npath=repo.git\nwwwauth[]=Basic realm="git"\ncapability[]=authtype\n\n`, "get")
	c.expect(res, 0, "get")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "username=oauth2" || !strings.HasPrefix(lines[1], "password=") ||
		!srv.ValidAccessToken(strings.TrimPrefix(lines[1], "password=")) || !strings.HasPrefix(lines[2], "password_expiry_utc=") {
		t.Fatalf("get answered %q", res.stdout)
	}
	if exp, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "password_expiry_utc="), 10, 64); err != nil || exp < time.Now().Unix() || exp > time.Now().Add(9*time.Second).Unix() {
		t.Errorf("password_expiry_utc %q", lines[2])
	}
	// Another host, another protocol, another user, plain http off loopback:
	// no answer, and not even the passphrase is needed to say nothing.
	wrong := []string{"TOKENRING_PASSPHRASE=not the passphrase"}
	for _, in := range []string{
		`protocol=https\nhost=github.com\n\n`,
		`protocol=http\nhost=127.0.0.1:1\n\n`,
		`protocol=ssh\nhost=` + host + `\n\n`,
		`protocol=http\nhost=` + host + `\nusername=alice\n\n`,
		`url=https://evil.example/repo.git\n\n`,
	} {
		res := helper(wrong, in, "get")
		if res.code != 0 || res.stdout != "" || res.stderr != "" {
			t.Errorf("get for %q: code %d, stdout %q, stderr %q: want nothing at all", in, res.code, res.stdout, res.stderr)
		}
	}
	// Another helper's credentials stored and erased, and our own erased:
	// nothing happens to the account (its token still works, no refresh).
	n := refreshCount(srv, "/token")
	tok := strings.TrimPrefix(lines[1], "password=")
	for _, in := range []string{
		`protocol=https\nhost=github.com\nusername=bob\npassword=hunter2\n\n`,
		`protocol=http\nhost=` + host + `\nusername=oauth2\npassword=` + tok + `\n\n`,
	} {
		for _, op := range []string{"store", "erase", "frobnicate"} {
			if res := helper(wrong, in, op); res.code != 0 || res.stdout != "" || res.stderr != "" {
				t.Errorf("%s: code %d, stdout %q, stderr %q", op, res.code, res.stdout, res.stderr)
			}
		}
	}
	if refreshCount(srv, "/token") != n {
		t.Errorf("store/erase refreshed the account")
	}
	if l := c.list(); len(l) != 1 || l[0].NeedsRelink || l[0].Status == "error" {
		t.Errorf("after store/erase, list = %+v", l)
	}
	res = c.run(nil, "", "token", "work")
	if got := strings.TrimSpace(res.stdout); res.code != 0 || !srv.ValidAccessToken(got) {
		t.Errorf("after store/erase the account gives no valid token: %d %q", res.code, res.stderr)
	}
	res = c.shell(nil, "printf 'protocol=https\\nhost=x\\n\\n' | tokenring git-credential get")
	c.expect(res, trcli.ExitUsage, "git-credential without --account")
}
