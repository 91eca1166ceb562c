package common

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Ago says how long ago t was, in one coarse unit under a day ("45s ago",
// "20m ago", "2h ago"), else its date ("Nov 16", "2025-11-16"): a past time
// in a table cell, never a bare clock time without its day.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t.Truncate(time.Second))
	switch {
	case d < time.Second:
		return "now"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	}
	return Day(t, now)
}

// Day is t's day: "today", "yesterday", "tomorrow", "Nov 16" this year,
// else "2025-11-16".
func Day(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(now.Location())
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, now.Location()); {
	case day.Equal(today):
		return "today"
	case day.Equal(today.AddDate(0, 0, -1)):
		return "yesterday"
	case day.Equal(today.AddDate(0, 0, 1)):
		return "tomorrow"
	case t.Year() == y:
		return t.Format("Jan 02")
	}
	return t.Format("2006-01-02")
}

// At is a point in time with its day: "today 15:20", "Nov 30 15:20",
// "2027-01-02" (other years need no clock time).
func At(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := Day(t, now)
	if len(d) == len("2006-01-02") && strings.Count(d, "-") == 2 {
		return d
	}
	return d + " " + t.In(now.Location()).Format("15:04")
}

// ProviderName names a provider for people. A provider from config.toml
// built on a preset ([providers.shop] with preset = "dressipi") carries
// the preset's display name; shown as "Dressipi" it would look like the
// built-in one beside it, so it is named by its table: "shop (Dressipi)".
func ProviderName(p flow.Provider) string {
	label := p.Label()
	if p.ID == "" {
		return label
	}
	for _, b := range presetNames() {
		if b.id != p.ID && b.name == p.DisplayName {
			return termtext.Clean(p.ID) + " (" + label + ")"
		}
	}
	return label
}

type presetName struct{ id, name string }

// presetNames are the presets' ids and display names, made the first time
// a name is needed (not at start-up; flow.Presets builds every preset).
var presetNames = sync.OnceValue(func() []presetName {
	var out []presetName
	for _, b := range flow.Presets() {
		out = append(out, presetName{b.ID, b.DisplayName})
	}
	return out
})

// ShortError is the gist of an account's error for its row: what the status
// already says ("the account must be linked again") and the account's name
// are taken off, and the first clause is kept ("the provider answered
// invalid_grant", "the provider did not answer in time"). The detail view
// shows the whole text (Unrepeated).
func ShortError(name, s string) string {
	s = Unrepeated(name, s)
	for _, sep := range []string{" (", ": ", "; "} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return strings.TrimRight(s, ".")
}

// Unrepeated is an account's error without the words its status and name
// already say: "the account must be linked again: old-laptop: refresh
// failed: the provider answered …" becomes "the provider answered …".
func Unrepeated(name, s string) string {
	s = termtext.Clean(s)
	name = termtext.Clean(name)
	for {
		t := s
		for _, p := range []string{"the account must be linked again: ", "the account must be linked again",
			name + ": ", "refresh failed: "} {
			t = strings.TrimPrefix(t, p)
		}
		if t == s {
			return s
		}
		s = t
	}
}
