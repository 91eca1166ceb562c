// Command tool holds the small helpers of perf/run.sh:
//
//	tool hello                 print a line and exit (the floor of a Go process)
//	tool pbkdf2 [-runs N]      time one PBKDF2 as the file keyring does it
//	                           (jose2go, HMAC-SHA256, 8,192 rounds, 128-bit key)
//	tool hyperfine FILE.json   the median, min and max of each command of a
//	                           hyperfine --export-json file
//	tool benchmedian < OUT     the median of each metric of `go test -bench` output
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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dvsekhvalnov/jose2go/kdf"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool hello | pbkdf2 [-runs N] | hyperfine FILE.json | benchmedian < go-test-output")
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
	if len(args) != 1 {
		return fmt.Errorf("usage: tool hyperfine FILE.json")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var doc struct {
		Results []struct {
			Command string    `json:"command"`
			Median  float64   `json:"median"`
			Min     float64   `json:"min"`
			Max     float64   `json:"max"`
			Times   []float64 `json:"times"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	for _, r := range doc.Results {
		fmt.Printf("  %-40s median %6.2f ms   min %6.2f ms   max %6.2f ms   (%d runs)\n", r.Command, r.Median*1e3, r.Min*1e3, r.Max*1e3, len(r.Times))
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
		m := median(append([]float64(nil), v...))
		switch k.unit {
		case "ns/op":
			fmt.Printf("  %-40s median %10.3f ms/op  (%d runs)\n", k.name, m/1e6, len(v))
		case "B/op", "allocs/op":
		default:
			fmt.Printf("  %-40s median %10.3f %s  (%d runs)\n", k.name, m, k.unit, len(v))
		}
	}
	return sc.Err()
}
