package common

import (
	"strings"
	"testing"
	"time"
)

func TestCountdownFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 59 * time.Second: "59s", 4*time.Minute + 12*time.Second: "4m 12s",
		time.Hour + 5*time.Minute: "1h 05m", 50 * time.Hour: "2d 2h",
	} {
		if got := Countdown(d); got != want {
			t.Errorf("countdown(%v) = %q, want %q", d, got, want)
		}
	}
	if got := WrapText("copy the access token of dressipi-shop now", 30); got != "copy the access token of\ndressipi-shop now" {
		t.Errorf("wrapText = %q", got)
	}
}

func TestLocalSessionDetection(t *testing.T) {
	e := func(kv ...string) Env {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return NewEnv(func(k string) string { return m[k] })
	}
	if !e("DISPLAY", ":0").Local() || !e("WAYLAND_DISPLAY", "wayland-0").Local() {
		t.Fatal("a desktop session is local")
	}
	if e("DISPLAY", ":0", "SSH_CONNECTION", "1 2 3 4").Local() || e("DISPLAY", "localhost:10", "SSH_TTY", "/dev/pts/1").Local() {
		t.Fatal("an SSH session is not local")
	}
}

func TestMaskNeverPanicsNorRevealsShortSecrets(t *testing.T) {
	for _, s := range []string{"", "a", "ab", "abcdef", "abcdefghijkl", "abcdefghijklm", "ünïcødé-tøkên"} {
		got := Mask(s)
		if len([]rune(s)) > 3 && strings.Contains(got, s) {
			t.Fatalf("Mask(%q) = %q shows it", s, got)
		}
	}
	if got := Mask("abcdefghijklmnop"); !strings.HasPrefix(got, "abcdef•") || !strings.Contains(got, "(16 chars)") {
		t.Fatalf("mask = %q", got)
	}
}
