package main

// The import rules of DESIGN.md, enforced: "ui never talks HTTP, flow never
// renders". The rules are checked on the packages' real dependency graphs
// (go list -deps, without test files), and the checker itself is tested on
// made-up graphs so that it is known to be able to fail.

import (
	"os/exec"
	"strings"
	"testing"
)

// importRule forbids the packages matched by Pkgs from depending,
// directly or transitively, on any package matched by Forbidden.
type importRule struct {
	Why       string
	Pkgs      []string // go list patterns
	Forbidden []string // import path prefixes ("net/http" also forbids net/http/httptest)
}

var charm = []string{
	"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss",
	"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/bubbles", "github.com/charmbracelet/lipgloss",
}

const mod = "github.com/tokenring/tokenring/"

var importRules = []importRule{
	{
		Why:       "ui and theme never talk HTTP (not even transitively): the network is reached through a flow.Exchanger",
		Pkgs:      []string{"./ui/...", "./theme/..."},
		Forbidden: []string{"net/http", "golang.org/x/oauth2", "github.com/tokenring/tokenring/flow/exchange", "github.com/tokenring/tokenring/internal/localoauth"},
	},
	{
		Why:       "flow (the pure OAuth logic) and accounts never talk HTTP nor render",
		Pkgs:      []string{"./flow", "./accounts/..."},
		Forbidden: append([]string{"net/http", "golang.org/x/oauth2"}, charm...),
	},
	{
		Why:       "nothing under flow/ renders",
		Pkgs:      []string{"./flow/..."},
		Forbidden: charm,
	},
	{
		Why:  "flow is the bottom: it never imports what is built on it",
		Pkgs: []string{"./flow/..."},
		Forbidden: []string{mod + "accounts", mod + "internal/config", mod + "internal/link", mod + "internal/cli",
			mod + "internal/demo", mod + "ui", mod + "theme"},
	},
	{
		Why:       "theme is styles only: it imports neither flow nor accounts",
		Pkgs:      []string{"./theme/..."},
		Forbidden: []string{mod + "flow", mod + "accounts", mod + "internal", mod + "ui"},
	},
	{
		Why: "only the link sequence and the command line reach flow/exchange; everything else is given a flow.Exchanger",
		Pkgs: []string{"./flow", "./accounts/...", "./ui/...", "./theme/...", "./internal/config", "./internal/termtext",
			"./internal/demo", "./internal/link"},
		Forbidden: []string{mod + "flow/exchange"},
	},
	{
		Why:       "the link sequence never renders: front ends do",
		Pkgs:      []string{"./internal/link"},
		Forbidden: charm,
	},
	{
		Why:  "config and termtext are leaves: no store, no UI, no network",
		Pkgs: []string{"./internal/config", "./internal/termtext"},
		Forbidden: append([]string{mod + "accounts", mod + "ui", mod + "internal/link", mod + "internal/cli", "net/http"},
			charm...),
	},
	{
		Why: "a screen never reaches into another: each ui screen package sees the rest of the TUI only through ui/common " +
			"(and the root cannot be imported back: Go refuses the cycle)",
		Pkgs:      []string{"./ui/common/...", "./ui/refresh", "./ui/list", "./ui/detail", "./ui/wizard", "./ui/dialog"},
		Forbidden: uiScreens,
	},
	{
		Why:       "the background refresh scheduler is pure state (the root runs the refreshes): no Bubble Tea",
		Pkgs:      []string{"./ui/refresh"},
		Forbidden: charm,
	},
	{
		Why:  "the unlock agent never renders and never talks HTTP itself: the store it is given refreshes through its flow.Exchanger",
		Pkgs: []string{"./internal/agent/..."},
		Forbidden: append([]string{"net/http", "golang.org/x/oauth2", mod + "flow/exchange", mod + "ui", mod + "internal/cli"},
			charm...),
	},
	{
		Why:       "the TUI sees the unlock agent only through its Backend (ui.AgentState): it never dials it",
		Pkgs:      []string{"./ui/..."},
		Forbidden: []string{mod + "internal/agent"},
	},
	{
		Why:       "the binary carries no test helpers (httptest's init, a test certificate, would run at every command's start-up)",
		Pkgs:      []string{"."},
		Forbidden: []string{"testing", "net/http/httptest", "github.com/charmbracelet/x/exp/teatest", mod + "ui/common/commontest"},
	},
}

// uiScreens are the TUI's screen packages (one package a screen; dialog holds the small ones).
var uiScreens = []string{mod + "ui/list", mod + "ui/detail", mod + "ui/wizard", mod + "ui/dialog"}

// violations returns "pkg -> dep" for each forbidden dependency in deps
// (go list -deps lists pkg itself: that is not a dependency).
func violations(pkg string, deps []string, forbidden []string) []string {
	var out []string
	for _, d := range deps {
		if d == pkg {
			continue
		}
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				out = append(out, pkg+" -> "+d)
			}
		}
	}
	return out
}

// goListDeps runs `go list -deps` once per package matched by pattern.
func goListDeps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	pkgs, err := exec.Command("go", "list", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, exitErr(err))
	}
	out := map[string][]string{}
	for _, p := range strings.Fields(string(pkgs)) {
		b, err := exec.Command("go", "list", "-deps", p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, exitErr(err))
		}
		out[p] = strings.Fields(string(b))
	}
	return out
}

func exitErr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return err.Error() + ": " + string(ee.Stderr)
	}
	return err.Error()
}

func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, r := range importRules {
		for _, pat := range r.Pkgs {
			graph := goListDeps(t, pat)
			if len(graph) == 0 {
				t.Errorf("pattern %s matched no package: the rule %q checks nothing", pat, r.Why)
			}
			for pkg, deps := range graph {
				for _, v := range violations(pkg, deps, r.Forbidden) {
					t.Errorf("import rule broken: %s\n  rule: %s", v, r.Why)
				}
			}
		}
	}
}

// The rules must see the packages they are about: ui must really depend on
// Bubble Tea (else the ui pattern matched the wrong thing), and the CLI on
// flow/exchange (else net/http could hide behind a missing edge).
func TestImportRulesSeeRealGraphs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	ui := goListDeps(t, "./ui")
	for pkg, deps := range ui {
		if len(violations(pkg, deps, []string{"charm.land/bubbletea"})) == 0 {
			t.Errorf("%s does not seem to depend on Bubble Tea; is the dependency list right?", pkg)
		}
	}
	// A real package that breaks rule 0 and 1 (flow/exchange talks HTTP by
	// design) is caught on its real graph.
	for pkg, deps := range goListDeps(t, "./flow/exchange") {
		if len(violations(pkg, deps, importRules[1].Forbidden)) == 0 {
			t.Errorf("the checker does not see net/http in %s", pkg)
		}
	}
	root := goListDeps(t, ".")
	for pkg, deps := range root {
		if len(violations(pkg, deps, []string{"net/http"})) == 0 {
			t.Errorf("%s (the CLI) does not reach net/http through flow/exchange; is the dependency list right?", pkg)
		}
	}
}

// The checker fails on made-up graphs that break each rule.
func TestViolationsCatchesBrokenRules(t *testing.T) {
	cases := []struct {
		rule int
		deps []string
		want string
	}{
		{0, []string{"fmt", "net/http", "context"}, "net/http"},
		{0, []string{"fmt", "net/http/httptest"}, "net/http/httptest"},
		{0, []string{"github.com/tokenring/tokenring/flow/exchange"}, "flow/exchange"},
		{0, []string{"golang.org/x/oauth2/internal"}, "golang.org/x/oauth2/internal"},
		{1, []string{"charm.land/lipgloss/v2"}, "charm.land/lipgloss/v2"},
		{1, []string{"charm.land/bubbletea/v2"}, "charm.land/bubbletea/v2"},
		{1, []string{"github.com/charmbracelet/lipgloss"}, "github.com/charmbracelet/lipgloss"},
		{1, []string{"net/http"}, "net/http"},
		{2, []string{"charm.land/bubbles/v2/textinput"}, "charm.land/bubbles/v2/textinput"},
		{3, []string{mod + "accounts"}, "accounts"},
		{3, []string{mod + "internal/link"}, "internal/link"},
		{4, []string{mod + "flow"}, "flow"},
		{4, []string{mod + "internal/termtext"}, "internal/termtext"},
		{5, []string{mod + "flow/exchange"}, "flow/exchange"},
		{6, []string{"charm.land/bubbletea/v2"}, "charm.land/bubbletea/v2"},
		{7, []string{mod + "accounts"}, "accounts"},
		{7, []string{"net/http"}, "net/http"},
		{8, []string{mod + "ui/common", mod + "ui/wizard"}, "ui/wizard"},
		{9, []string{"charm.land/bubbletea/v2"}, "charm.land/bubbletea/v2"},
		{10, []string{"charm.land/lipgloss/v2"}, "charm.land/lipgloss/v2"},
		{10, []string{mod + "flow/exchange"}, "flow/exchange"},
		{11, []string{mod + "internal/agent"}, "internal/agent"},
		{12, []string{"testing"}, "testing"},
		{12, []string{"net/http/httptest"}, "net/http/httptest"},
		{12, []string{mod + "ui/common/commontest"}, "ui/common/commontest"},
	}
	for _, tc := range cases {
		v := violations("x", tc.deps, importRules[tc.rule].Forbidden)
		if len(v) != 1 || !strings.HasSuffix(v[0], tc.want) {
			t.Errorf("rule %d on %v: violations %v, want one ending in %q", tc.rule, tc.deps, v, tc.want)
		}
	}
	// and allows what is allowed (flow, to all but theme's rule)
	ok := []string{"fmt", "net/url", "net/netip", "net", "github.com/charmbracelet/x/ansi", "net/httpx", mod + "flowx"}
	for i, r := range importRules {
		allowed := ok
		if i != 4 {
			allowed = append(allowed, mod+"flow")
		}
		if v := violations("x", allowed, r.Forbidden); len(v) > 0 {
			t.Errorf("rule %d refuses allowed packages: %v", i, v)
		}
	}
}
