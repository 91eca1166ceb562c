package cli

import "testing"

func TestEnvName(t *testing.T) {
	for s, want := range map[string]bool{
		"GH_TOKEN": true, "_x": true, "a1": true, "A": true,
		"": false, "1BAD": false, "A-B": false, "A B": false, "É": false, "A=B": false,
	} {
		if got := envName(s); got != want {
			t.Errorf("envName(%q) = %v, want %v", s, got, want)
		}
	}
}
