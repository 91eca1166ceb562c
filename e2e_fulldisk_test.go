//go:build linux

package main

// The binary with its config directory on a real, full 64 KB tmpfs
// (mount needs root; CI runs as root): nothing single-use is spent when the
// new tokens could not be stored.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	trcli "github.com/tokenring/tokenring/internal/cli"
	"github.com/tokenring/tokenring/internal/localoauth"
)

func onSmallDisk(t *testing.T, c *installation) (fill func(), free func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	c.home = filepath.Join(mnt, "home")
	c.env["TOKENRING_HOME"] = c.home
	filler := filepath.Join(mnt, "filler")
	fill = func() {
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1024)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
		f.Close()
	}
	return fill, func() { os.Remove(filler) }
}

func TestE2EFullDisk(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	fill, free := onSmallDisk(t, c)
	const apiKey = "dr-api-key-disk"
	srv := localoauth.NewDressipi(localoauth.DressipiOptions{ClientID: "dr-client", APIKey: apiKey, AccessTTL: time.Hour})
	defer srv.Close()
	keyEnv := []string{"TOKENRING_API_KEY=" + apiKey}
	res, _ := c.link(srv, keyEnv, nil, "shop", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	c.expect(res, 0, "link on the small disk")
	tokens := func() int { return len(tokenRequests(srv, "/oauth/token")) }

	// refresh: stopped before the refresh token is spent
	fill()
	before := tokens()
	res = c.run(keyEnv, "", "refresh", "shop")
	c.expect(res, trcli.ExitKeyring, "refresh on a full disk")
	if tokens() != before {
		t.Fatalf("refresh on a full disk sent %d token requests: the refresh token is spent", tokens()-before)
	}
	if !strings.Contains(res.stderr, "nothing was sent") {
		t.Errorf("the error does not say that nothing was spent:\n%s", res.stderr)
	}
	// link: stopped before the authorization URL is even shown
	r := c.start(keyEnv, "link", "shop2", "--provider", "dressipi", "--base-url", srv.URL, "--client-id", "dr-client")
	res = r.wait(t)
	c.expect(res, trcli.ExitKeyring, "link on a full disk")
	if strings.Contains(res.stderr, "open this address") || tokens() != before {
		t.Fatalf("link on a full disk went on to the authorization:\n%s", res.stderr)
	}

	free()
	res = c.run(keyEnv, "", "refresh", "shop")
	c.expect(res, 0, "refresh once there is space again")
	res = c.run(keyEnv, "", "token", "shop")
	c.expect(res, 0, "token after the refresh")
	if !srv.ValidAccessToken(strings.TrimSpace(res.stdout)) {
		t.Fatal("the refreshed token was not stored")
	}
}
