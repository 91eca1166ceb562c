//go:build linux

// Command ptyrec runs a terminal program in a real pseudo-terminal and
// measures it from the outside, as a user's terminal sees it (issue 5):
//
//   - ready: the time from starting the process to the first output that
//     contains the -ready text (the first frame that shows the accounts),
//     and first: to the first byte the program writes at all;
//   - then, after -settle, for -idle: the bytes the program writes to the
//     terminal per second and the CPU it uses (the run time of its threads
//     from /proc/PID/task/*/schedstat, in % of one core);
//   - its memory at the end: VmHWM (peak resident) and VmRSS.
//
// It answers the terminal queries a real terminal answers (the background
// colour, OSC 11; primary device attributes, DA1) unless -answer=false.
// Each run ends by typing q (and SIGKILL if the program has not quit 3 s
// later). With -runs N it prints every run and the medians. Given several
// programs ('LABEL|K=V ... PROGRAM ARG...'), it runs them in turn (A B A B
// ...: a shared machine's drift falls on each alike) and, with -floor
// LABEL, prints each one's ratio to that program's run of the same turn.
//
//	ptyrec -cols 80 -rows 27 -runs 5 -idle 20s -ready "1000 accounts" -- tokenring
//	ptyrec -runs 9 -ready "1000 accounts" -floor bare -- 'bare|perf/bare' 'tokenring|TOKENRING_HOME=h tokenring'
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	cols := flag.Int("cols", 80, "terminal columns")
	rows := flag.Int("rows", 27, "terminal rows (27: 20 rows of the account list)")
	runs := flag.Int("runs", 1, "runs (of each program, in turn)")
	idle := flag.Duration("idle", 0, "measure bytes/s and CPU over this long after the ready frame (0: no)")
	settle := flag.Duration("settle", 3*time.Second, "wait this long after the ready frame before measuring idle")
	ready := flag.String("ready", "", "text of the first frame to wait for (required)")
	answer := flag.Bool("answer", true, "answer OSC 11 and DA1 queries as a terminal would")
	timeout := flag.Duration("timeout", 10*time.Second, "give up waiting for the ready frame after this long")
	floor := flag.String("floor", "", "LABEL: with several programs, each one's ratio to LABEL's, turn by turn")
	quiet := flag.Bool("q", false, "print only the medians, not every run")
	ratios := flag.String("ratios", "", "FILE: also append each ratio to the floor as LABEL|FLOOR|WHAT|MEDIAN|MIN|MAX|VALUE|FLOOR_VALUE")
	flag.StringVar(&dumpFile, "dump", "", "write the bytes of the (last) idle window to this file")
	flag.Parse()
	if *ready == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: ptyrec -ready TEXT [-runs N] [-idle D] [-cols C -rows R] [-floor LABEL] -- PROGRAM [ARGS] | 'LABEL|K=V ... PROGRAM ARG...'...")
		os.Exit(2)
	}
	progs, err := programs(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "ptyrec:", err)
		os.Exit(2)
	}
	all := make([][]result, len(progs))
	for i := 0; i < *runs; i++ {
		for j, p := range progs {
			r, err := record(p, *cols, *rows, *ready, *answer, *idle, *settle, *timeout)
			if err != nil {
				fmt.Fprintf(os.Stderr, "ptyrec: %s run %d: %v\n", p.label, i+1, err)
				os.Exit(1)
			}
			if !*quiet {
				fmt.Printf("%s run %d: %s\n", p.label, i+1, r)
			}
			all[j] = append(all[j], r)
		}
	}
	for j, p := range progs {
		rs := all[j]
		fmt.Printf("%-14s median of %d: first byte %.1f ms, ready frame %.1f ms (%.1f-%.1f)", p.label, len(rs),
			median(rs, func(r result) float64 { return ms(r.first) }), median(rs, func(r result) float64 { return ms(r.ready) }),
			minOf(rs, func(r result) float64 { return ms(r.ready) }), maxOf(rs, func(r result) float64 { return ms(r.ready) }))
		if *idle > 0 {
			fmt.Printf(", idle %.0f B/s (%.0f-%.0f), CPU %.3f%% of a core (%.3f-%.3f)",
				median(rs, func(r result) float64 { return r.bytesPerSec }),
				minOf(rs, func(r result) float64 { return r.bytesPerSec }), maxOf(rs, func(r result) float64 { return r.bytesPerSec }),
				median(rs, func(r result) float64 { return r.cpuPct }),
				minOf(rs, func(r result) float64 { return r.cpuPct }), maxOf(rs, func(r result) float64 { return r.cpuPct }))
		}
		fmt.Printf(", VmHWM %.1f MB, VmRSS %.1f MB\n",
			median(rs, func(r result) float64 { return float64(r.hwmKB) / 1024 }), median(rs, func(r result) float64 { return float64(r.rssKB) / 1024 }))
	}
	var base []result
	for j, p := range progs {
		if p.label == *floor {
			base = all[j]
		}
	}
	if base == nil {
		return
	}
	// ratios turn by turn: run i of a program beside run i of the floor
	ratio := func(rs []result, f func(result) float64) (med, lo, hi float64) {
		var v []float64
		for i := range rs {
			if d := f(base[i]); d > 0 {
				v = append(v, f(rs[i])/d)
			}
		}
		if len(v) == 0 {
			return 0, 0, 0
		}
		sort.Float64s(v)
		return medianOf(v), v[0], v[len(v)-1]
	}
	var mf *os.File
	if *ratios != "" {
		if mf, err = os.OpenFile(*ratios, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "ptyrec:", err)
			os.Exit(1)
		}
		defer mf.Close()
	}
	for j, p := range progs {
		if p.label == *floor {
			continue
		}
		one := func(what string, f func(result) float64) string {
			m, lo, hi := ratio(all[j], f)
			if mf != nil {
				fmt.Fprintf(mf, "%s|%s|%s|%.2f|%.2f|%.2f|%.2f|%.2f\n", p.label, *floor, what, m, lo, hi, median(all[j], f), median(base, f))
			}
			return fmt.Sprintf("%s %.2fx (%.2f-%.2f)", what, m, lo, hi)
		}
		fmt.Printf("ratio %s/%s turn by turn: %s", p.label, *floor, one("ready", func(r result) float64 { return ms(r.ready) }))
		if *idle > 0 {
			fmt.Printf(", %s", one("cpu", func(r result) float64 { return r.cpuPct }))
			fmt.Printf(", %s", one("bytes", func(r result) float64 { return r.bytesPerSec }))
		}
		fmt.Printf(", %s\n", one("rss", func(r result) float64 { return float64(r.hwmKB) / 1024 }))
	}
}

// program is one program to run: its label, environment and argv.
type program struct {
	label     string
	env, argv []string
}

// programs reads the arguments: 'LABEL|K=V ... PROGRAM ARG...' each, or one
// plain command line.
func programs(args []string) ([]program, error) {
	if !strings.Contains(args[0], "|") {
		return []program{{label: "program", argv: args}}, nil
	}
	var out []program
	for _, spec := range args {
		label, line, ok := strings.Cut(spec, "|")
		if !ok {
			return nil, fmt.Errorf("%q: want LABEL|K=V ... PROGRAM ARG...", spec)
		}
		p := program{label: label}
		for _, f := range strings.Fields(line) {
			if len(p.argv) == 0 && strings.Contains(f, "=") {
				p.env = append(p.env, f)
			} else {
				p.argv = append(p.argv, f)
			}
		}
		if len(p.argv) == 0 {
			return nil, fmt.Errorf("%q: no program", spec)
		}
		out = append(out, p)
	}
	return out, nil
}

func medianOf(v []float64) float64 {
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func minOf(rs []result, f func(result) float64) float64 {
	m := f(rs[0])
	for _, r := range rs[1:] {
		m = min(m, f(r))
	}
	return m
}

func maxOf(rs []result, f func(result) float64) float64 {
	m := f(rs[0])
	for _, r := range rs[1:] {
		m = max(m, f(r))
	}
	return m
}

var dumpFile string

type result struct {
	first, ready   time.Duration
	idle           time.Duration
	idleBytes      int
	bytesPerSec    float64
	cpuPct         float64
	hwmKB, rssKB   int
	anonKB, fileKB int // of VmRSS: heap and stacks; mapped files (the binary)
}

func (r result) String() string {
	s := fmt.Sprintf("first byte %.1f ms, ready frame %.1f ms", ms(r.first), ms(r.ready))
	if r.idle > 0 {
		s += fmt.Sprintf(", idle %d B in %.0f s = %.0f B/s, CPU %.2f%% of a core", r.idleBytes, r.idle.Seconds(), r.bytesPerSec, r.cpuPct)
	}
	if r.hwmKB > 0 {
		s += fmt.Sprintf(", VmHWM %.1f MB, VmRSS %.1f MB (anon %.1f, file %.1f)", float64(r.hwmKB)/1024, float64(r.rssKB)/1024,
			float64(r.anonKB)/1024, float64(r.fileKB)/1024)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return medianOf(v)
}

// openPTY opens a pseudo-terminal pair of the given size.
func openPTY(cols, rows int) (master, tty *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	t, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(rows)}); err != nil {
		m.Close()
		t.Close()
		return nil, nil, err
	}
	return m, t, nil
}

// output collects what the program writes, with the time of each read.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	first   time.Time
	readyAt time.Time
	ready   []byte
	seen    int // bytes already answered
	notify  chan struct{}
	done    chan struct{}
}

func record(p program, cols, rows int, ready string, answer bool, idle, settle, timeout time.Duration) (result, error) {
	var r result
	master, tty, err := openPTY(cols, rows)
	if err != nil {
		return r, err
	}
	defer master.Close()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.Env = append(append(os.Environ(), "TERM=xterm-256color", "COLORTERM=truecolor"), p.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	out := &output{ready: []byte(ready), notify: make(chan struct{}, 1), done: make(chan struct{})}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		tty.Close()
		return r, err
	}
	tty.Close()
	go func() {
		defer close(out.done)
		b := make([]byte, 64<<10)
		for {
			n, err := master.Read(b)
			now := time.Now()
			if n > 0 {
				out.mu.Lock()
				if out.first.IsZero() {
					out.first = now
				}
				out.buf.Write(b[:n])
				if out.readyAt.IsZero() && bytes.Contains(out.buf.Bytes()[max(0, out.buf.Len()-n-len(out.ready)):], out.ready) {
					out.readyAt = now
					select {
					case out.notify <- struct{}{}:
					default:
					}
				}
				var reply []byte
				if answer {
					reply = answers(out.buf.Bytes()[max(0, out.seen-16):])
					out.seen = out.buf.Len()
				}
				out.mu.Unlock()
				if len(reply) > 0 {
					master.Write(reply)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		master.Write([]byte("q"))
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()

	select {
	case <-out.notify:
	case <-out.done:
		return r, fmt.Errorf("the program ended before %q appeared; it wrote:\n%s", ready, tail(out))
	case <-time.After(timeout):
		return r, fmt.Errorf("%q did not appear within %s; the program wrote:\n%s", ready, timeout, tail(out))
	}
	out.mu.Lock()
	r.first, r.ready = out.first.Sub(start), out.readyAt.Sub(start)
	out.mu.Unlock()

	if idle > 0 {
		time.Sleep(settle)
		pid := cmd.Process.Pid
		out.mu.Lock()
		b0 := out.buf.Len()
		out.mu.Unlock()
		c0, err := cpuTicks(pid)
		if err != nil {
			return r, err
		}
		t0 := time.Now()
		time.Sleep(idle)
		out.mu.Lock()
		b1 := out.buf.Len()
		if dumpFile != "" {
			if err := os.WriteFile(dumpFile, out.buf.Bytes()[b0:b1], 0o644); err != nil {
				out.mu.Unlock()
				return r, err
			}
		}
		out.mu.Unlock()
		c1, err := cpuTicks(pid)
		if err != nil {
			return r, err
		}
		el := time.Since(t0)
		r.idle, r.idleBytes = el, b1-b0
		r.bytesPerSec = float64(b1-b0) / el.Seconds()
		r.cpuPct = 100 * float64(c1-c0) / 1e9 / el.Seconds()
	}
	r.hwmKB, r.rssKB, r.anonKB, r.fileKB, err = memory(cmd.Process.Pid)
	return r, err
}

// answers replies to the queries in b the way xterm does.
func answers(b []byte) []byte {
	var out []byte
	if bytes.Contains(b, []byte("\x1b]11;?")) {
		out = append(out, "\x1b]11;rgb:1e1e/1e1e/2e2e\x1b\\"...)
	}
	if bytes.Contains(b, []byte("\x1b[c")) || bytes.Contains(b, []byte("\x1b[0c")) {
		out = append(out, "\x1b[?62;22c"...)
	}
	return out
}

func tail(out *output) string {
	out.mu.Lock()
	defer out.mu.Unlock()
	b := out.buf.Bytes()
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strconv.Quote(string(b))
}

// cpuTicks is the CPU time pid's threads have run, in ns: the sum of the
// first field of /proc/PID/task/*/schedstat (the scheduler's own account,
// to the nanosecond; utime and stime in /proc/PID/stat count 10 ms ticks,
// too coarse for a program that uses half a percent of a core).
func cpuTicks(pid int) (int64, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			return 0, errors.New("unexpected schedstat")
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, errors.New("unexpected schedstat")
		}
		sum += ns
	}
	return sum, nil
}

// memory reads VmHWM, VmRSS, RssAnon and RssFile (kB) of pid.
func memory(pid int) (hwm, rss, anon, file int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmHWM:":
			hwm, _ = strconv.Atoi(f[1])
		case "VmRSS:":
			rss, _ = strconv.Atoi(f[1])
		case "RssAnon:":
			anon, _ = strconv.Atoi(f[1])
		case "RssFile:":
			file, _ = strconv.Atoi(f[1])
		}
	}
	return hwm, rss, anon, file, nil
}
