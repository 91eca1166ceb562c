package accounts

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestHeadlessStartSpawnsNothing builds a program that imports accounts and
// runs it with no session bus and a fake dbus-launch first on PATH that
// leaves a marker file. busguard's init must run before keyring's, so the
// marker must not appear; a control program importing keyring alone must
// create it (proving the fake is reached).
func TestHeadlessStartSpawnsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	uid := strconv.Itoa(os.Getuid())
	for _, f := range []string{"/run/user/" + uid + "/bus", "/run/user/" + uid + "/dbus-session"} {
		if _, err := os.Stat(f); err == nil {
			t.Skipf("%s exists: godbus would use that bus and never run dbus-launch here", f)
		}
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(tmp, "dbus-launch-ran")
	script := "#!/bin/sh\necho ran >> '" + marker + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	build := func(pkg, out string) string {
		t.Helper()
		exe := filepath.Join(tmp, out)
		cmd := exec.Command("go", "build", "-o", exe, pkg)
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
		return exe
	}
	probe := build("./accounts/testdata/busprobe", "busprobe")
	control := build("./accounts/testdata/nobusguard", "nobusguard")

	var envv []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(e, "PATH=") || strings.HasPrefix(e, "TOKENRING_") {
			continue
		}
		envv = append(envv, e)
	}
	envv = append(envv, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	run := func(exe string, args ...string) string {
		cmd := exec.Command(exe, args...)
		cmd.Env = envv
		b, _ := cmd.CombinedOutput()
		return string(b)
	}

	out := run(probe, filepath.Join(tmp, "cfg"))
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("tokenring's packages ran dbus-launch:\n%s", out)
	}
	if !strings.Contains(out, `DBUS_SESSION_BUS_ADDRESS=""`) {
		t.Errorf("the guard's address leaked into the environment:\n%s", out)
	}
	if !strings.Contains(out, "backend=file") || !strings.Contains(out, "no D-Bus session bus") {
		t.Errorf("headless start did not choose the file backend with the reason:\n%s", out)
	}
	t.Logf("busprobe:\n%s", out)

	out = run(control)
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("control: keyring without busguard did not run the fake dbus-launch (the test cannot fail):\n%s", out)
	}
}

// With a session bus, keyring's inits connect to it unless TOKENRING_KEYRING
// names a keyring that does not use D-Bus: then busguard keeps them off it
// (no connection at all) and gives the user's address back afterwards.
func TestBusguardSkipsTheBusForOtherKeyrings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	tmp := t.TempDir()
	exe := filepath.Join(tmp, "busprobe")
	cmd := exec.Command("go", "build", "-o", exe, "./accounts/testdata/busprobe")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	sock := filepath.Join(tmp, "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	conns := 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns++
			mu.Unlock()
			c.Close() // no D-Bus here: the client's authentication fails at once
		}
	}()
	addr := "unix:path=" + sock
	run := func(keyringEnv string) (string, int) {
		mu.Lock()
		before := conns
		mu.Unlock()
		var envv []string
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(e, "TOKENRING_") {
				envv = append(envv, e)
			}
		}
		envv = append(envv, "DBUS_SESSION_BUS_ADDRESS="+addr, "TOKENRING_KEYRING="+keyringEnv)
		c := exec.Command(exe, filepath.Join(tmp, "cfg-"+keyringEnv))
		c.Env = envv
		b, _ := c.CombinedOutput()
		mu.Lock()
		defer mu.Unlock()
		return string(b), conns - before
	}
	out, n := run("file")
	if n != 0 {
		t.Errorf("TOKENRING_KEYRING=file: %d connections to the session bus at start-up:\n%s", n, out)
	}
	if !strings.Contains(out, fmt.Sprintf("DBUS_SESSION_BUS_ADDRESS=%q", addr)) {
		t.Errorf("the user's address was not given back:\n%s", out)
	}
	if out, n = run(""); n == 0 {
		t.Errorf("automatic keyring: keyring's inits did not try the bus (the test cannot fail):\n%s", out)
	}
}

func TestBusguardNeeded(t *testing.T) {
	// Exercised through the exported helper of the guard module.
	if !needed("", 999999) || !needed("autolaunch:", 999999) {
		t.Error("no address and no socket: guard needed")
	}
	if needed("unix:path=/run/user/1/bus", 999999) {
		t.Error("an explicit address must be left alone")
	}
}
