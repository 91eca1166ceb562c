// Command mutation measures how many deliberate breakages of tokenring's
// guarantees the tests catch: a small runner over hand-written mutations
// (mutations.txt beside this file), each a guarantee, the exact lines that
// give it and what they become when it is broken.
//
//	go run ./internal/mutation             # every mutation, 2 at a time
//	go run ./internal/mutation -run paste  # those whose file or title match
//	go run ./internal/mutation -deep       # survivors again against ./...
//
// A mutation is applied with `go test -overlay`, so the working tree is
// never touched and an interrupted run leaves nothing behind. A mutant is
// killed when its package's tests fail; one that does not build is a
// broken entry in the list (reported, not counted). It is not part of
// .ci/run: a full run takes minutes of CPU per package.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

type mutation struct {
	file, title string
	from, to    string
	line        int // in mutations.txt
}

type outcome int

const (
	killed outcome = iota
	survived
	broken // does not apply or does not build
)

func main() {
	list := flag.String("list", filepath.Join("internal", "mutation", "mutations.txt"), "the mutations")
	run := flag.String("run", "", "only mutations whose file or title match this regexp")
	jobs := flag.Int("j", 2, "mutants tested at once")
	deep := flag.Bool("deep", false, "test survivors again against the whole suite (./...)")
	timeout := flag.Duration("timeout", 10*time.Minute, "per go test run")
	flag.Parse()

	ms, err := parse(*list)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(2)
	}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutation: -run:", err)
			os.Exit(2)
		}
		keep := ms[:0]
		for _, m := range ms {
			if re.MatchString(m.file) || re.MatchString(m.title) {
				keep = append(keep, m)
			}
		}
		ms = keep
	}
	tmp, err := os.MkdirTemp("", "tokenring-mutation-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(tmp)

	results := make([]outcome, len(ms))
	notes := make([]string, len(ms))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(*jobs, 1))
	start := time.Now()
	for i, m := range ms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], notes[i] = try(m, i, tmp, "./"+filepath.Dir(m.file), *timeout)
			if results[i] == survived && *deep {
				results[i], notes[i] = try(m, i, tmp, "./...", *timeout)
			}
			fmt.Fprintf(os.Stderr, "%-8s %s: %s\n", [...]string{"killed", "SURVIVED", "BROKEN"}[results[i]], m.file, m.title)
		}()
	}
	wg.Wait()
	report(ms, results, notes, time.Since(start))
}

// parse reads the list: a block per mutation,
//
//	== path/to/file.go | what the tests must guarantee
//	- original line(s), exactly as in the file (tabs included)
//	+ what they become
//
// "#" lines are comments. The "- " lines must match exactly once.
func parse(path string) ([]mutation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mutation
	var cur *mutation
	var from, to []string
	flush := func() error {
		if cur == nil {
			return nil
		}
		if len(from) == 0 {
			return fmt.Errorf("%s:%d: mutation %q has no '-' lines", path, cur.line, cur.title)
		}
		cur.from, cur.to = strings.Join(from, "\n"), strings.Join(to, "\n")
		out = append(out, *cur)
		cur, from, to = nil, nil, nil
		return nil
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "== "):
			if err := flush(); err != nil {
				return nil, err
			}
			file, title, _ := strings.Cut(strings.TrimPrefix(l, "== "), " | ")
			cur = &mutation{file: strings.TrimSpace(file), title: strings.TrimSpace(title), line: n}
		case cur != nil && strings.HasPrefix(l, "- "):
			from = append(from, l[2:])
		case cur != nil && l == "-":
			from = append(from, "")
		case cur != nil && strings.HasPrefix(l, "+ "):
			to = append(to, l[2:])
		case cur != nil && l == "+":
			to = append(to, "")
		default:
			return nil, fmt.Errorf("%s:%d: cannot read %q", path, n, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, flush()
}

// try builds the mutant in an overlay and runs the tests of pkgs on it.
func try(m mutation, i int, tmp, pkgs string, timeout time.Duration) (outcome, string) {
	src, err := os.ReadFile(m.file)
	if err != nil {
		return broken, err.Error()
	}
	if c := strings.Count(string(src), m.from); c != 1 {
		return broken, fmt.Sprintf("the '-' lines match %d times in %s (want exactly once)", c, m.file)
	}
	mutated := filepath.Join(tmp, fmt.Sprintf("m%03d.go", i))
	if err := os.WriteFile(mutated, []byte(strings.Replace(string(src), m.from, m.to, 1)), 0o600); err != nil {
		return broken, err.Error()
	}
	abs, _ := filepath.Abs(m.file)
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: mutated}})
	ovPath := filepath.Join(tmp, fmt.Sprintf("m%03d.json", i))
	if err := os.WriteFile(ovPath, ov, 0o600); err != nil {
		return broken, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-overlay", ovPath, pkgs)
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return survived, ""
	case strings.Contains(string(out), "[build failed]") || strings.Contains(string(out), "[setup failed]"):
		return broken, "does not build: " + firstLines(string(out), 3)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return killed, "timed out (a hang counts as caught, but give it a deadline)"
	}
	return killed, firstFail(string(out))
}

func firstLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[:min(n, len(ls))], " / ")
}

func firstFail(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func report(ms []mutation, res []outcome, notes []string, took time.Duration) {
	type tally struct{ killed, survived, broken int }
	byPkg := map[string]*tally{}
	var all tally
	for i, m := range ms {
		pkg := filepath.Dir(m.file)
		if byPkg[pkg] == nil {
			byPkg[pkg] = &tally{}
		}
		t := byPkg[pkg]
		switch res[i] {
		case killed:
			t.killed++
			all.killed++
		case survived:
			t.survived++
			all.survived++
		case broken:
			t.broken++
			all.broken++
		}
	}
	pkgs := make([]string, 0, len(byPkg))
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	fmt.Printf("\n%-22s %7s %8s %6s %6s\n", "package", "killed", "survived", "broken", "rate")
	for _, p := range pkgs {
		t := byPkg[p]
		fmt.Printf("%-22s %7d %8d %6d %5.0f%%\n", p, t.killed, t.survived, t.broken, rate(t.killed, t.survived))
	}
	fmt.Printf("%-22s %7d %8d %6d %5.0f%%   (%s)\n", "all", all.killed, all.survived, all.broken, rate(all.killed, all.survived), took.Round(time.Second))
	for i, m := range ms {
		if res[i] != killed {
			fmt.Printf("\n%s %s (mutations.txt:%d) %s\n  %s\n", [...]string{"", "SURVIVED", "BROKEN"}[res[i]], m.file, m.line, m.title, notes[i])
		}
	}
	if all.broken > 0 || all.survived > 0 {
		os.Exit(1)
	}
}

func rate(k, s int) float64 {
	if k+s == 0 {
		return 0
	}
	return 100 * float64(k) / float64(k+s)
}
