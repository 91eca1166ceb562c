// Command bare is the floor of the TUI's measurements (perf/run.sh): a bare
// Bubble Tea v2 program at tokenring's FPS (ui.FPS, -fps), in the alternate
// screen, that draws what an idle list has to draw and nothing more — a
// header saying "N accounts" (the text perf/ptyrec waits for), 20 rows of
// a name and a countdown updated once a second, the first row selected (a
// background colour across it, as the list's), and a footer. Its first
// frame, CPU and bytes per second in the same pty are the floors the
// TUI's are divided by: what any Bubble Tea program showing those rows
// costs on this machine, at this moment.
//
//	bare -n 1000
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

type tick time.Time

type model struct {
	n, rows int
	exp     []time.Time
	now     time.Time
	w, h    int
}

func (m model) Init() tea.Cmd { return m.every() }

func (m model) every() tea.Cmd {
	return tea.Every(time.Second, func(t time.Time) tea.Msg { return tick(t) })
}

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "q" || msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tick:
		m.now = time.Time(msg)
		return m, m.every()
	}
	return m, nil
}

var sel = lipgloss.NewStyle().Background(lipgloss.Color("#3a3a5a"))

func (m model) View() tea.View {
	var b strings.Builder
	fmt.Fprintf(&b, "◆ bare  ·  %d accounts\n\n  NAME        STATUS    TOKEN\n", m.n)
	for i := 0; i < m.rows && i < len(m.exp); i++ {
		left := m.exp[i].Sub(m.now).Truncate(time.Second)
		row := fmt.Sprintf("  acct-%04d   ● valid   expires in %dm %02ds", i, int(left.Minutes()), int(left.Seconds())%60)
		if i == 0 {
			row = sel.Render(fmt.Sprintf("%-*s", max(m.w-1, len(row)), row))
		}
		b.WriteString(row + "\n")
	}
	b.WriteString("\n q quit")
	v := tea.NewView(b.String())
	v.AltScreen = true
	return v
}

func main() {
	n := flag.Int("n", 1000, "the number the header says")
	// ui.FPS; not imported: the floor must not initialize tokenring's packages
	fps := flag.Int("fps", 40, "frames per second (tokenring's ui.FPS)")
	rows := flag.Int("rows", 20, "countdown rows")
	flag.Parse()
	now := time.Now()
	m := model{n: *n, rows: *rows, now: now}
	for i := 0; i < *rows; i++ {
		m.exp = append(m.exp, now.Add(20*time.Minute+time.Duration(i)*7*time.Second))
	}
	if _, err := tea.NewProgram(m, tea.WithFPS(*fps)).Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}
