// Command tool holds the small helpers of perf/run.sh:
//
//	tool hello                 print a line and exit (the floor of a Go process)
//	tool pbkdf2 [-runs N]      time one PBKDF2 as the file keyring does it
//	                           (jose2go, HMAC-SHA256, 8,192 rounds, 128-bit key)
//	tool hyperfine [-pair OLD,NEW] FILE.json...
//	                           the median, min and max of each command of
//	                           hyperfine --export-json files (pooled); with
//	                           -pair, the ratio NEW+x / OLD+x of the medians
//	                           and its range over the files (rounds)
//	tool interleave [-runs N] [-warmup N] [-pair OLD,NEW] [-floor LABEL] [-ratios FILE] 'LABEL|K=V ... CMD ARG...'...
//	                           run the commands in turn (A B C C B A ...), each
//	                           with its own environment added, and print the
//	                           median and min-max of the wall time and of the
//	                           CPU time (user+sys) of each; with -pair, the
//	                           median of the per-turn ratios NEW+x / OLD+x;
//	                           with -floor, each command's ratio to LABEL turn
//	                           by turn (median, min-max, middle half), also
//	                           appended to FILE for perf/run.sh's table
//	tool benchmedian < OUT     the median (and min-max of ns/op) of each metric of `go test -bench` output
//	                           with -count N
package main

import (
	"bufio"
	stdpbkdf2 "crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dvsekhvalnov/jose2go/kdf"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool hello | pbkdf2 [-runs N] | hyperfine [-pair OLD,NEW] FILE.json... | interleave [-runs N] [-warmup N] [-pair OLD,NEW] 'LABEL|K=V CMD ARG'... | benchmedian < go-test-output")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "hello":
		_, err = os.Stdout.WriteString("hello\n")
	case "pbkdf2":
		err = pbkdf2(os.Args[2:])
	case "hyperfine":
		err = hyperfine(os.Args[2:])
	case "benchmedian":
		err = benchMedian()
	case "interleave":
		err = interleave(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

func median(v []float64) float64 {
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// pbkdf2 derives a key the way keyring's file backend does for every item
// it reads or writes (jose2go's PBES2-HS256+A128KW with p2c 8192).
func pbkdf2(args []string) error {
	fs := flag.NewFlagSet("pbkdf2", flag.ContinueOnError)
	runs := fs.Int("runs", 200, "derivations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	salt := make([]byte, 12+len("PBES2-HS256+A128KW")+1)
	rand.Read(salt)
	times := make([]float64, *runs)
	for i := range times {
		t := time.Now()
		kdf.DerivePBKDF2([]byte("a passphrase"), salt, 8192, 128, sha256.New)
		times[i] = float64(time.Since(t)) / 1e6
	}
	fmt.Printf("one PBKDF2 (HMAC-SHA256, 8,192 rounds) with jose2go, as keyring writes an item: median %.2f ms of %d\n", median(times), *runs)
	for i := range times {
		t := time.Now()
		if _, err := stdpbkdf2.Key(sha256.New, "a passphrase", salt, 8192, 16); err != nil {
			return err
		}
		times[i] = float64(time.Since(t)) / 1e6
	}
	fmt.Printf("the same with crypto/pbkdf2, as tokenring reads an item:           median %.2f ms of %d\n", median(times), *runs)
	return nil
}

func hyperfine(args []string) error {
	fs := flag.NewFlagSet("hyperfine", flag.ContinueOnError)
	pair := fs.String("pair", "", "OLD,NEW: also print, for each command named OLD+x, the ratio of NEW+x to it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: tool hyperfine [-pair OLD,NEW] FILE.json...")
	}
	pooled := map[string][]float64{} // all times of a command, over the files
	rounds := map[string][]float64{} // its median in each file, in order
	var order []string
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var doc struct {
			Results []struct {
				Command string    `json:"command"`
				Median  float64   `json:"median"`
				Times   []float64 `json:"times"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range doc.Results {
			if _, ok := pooled[r.Command]; !ok {
				order = append(order, r.Command)
			}
			pooled[r.Command] = append(pooled[r.Command], r.Times...)
			rounds[r.Command] = append(rounds[r.Command], r.Median)
		}
	}
	for _, c := range order {
		t := pooled[c]
		m := median(t) // sorts t
		fmt.Printf("  %-40s median %6.2f ms   min %6.2f ms   max %6.2f ms   (%d runs)\n", c, m*1e3, t[0]*1e3, t[len(t)-1]*1e3, len(t))
	}
	old, cur, ok := strings.Cut(*pair, ",")
	if !ok {
		return nil
	}
	for _, c := range order {
		rest, isOld := strings.CutPrefix(c, old)
		n := cur + rest
		if !isOld || pooled[n] == nil {
			continue
		}
		var r []float64
		for i := range min(len(rounds[c]), len(rounds[n])) {
			r = append(r, rounds[n][i]/rounds[c][i])
		}
		m := median(r) // sorts r
		fmt.Printf("  %-40s %s / %s: %.2fx of the pooled medians; per round median %.2fx, %.2f-%.2fx (%d rounds)\n", rest, cur, old,
			median(pooled[n])/median(pooled[c]), m, r[0], r[len(r)-1], len(r))
	}
	return nil
}

// benchMedian reads `go test -bench` output and prints, for each benchmark
// and unit, the median over its lines.
func benchMedian() error {
	type key struct{ name, unit string }
	vals := map[key][]float64{}
	var order []key
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			k := key{f[0], f[i+1]}
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = append(vals[k], v)
		}
	}
	for _, k := range order {
		v := vals[k]
		m := median(v) // sorts v
		switch k.unit {
		case "ns/op":
			fmt.Printf("  %-40s median %10.3f ms/op  %.3f-%.3f  (%d runs)\n", k.name, m/1e6, v[0]/1e6, v[len(v)-1]/1e6, len(v))
		case "B/op", "allocs/op":
		default:
			fmt.Printf("  %-40s median %10.3f %s  (%d runs)\n", k.name, m, k.unit, len(v))
		}
	}
	return sc.Err()
}

// interleave runs each command in turn, one run at a time: on a shared
// machine whose load drifts, every command sees the same drift, and the
// ratio of two commands run one right after the other is the fairest
// comparison there is. The CPU time (user+sys of the child, from its
// rusage) is what the command itself cost, which other processes on the
// machine disturb far less than the wall time.
func interleave(args []string) error {
	fs := flag.NewFlagSet("interleave", flag.ContinueOnError)
	runs := fs.Int("runs", 100, "runs of each command")
	warmup := fs.Int("warmup", 5, "untimed runs of each command first")
	pair := fs.String("pair", "", "OLD,NEW: the ratio NEW+x / OLD+x, turn by turn")
	floor := fs.String("floor", "", "LABEL: every other command's ratio to it, turn by turn")
	machine := fs.String("ratios", "", "FILE: also append each ratio to the floor as LABEL|FLOOR|wall|MEDIAN|MIN|MAX|MEDIAN_MS|FLOOR_MEDIAN_MS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out := os.Stdout
	if *machine != "" {
		f, err := os.OpenFile(*machine, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	type command struct {
		label     string
		env, argv []string
		wall, cpu []float64 // ms
	}
	var cmds []*command
	for _, spec := range fs.Args() {
		label, line, ok := strings.Cut(spec, "|")
		if !ok {
			return fmt.Errorf("%q: want LABEL|K=V ... CMD ARG...", spec)
		}
		c := &command{label: label}
		for _, f := range strings.Fields(line) {
			if len(c.argv) == 0 && strings.Contains(f, "=") {
				c.env = append(c.env, f)
			} else {
				c.argv = append(c.argv, f)
			}
		}
		cmds = append(cmds, c)
	}
	run := func(c *command) (wall, cpu float64, err error) {
		cmd := exec.Command(c.argv[0], c.argv[1:]...)
		cmd.Env = append(os.Environ(), c.env...)
		t := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", c.label, err)
		}
		wall = float64(time.Since(t)) / 1e6
		return wall, float64(cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()) / 1e6, nil
	}
	// Every other turn runs the commands in reverse order (A B C, C B A,
	// ...): the place in a turn matters here (a binary run right after
	// another measured ~5% apart from an identical copy run before it).
	for i := 0; i < *warmup+*runs; i++ {
		turn := slices.Clone(cmds)
		if i%2 == 1 {
			slices.Reverse(turn)
		}
		for _, c := range turn {
			w, u, err := run(c)
			if err != nil {
				return err
			}
			if i >= *warmup {
				c.wall, c.cpu = append(c.wall, w), append(c.cpu, u)
			}
		}
	}
	byLabel := map[string]*command{}
	for _, c := range cmds {
		byLabel[c.label] = c
		w, u := slices.Clone(c.wall), slices.Clone(c.cpu)
		mw, mu := median(w), median(u)
		fmt.Printf("  %-36s wall median %7.2f ms (%.2f-%.2f)   cpu median %6.2f ms (%.2f-%.2f)   %d runs\n",
			c.label, mw, w[0], w[len(w)-1], mu, u[0], u[len(u)-1], len(w))
	}
	if f := byLabel[*floor]; f != nil {
		fmt.Printf("  ratio to %q, turn by turn (median, min-max, middle half):\n", *floor)
		for _, c := range cmds {
			if c == f {
				continue
			}
			var rw []float64
			for i := range c.wall {
				rw = append(rw, c.wall[i]/f.wall[i])
			}
			sort.Float64s(rw)
			fmt.Printf("  %-36s wall %.2fx (%.2f-%.2f; middle half %.2f-%.2f)   medians %.2fx\n",
				c.label, median(slices.Clone(rw)), rw[0], rw[len(rw)-1], rw[len(rw)/4], rw[len(rw)*3/4],
				median(slices.Clone(c.wall))/median(slices.Clone(f.wall)))
			if *machine != "" {
				fmt.Fprintf(out, "%s|%s|%s|%.2f|%.2f|%.2f|%.2f|%.2f\n", c.label, *floor, "wall",
					median(slices.Clone(rw)), rw[0], rw[len(rw)-1], median(slices.Clone(c.wall)), median(slices.Clone(f.wall)))
			}
		}
	}
	old, cur, ok := strings.Cut(*pair, ",")
	if !ok {
		return nil
	}
	for _, c := range cmds {
		rest, isOld := strings.CutPrefix(c.label, old)
		n := byLabel[cur+rest]
		if !isOld || n == nil {
			continue
		}
		var rw, ru []float64
		for i := range c.wall {
			rw, ru = append(rw, n.wall[i]/c.wall[i]), append(ru, n.cpu[i]/c.cpu[i])
		}
		mw, mu := median(rw), median(ru)
		fmt.Printf("  %-36s %s/%s turn by turn: wall %.2fx (middle half %.2f-%.2f), cpu %.2fx (middle half %.2f-%.2f)\n",
			rest, strings.TrimSpace(cur), strings.TrimSpace(old), mw, rw[len(rw)/4], rw[len(rw)*3/4], mu, ru[len(ru)/4], ru[len(ru)*3/4])
	}
	return nil
}
