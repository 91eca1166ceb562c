package main

// Issue 12 item 9: README's pictures show the program as it is. The PNGs
// are made by screenshots/make.sh from the real program, each beside the
// text of the same capture (.txt); CHECK=1 drives the current binary to
// the same screens the same way and compares them with those captures, so
// a change to the UI that leaves a stale picture fails here.

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestScreenshotsShowTheProgram(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// README shows every picture, and each is there
	shown := regexp.MustCompile(`\]\((screenshots/[a-z]+\.(?:png|gif))\)`).FindAllStringSubmatch(string(readme), -1)
	want := map[string]bool{"screenshots/list.png": false, "screenshots/wizard.png": false, "screenshots/detail.png": false,
		"screenshots/help.png": false, "screenshots/refresh.gif": false}
	for _, m := range shown {
		want[m[1]] = true
	}
	for f, ok := range want {
		if !ok {
			t.Errorf("README.md does not show %s", f)
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, name := range []string{"list", "wizard", "detail", "help"} {
		txt, err := os.ReadFile(filepath.Join("screenshots", name+".txt"))
		if err != nil {
			t.Errorf("%s.png has no capture beside it (make.sh writes both): %v", name, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(txt), "\n"), "\n")
		// sized to its content: no run of blank lines but the footer's
		// (one free line, an empty info line, an empty toast)
		blank := 0
		for _, l := range lines {
			if strings.TrimSpace(l) == "" {
				if blank++; blank > 3 {
					t.Errorf("%s.png is not sized to its content: more than 3 blank lines in a row", name)
					break
				}
			} else {
				blank = 0
			}
		}
		// and the picture is the capture: freeze draws each line 4 × 9 pt × 1.25 high
		b, err := os.ReadFile(filepath.Join("screenshots", name+".png"))
		if err != nil {
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s.png: %v", name, err)
			continue
		}
		if per := float64(img.Bounds().Dy()) / float64(len(lines)); per < 40 || per > 70 {
			t.Errorf("%s.png is %d px high for a capture of %d lines: not the same capture", name, img.Bounds().Dy(), len(lines))
		}
	}
	if t.Failed() {
		return
	}
	for _, tool := range []string{"tmux", "perl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", tool)
		}
	}
	cmd := exec.Command("bash", "screenshots/make.sh")
	cmd.Env = append(os.Environ(), "CHECK=1", "TOKENRING_BIN="+tokenringBin(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the screenshots no longer show the program (run screenshots/make.sh): %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
