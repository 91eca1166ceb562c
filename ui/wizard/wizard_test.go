package wizard

import (
	"context"
	"testing"
	"time"

	"github.com/tokenring/tokenring/ui/common"
)

// The wizard's help offers ctrl+o (open the browser) only where a browser
// can open: a local session with a display, not over SSH.
func TestBrowserKeyOnlyWhenLocal(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"DISPLAY": ":0"}, true},
		{map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, false},
		{map[string]string{}, false},
	} {
		c := common.New(context.Background(), time.Second, time.Now, common.NewEnv(func(k string) string { return tc.env[k] }), true)
		w := New(c, Config{})
		w.step = stepAuthorize
		offered := false
		for _, b := range w.ShortHelp() {
			if b.Enabled() && b.Help().Key == "ctrl+o" {
				offered = true
			}
		}
		if offered != tc.want {
			t.Errorf("env %v: ctrl+o offered = %v, want %v", tc.env, offered, tc.want)
		}
	}
}
