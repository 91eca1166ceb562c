package ui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tokenring/tokenring/internal/localoauth"
)

// osc8 matches an OSC 8 hyperlink (opening with a URI, or closing with an
// empty one), with either terminator.
var osc8 = regexp.MustCompile("\x1b\\]8;[^;\x07\x1b]*;([^\x07\x1b]*)(?:\x07|\x1b\\\\)")

// linkedSegments returns, for each line of a raw view, the visible text
// that lies inside a hyperlink to href (lines without one are skipped).
func linkedSegments(raw, href string) []string {
	var segs []string
	for _, line := range strings.Split(raw, "\n") {
		var b strings.Builder
		open := false
		last := 0
		for _, m := range osc8.FindAllStringSubmatchIndex(line, -1) {
			if open {
				b.WriteString(ansi.Strip(line[last:m[0]]))
			}
			open = line[m[2]:m[3]] == href
			last = m[1]
		}
		if open { // not closed on its own line: the rest counts
			b.WriteString(ansi.Strip(line[last:]))
		}
		if b.Len() > 0 {
			segs = append(segs, b.String())
		}
	}
	return segs
}

// quitView stops the program and returns the final model's raw view.
func quitView(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*probe).m.View().Content
}

// waitOutput waits (10 s at most) until everything the program has written
// to its terminal so far satisfies cond.
func waitOutput(tm *teatest.TestModel, cond func([]byte) bool) error {
	var b bytes.Buffer
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := io.ReadAll(io.TeeReader(tm.Output(), &b)); err != nil {
			return err
		}
		if cond(b.Bytes()) {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The authorization URL is wrapped over several lines; every line is an
// OSC 8 hyperlink to the whole URL, so a click on any of them opens it and
// terminals that detect links see the right one. The plain text is
// unchanged (the goldens stay as they were).
func TestAuthURLIsOneHyperlinkOnEveryLine(t *testing.T) {
	w := newWizEnv(t)
	_, prov := warhornServer(t)
	w.o.Providers = append(w.o.Providers, prov)
	// A colour terminal: with no colour profile (teatest's default, as when
	// the output is not a terminal) the renderer drops styles and links.
	p := &probe{m: New(w.o)}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI256)))
	t.Cleanup(func() { _ = tm.Quit() })
	authURL := startWarhornLink(t, w, p, tm)
	v := waitText(t, p, "Paste the code, or the whole address you land on")
	// ctrl+y still copies the whole URL, in one piece (OSC 52).
	// The renderer passes the links on to the terminal.
	tm.Send(press("ctrl+y"))
	clip := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(authURL))
	var out string
	if err := waitOutput(tm, func(b []byte) bool {
		out = string(b)
		return strings.Contains(out, clip) && strings.Contains(out, "]8;;"+authURL)
	}); err != nil {
		t.Errorf("the bytes sent to the terminal lack the OSC 52 copy of the whole URL (%v) or an OSC 8 link to it (%d OSC 8 sequences)",
			strings.Contains(out, clip), strings.Count(out, "]8;"))
	}
	raw := quitView(t, tm)

	segs := linkedSegments(raw, authURL)
	if len(segs) < 2 {
		t.Fatalf("want the %d-byte URL wrapped over several hyperlinked lines, got %d: %q", len(authURL), len(segs), segs)
	}
	if got := strings.Join(segs, ""); got != authURL {
		t.Fatalf("the hyperlinked lines do not spell the URL:\n got %q\nwant %q", got, authURL)
	}
	for _, s := range segs {
		if !strings.Contains(v, "    "+s) {
			t.Errorf("segment %q is not a line of the plain view", s)
		}
	}
	if strings.Count(raw, "\x1b]8;;"+authURL) != len(segs) {
		t.Errorf("%d links to the URL for %d lines", strings.Count(raw, "\x1b]8;;"+authURL), len(segs))
	}
}

func TestDeviceVerificationURLIsAHyperlink(t *testing.T) {
	w := newWizEnv(t)
	w.o.Getenv = func(string) string { return "" }
	srv := localoauth.NewOIDC(localoauth.OIDCOptions{ClientID: "tv", Device: true, DeviceInterval: 1,
		AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour})
	t.Cleanup(srv.Close)
	p, tm := start(t, w.o, 80, 24)
	waitText(t, p, "No accounts yet")
	tm.Send(press("n"))
	waitText(t, p, "Which provider")
	tm.Send(press("5"))
	waitText(t, p, "Issuer *")
	tm.Type("tv")
	tm.Send(press("tab"))
	tm.Type(srv.URL)
	tm.Send(press("tab"))
	tm.Type("tv")
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	waitText(t, p, "and enter the code:")
	code := srv.LastUserCode()
	raw := quitView(t, tm)

	// The link opens the page with the code filled in; the text shows the
	// short address to type on another device.
	href := srv.URL + "/device/verify?user_code=" + code
	segs := linkedSegments(raw, href)
	if got := strings.Join(segs, ""); got != srv.URL+"/device/verify" {
		t.Fatalf("hyperlinked text %q (lines %q), want the verification URI linking to %s", got, segs, href)
	}
}
