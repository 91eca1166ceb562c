package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tokenring/tokenring/flow"
)

// Looking one account up (`tokenring token NAME`) must not cost a decode of
// the whole index: with 1,000 accounts encoding/json spends ~8 ms on the
// 800 KB file, more than the rest of the command together (issue 5; see
// README.md, Performance). findAccount walks the document's structure with
// a plain byte scanner, skipping every value but the names, and decodes
// only the matching account with encoding/json. Whenever the document is
// not exactly as the index writer makes it (a key spelled differently, an
// escaped name, a newer version, broken syntax), it says so and the caller
// decodes the whole file, which gives the same answer or the usual error.

// getOne returns one account, decoding only that account when the index
// has not been parsed already.
func (x *index) getOne(name string) (Account, error) {
	st, err := os.Stat(x.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("reading the account index: %w", err)
	}
	x.cmu.Lock()
	cached := x.cst != nil && sameStat(x.cst, st)
	last, lastSt := x.last, x.lastSt
	x.cmu.Unlock()
	if !cached {
		if lastSt != nil && last.Name == name && sameStat(lastSt, st) {
			return last, nil // `token` looks the account up twice
		}
		if a, found, ok := x.lookup(name); ok {
			if !found {
				return Account{}, ErrNotFound
			}
			x.cmu.Lock()
			x.last, x.lastSt = a, st
			x.cmu.Unlock()
			return a, nil
		}
	}
	return x.get(name) // the full decode (and its cache, and its errors)
}

// lookup finds name in the index file through a read-only mapping of it.
// ok is false whenever the caller should decode the whole file instead.
func (x *index) lookup(name string) (a Account, found, ok bool) {
	f, err := os.Open(x.path)
	if err != nil {
		return a, false, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return a, false, false
	}
	data, done, err := mapFile(f, st.Size())
	if err != nil {
		return a, false, false
	}
	defer done()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil { // the file shrank under the mapping
			a, found, ok = Account{}, false, false
		}
	}()
	raw, found, ok := findAccount(data, name)
	if !ok || !found {
		return a, found, ok
	}
	// json copies every string out of raw: nothing refers to the mapping
	// once it is gone
	if json.Unmarshal(raw, &a) != nil {
		return Account{}, false, false
	}
	return a, true, true
}

func sameStat(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// findAccount finds the object of the account named name in an index
// document. ok is false when the document is not one this scanner vouches
// for; then found and raw mean nothing.
func findAccount(data []byte, name string) (raw []byte, found, ok bool) {
	s := scanner{b: data}
	if !s.byte('{') {
		return nil, false, false
	}
	sawVersion := false
	for first := true; ; first = false {
		s.ws()
		if s.peek() == '}' {
			s.p++
			s.ws()
			return raw, found, s.p == len(s.b)
		}
		if !first && !s.byte(',') {
			return nil, false, false
		}
		key, plain := s.str()
		if !plain || !s.byte(':') {
			return nil, false, false
		}
		s.ws()
		switch string(key) {
		case "version":
			start := s.p
			if !s.skip() {
				return nil, false, false
			}
			v, err := strconv.Atoi(string(s.b[start:s.p]))
			if err != nil || v > indexVersion {
				return nil, false, false
			}
			sawVersion = true
		case "accounts":
			r, f, good := s.accounts(name)
			if !good {
				return nil, false, false
			}
			raw, found = r, f
			if found && sawVersion { // the writer puts version first: done
				return raw, true, true
			}
		default:
			if bytes.EqualFold(key, []byte("version")) || bytes.EqualFold(key, []byte("accounts")) {
				return nil, false, false // encoding/json would match it case-insensitively
			}
			if !s.skip() {
				return nil, false, false
			}
		}
	}
}

// accounts scans the array of accounts for name.
func (s *scanner) accounts(name string) (raw []byte, found, ok bool) {
	if !s.byte('[') {
		return nil, false, false
	}
	for first := true; ; first = false {
		s.ws()
		if s.peek() == ']' {
			s.p++
			return raw, found, true
		}
		if !first && !s.byte(',') {
			return nil, false, false
		}
		s.ws()
		start := s.p
		if !s.byte('{') {
			return nil, false, false
		}
		var got []byte // the last "name" wins, as in encoding/json
		for f := true; ; f = false {
			s.ws()
			if s.peek() == '}' {
				s.p++
				break
			}
			if !f && !s.byte(',') {
				return nil, false, false
			}
			key, plain := s.str()
			if !plain || !s.byte(':') {
				return nil, false, false
			}
			s.ws()
			if string(key) == "name" {
				v, plain := s.str()
				if !plain {
					return nil, false, false
				}
				got = v
				continue
			}
			if bytes.EqualFold(key, []byte("name")) {
				return nil, false, false
			}
			if !s.skip() {
				return nil, false, false
			}
		}
		if !found && string(got) == name {
			raw, found = s.b[start:s.p], true
		}
	}
}

type scanner struct {
	b []byte
	p int
}

func (s *scanner) ws() {
	for s.p < len(s.b) {
		switch s.b[s.p] {
		case ' ', '\t', '\n', '\r':
			s.p++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.p < len(s.b) {
		return s.b[s.p]
	}
	return 0
}

// byte skips white space and then c.
func (s *scanner) byte(c byte) bool {
	s.ws()
	if s.peek() != c {
		return false
	}
	s.p++
	return true
}

// str reads a string (after white space) and returns its raw contents;
// plain is false when it is not a string or holds an escape.
func (s *scanner) str() (v []byte, plain bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.p
	end, esc := s.strEnd()
	if end < 0 {
		return nil, false
	}
	s.p = end + 1
	return s.b[start:end], !esc
}

// strEnd finds the closing quote of the string whose contents start at
// s.p (-1: none) and whether the string holds an escape. A byte loop: the
// strings of an index are short, shorter than IndexByte's set-up pays for.
func (s *scanner) strEnd() (int, bool) {
	esc := false
	b := s.b
	for i := s.p; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i, esc
		case '\\':
			esc = true
			i++
		}
	}
	return -1, esc
}

// skip skips one value of any kind.
func (s *scanner) skip() bool {
	s.ws()
	switch c := s.peek(); {
	case c == '"':
		s.p++
		end, _ := s.strEnd()
		if end < 0 {
			return false
		}
		s.p = end + 1
		return true
	case c == '{' || c == '[':
		depth := 0
		b, p := s.b, s.p
		for p < len(b) {
			for p < len(b) && structural[b[p]] == 0 { // the tight loop over plain bytes
				p++
			}
			if p == len(b) {
				break
			}
			switch structural[b[p]] {
			case 1:
				depth++
			case 2:
				depth--
				if depth == 0 {
					s.p = p + 1
					return true
				}
			case 3:
				s.p = p + 1
				end, _ := s.strEnd()
				if end < 0 {
					return false
				}
				p = end
			}
			p++
		}
		return false
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := s.p
		for s.p < len(s.b) {
			c := s.b[s.p]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				break
			}
			s.p++
		}
		return s.p > start
	}
	return false
}

// structural classifies bytes for skipping a container: 1 opens, 2 closes,
// 3 starts a string, 0 is anything else.
var structural = [256]uint8{'{': 1, '[': 1, '}': 2, ']': 2, '"': 3}

// Reading the whole index (the list, the TUI, every read-modify-write)
// decodes 1,000 accounts in ~10 ms with one encoding/json call: the most
// expensive step of the TUI's first frame and of every refresh's index
// update. decodeIndex gets the same result faster: the scanner splits the
// array into the accounts' objects, each provider object (usually the same
// few bytes for many accounts) is decoded once, and the accounts are decoded
// on all cores. Whatever the scanner does not vouch for, or any account
// that does not decode, goes to one json.Unmarshal of the whole document,
// which gives the same result or the usual error.

// accountFields is Account without its methods; lazyAccount decodes every
// field of Account but the provider, which it keeps raw (the outer field
// hides the embedded one, as encoding/json's rules for embedded structs say).
type accountFields Account

type lazyAccount struct {
	*accountFields
	Provider json.RawMessage `json:"provider"`
}

func decodeIndex(data []byte) (indexDoc, error) {
	if doc, ok := decodeIndexFast(data); ok {
		return doc, nil
	}
	var doc indexDoc
	err := json.Unmarshal(data, &doc)
	return doc, err
}

func decodeIndexFast(data []byte) (indexDoc, bool) {
	version, elems, ok := splitIndex(data)
	if !ok {
		return indexDoc{}, false
	}
	doc := indexDoc{Version: version}
	if elems == nil {
		return doc, true
	}
	doc.Accounts = make([]Account, len(elems))
	workers := min(runtime.GOMAXPROCS(0), (len(elems)+63)/64)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			provs := map[string]flow.Provider{}
			for i := w; i < len(elems) && !failed.Load(); i += workers {
				a := &doc.Accounts[i]
				la := lazyAccount{accountFields: (*accountFields)(a)}
				if json.Unmarshal(elems[i], &la) != nil {
					failed.Store(true)
					return
				}
				if la.Provider == nil {
					continue
				}
				p, ok := provs[string(la.Provider)]
				if !ok {
					if json.Unmarshal(la.Provider, &p) != nil {
						failed.Store(true)
						return
					}
					p.Scopes = slices.Clip(p.Scopes) // shared: an append must not write into another account's
					provs[string(la.Provider)] = p
				}
				a.Provider = p
			}
		}(w)
	}
	wg.Wait()
	return doc, !failed.Load()
}

// splitIndex returns the version and the raw objects of the accounts array.
func splitIndex(data []byte) (version int, elems [][]byte, ok bool) {
	s := scanner{b: data}
	if !s.byte('{') {
		return 0, nil, false
	}
	sawVersion, sawAccounts := false, false
	for first := true; ; first = false {
		s.ws()
		if s.peek() == '}' {
			s.p++
			s.ws()
			return version, elems, s.p == len(s.b)
		}
		if !first && !s.byte(',') {
			return 0, nil, false
		}
		key, plain := s.str()
		if !plain || !s.byte(':') {
			return 0, nil, false
		}
		s.ws()
		switch string(key) {
		case "version":
			start := s.p
			if sawVersion || !s.skip() {
				return 0, nil, false
			}
			v, err := strconv.Atoi(string(s.b[start:s.p]))
			if err != nil || v > indexVersion {
				return 0, nil, false
			}
			version, sawVersion = v, true
		case "accounts":
			if sawAccounts || !s.byte('[') {
				return 0, nil, false
			}
			sawAccounts = true
			elems = [][]byte{}
			for f := true; ; f = false {
				s.ws()
				if s.peek() == ']' {
					s.p++
					break
				}
				if !f && !s.byte(',') {
					return 0, nil, false
				}
				s.ws()
				start := s.p
				if s.peek() != '{' || !s.skip() {
					return 0, nil, false
				}
				elems = append(elems, s.b[start:s.p])
			}
		default:
			if bytes.EqualFold(key, []byte("version")) || bytes.EqualFold(key, []byte("accounts")) {
				return 0, nil, false
			}
			start := s.p
			if !s.skip() || !json.Valid(s.b[start:s.p]) {
				return 0, nil, false
			}
		}
	}
}
