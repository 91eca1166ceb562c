package theme

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// In a 256-colour terminal (tmux without RGB, many SSH sessions) the
// selection bar must stay a quiet grey-violet: #2A2540 became navy (17).
func TestSelectionBackgroundIn256Colours(t *testing.T) {
	for _, dark := range []bool{true, false} {
		bg := New(dark, false).P.SelBG
		idx := ansi.Convert256(bg)
		r, g, b, _ := ansi.IndexedColor(idx).RGBA()
		hi, lo := max(r, g, b)>>8, min(r, g, b)>>8
		if hi-lo > 0x30 {
			t.Errorf("dark=%v: the selection background becomes colour %d (#%02x%02x%02x) in 256 colours, too saturated for a bar behind text",
				dark, idx, r>>8, g>>8, b>>8)
		}
		// and it stays on its side: dark behind light text, light behind dark.
		if lum := (r + g + b) / 3 >> 8; dark != (lum < 0x80) {
			t.Errorf("dark=%v: the selection background becomes colour %d, luminance %#x", dark, idx, lum)
		}
	}
}
