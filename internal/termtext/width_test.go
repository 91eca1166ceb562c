package termtext

import (
	"strings"
	"testing"
	"time"
)

func TestTruncateByCells(t *testing.T) {
	cases := []struct {
		in    string
		cells int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"abcdefghij", 5, "abcd…"},
		{"認証認証認証", 5, "認証…"}, // wide: 2 cells each
		{"héllo wörld", 6, "héllo…"},
		{"👩‍💻👩‍💻👩‍💻", 5, "👩‍💻👩‍💻…"},
		{"anything", 0, ""},
		{"anything", 1, "…"},
	}
	for _, c := range cases {
		got := Truncate(c.in, c.cells)
		if got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.cells, got, c.want)
		}
		if Width(got) > max(c.cells, 0) {
			t.Errorf("Truncate(%q, %d) = %q is %d cells wide", c.in, c.cells, got, Width(got))
		}
	}
	// A byte cut would split the 2-byte "é" at 70 bytes; by cells it never does.
	long := strings.Repeat("é", 100)
	if got := Truncate(long, 70); Width(got) != 70 || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("Truncate of 100 × é to 70 cells: %q (%d cells)", got, Width(got))
	}
}

func TestStripControls(t *testing.T) {
	if got := StripControls("abc\x1b[31mdef\u009b\x07"); got != "abc[31mdef" {
		t.Errorf("StripControls = %q", got)
	}
	long := strings.Repeat("x", 2000)
	if StripControls(long) != long {
		t.Error("StripControls shortened a long value")
	}
}

func TestDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{59 * time.Second, "59s"},
		{1999 * time.Millisecond, "1s"},
		{-42 * time.Second, "42s"},
		{4*time.Minute + 12*time.Second, "4m 12s"},
		{time.Hour + 5*time.Minute, "1h 05m"},
		{3*24*time.Hour + 4*time.Hour, "3d 4h"},
	}
	for _, c := range cases {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}
