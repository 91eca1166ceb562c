package flow

import (
	"regexp"
	"strings"
	"testing"
)

func TestIsNameMatchesTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	cases := []string{"", "a", "A9", "-a", ".a", "_a", "a-b.c_d", "a b", "a/b", "é", "a\n", strings.Repeat("a", 64), strings.Repeat("a", 65), "a\x00"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, s := range cases {
		if got, want := IsName(s), re.MatchString(s); got != want {
			t.Errorf("IsName(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}
