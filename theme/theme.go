// Package theme holds tokenring's palette and lipgloss styles. It adapts to
// the terminal's background (light or dark, learnt from Bubble Tea's
// BackgroundColorMsg) and to its colours: 24-bit and 256-colour terminals
// get the full palette (Bubble Tea's renderer rounds it to 256), a
// 16-colour terminal (TERM=xterm without COLORTERM, the Linux console) a
// palette of its own, and NO_COLOR (https://no-color.org) none at all:
// emphasis then uses bold, faint and reverse only.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is the set of colours, already resolved for one background.
type Palette struct {
	Accent  color.Color // brand colour: title, selection bar, keys
	Text    color.Color
	Muted   color.Color // secondary text
	Subtle  color.Color // rules, separators
	OK      color.Color // valid
	Warn    color.Color // expiring soon, amber countdown
	Danger  color.Color // expired, errors, red countdown
	Info    color.Color // refreshing, neutral notices
	Neutral color.Color // does not expire
	SelBG   color.Color // background of the selected row
}

// Theme is every style the UI uses.
type Theme struct {
	Dark    bool
	NoColor bool
	// Basic: the 16-colour palette (Options.Basic).
	Basic bool
	// ReverseSelection: the selected row is shown in reverse video (no
	// colour, or 16 colours, where no background keeps every foreground
	// readable) instead of on P.SelBG.
	ReverseSelection bool
	P                Palette

	Title     lipgloss.Style // app name in the header
	Header    lipgloss.Style // table column headings
	Section   lipgloss.Style // section headings (detail view, help)
	Muted     lipgloss.Style
	Subtle    lipgloss.Style
	Text      lipgloss.Style
	Bold      lipgloss.Style
	Selected  lipgloss.Style // the selected row (whole line)
	Cursor    lipgloss.Style // the ▸ marker
	Key       lipgloss.Style // a key name in prose ("press l")
	OK        lipgloss.Style
	Warn      lipgloss.Style
	Danger    lipgloss.Style
	Info      lipgloss.Style
	Neutral   lipgloss.Style
	Toast     lipgloss.Style // confirmation line
	ToastErr  lipgloss.Style // error line
	Box       lipgloss.Style // modal dialogs (unlock, confirm)
	Panel     lipgloss.Style // wizard and detail frames
	Label     lipgloss.Style // form labels and detail keys
	Value     lipgloss.Style
	URL       lipgloss.Style
	Code      lipgloss.Style // user codes, token previews
	HelpKey   lipgloss.Style
	HelpDesc  lipgloss.Style
	HelpSep   lipgloss.Style
	Step      lipgloss.Style // wizard step indicator, inactive
	StepOn    lipgloss.Style // wizard step indicator, active
	FilterTag lipgloss.Style
}

// Options choose a theme.
type Options struct {
	Dark    bool // a dark background
	NoColor bool // NO_COLOR: no colour at all
	// Basic: the terminal has 16 colours (colorprofile.ANSI). The full
	// palette rounded to 16 turns secondary text dark blue and amber red
	// (the same red as "needs re-link"); this one uses the terminal's own
	// named colours: bright black for secondary text, yellow for amber,
	// cyan instead of blue.
	Basic bool
}

// New builds the theme for a dark or light background; noColor drops all
// colours (NO_COLOR).
func New(dark, noColor bool) *Theme { return Build(Options{Dark: dark, NoColor: noColor}) }

// basic16 is the 16-colour palette: the terminal's named colours, which
// each user's colour scheme makes readable on its own background. Grey is
// bright black (8); "default" (nil) is the terminal's own foreground.
func basic16(dark bool) Palette {
	c := lipgloss.Color
	p := Palette{
		Accent:  c("5"), // magenta
		Text:    nil,
		Muted:   c("8"), // bright black: grey
		Subtle:  c("8"),
		OK:      c("2"),
		Warn:    c("3"), // yellow: amber
		Danger:  c("1"),
		Info:    c("6"), // cyan: blue (4) is unreadable on black
		Neutral: c("6"),
		SelBG:   nil, // reverse video
	}
	if dark {
		p.Accent, p.Danger, p.OK, p.Warn = c("13"), c("9"), c("10"), c("11")
	}
	return p
}

// Build builds the theme o asks for.
func Build(o Options) *Theme {
	dark, noColor := o.Dark, o.NoColor
	ld := lipgloss.LightDark(dark)
	p := Palette{
		Accent:  ld(lipgloss.Color("#5A3FD6"), lipgloss.Color("#A48BFF")),
		Text:    ld(lipgloss.Color("#1F1F24"), lipgloss.Color("#E6E6EA")),
		Muted:   ld(lipgloss.Color("#6B6B76"), lipgloss.Color("#9A9AA6")),
		Subtle:  ld(lipgloss.Color("#C8C8D0"), lipgloss.Color("#44444C")),
		OK:      ld(lipgloss.Color("#1A7F37"), lipgloss.Color("#4CD07D")),
		Warn:    ld(lipgloss.Color("#9A6700"), lipgloss.Color("#F2B33D")),
		Danger:  ld(lipgloss.Color("#CF222E"), lipgloss.Color("#FF6B6B")),
		Info:    ld(lipgloss.Color("#0969DA"), lipgloss.Color("#58A6FF")),
		Neutral: ld(lipgloss.Color("#57606A"), lipgloss.Color("#8FA3B8")),
		SelBG:   ld(lipgloss.Color("#E8E6F2"), lipgloss.Color("#33304A")), // 256 colours: 189, 237 (not navy)
	}
	if o.Basic && !noColor {
		p = basic16(dark)
	}
	t := &Theme{Dark: dark, NoColor: noColor, Basic: o.Basic && !noColor, P: p}
	t.ReverseSelection = noColor || t.Basic
	s := lipgloss.NewStyle
	fg := func(c color.Color) lipgloss.Style {
		if noColor || c == nil {
			return s()
		}
		return s().Foreground(c)
	}
	t.Text = fg(p.Text)
	t.Title = fg(p.Accent).Bold(true)
	t.Header = fg(p.Muted).Bold(true)
	t.Section = fg(p.Accent).Bold(true)
	t.Muted = fg(p.Muted)
	t.Subtle = fg(p.Subtle)
	t.Bold = s().Bold(true)
	t.Cursor = fg(p.Accent).Bold(true)
	t.Key = fg(p.Accent).Bold(true)
	t.OK = fg(p.OK)
	t.Warn = fg(p.Warn).Bold(true)
	t.Danger = fg(p.Danger).Bold(true)
	t.Info = fg(p.Info)
	t.Neutral = fg(p.Neutral)
	t.Toast = fg(p.OK)
	t.ToastErr = fg(p.Danger)
	t.Label = fg(p.Muted)
	t.Value = fg(p.Text)
	t.URL = fg(p.Info).Underline(true)
	t.Code = fg(p.Accent).Bold(true)
	t.HelpKey = fg(p.Muted).Bold(true)
	t.HelpDesc = fg(p.Muted)
	t.HelpSep = fg(p.Subtle)
	t.Step = fg(p.Muted)
	t.StepOn = fg(p.Accent).Bold(true).Underline(true)
	t.FilterTag = fg(p.Accent)
	if noColor {
		t.Selected = s().Reverse(true)
		t.Muted = s().Faint(true)
		t.Label = s().Faint(true)
		t.Header = s().Bold(true)
		t.Section = s().Bold(true)
		t.Subtle = s().Faint(true)
		t.Danger = s().Bold(true)
		t.Warn = s().Bold(true)
		t.URL = s().Underline(true)
		t.Box = s().Border(lipgloss.NormalBorder()).Padding(1, 2)
		t.Panel = s().Border(lipgloss.NormalBorder()).Padding(0, 1)
	} else if t.ReverseSelection {
		t.Selected = s().Reverse(true)
		t.Box = s().Border(lipgloss.RoundedBorder()).BorderForeground(p.Accent).Padding(1, 2)
		t.Panel = s().Border(lipgloss.RoundedBorder()).BorderForeground(p.Subtle).Padding(0, 1)
	} else {
		t.Selected = s().Background(p.SelBG)
		t.Box = s().Border(lipgloss.RoundedBorder()).BorderForeground(p.Accent).Padding(1, 2)
		t.Panel = s().Border(lipgloss.RoundedBorder()).BorderForeground(p.Subtle).Padding(0, 1)
	}
	return t
}
