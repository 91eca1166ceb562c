package accounts

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func scanDoc(t testing.TB, n int, indent bool) ([]Account, []byte) {
	t.Helper()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	all := make([]Account, n)
	for i := range all {
		p := testProvider()
		p.DisplayName = fmt.Sprintf(`Odd "name" \ with {braces} [%d] "name": "acct-0001"`, i)
		p.Headers = map[string]string{"name": "acct-0002", "x": `"}]`}
		all[i] = Account{Name: fmt.Sprintf("acct-%04d", i), Provider: p, Scopes: []string{"openid"},
			LinkedAt: now, AccessExpiry: now.Add(time.Duration(i) * time.Minute), HasRefresh: i%2 == 0,
			LastError: fmt.Sprintf("error \"%d\"\n", i)}
	}
	doc := indexDoc{Version: indexVersion, Accounts: all}
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(doc, "", "  ")
	} else {
		data, err = json.Marshal(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return all, data
}

// TestFindAccountMatchesFullDecode: the scanner finds exactly what a full
// decode finds, for every name, in indented and compact documents, and says
// "not found" for names that are not there.
func TestFindAccountMatchesFullDecode(t *testing.T) {
	for _, indent := range []bool{true, false} {
		all, data := scanDoc(t, 50, indent)
		for _, want := range all {
			raw, found, ok := findAccount(data, want.Name)
			if !ok || !found {
				t.Fatalf("indent=%v %s: ok=%v found=%v", indent, want.Name, ok, found)
			}
			var got Account
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: got %+v, want %+v", want.Name, got, want)
			}
		}
		for _, missing := range []string{"acct-9999", "acct-000", "Acct-0001", ""} {
			if _, found, ok := findAccount(data, missing); !ok || found {
				t.Fatalf("%q: ok=%v found=%v, want ok and not found", missing, ok, found)
			}
		}
	}
}

// TestFindAccountDefers: documents the scanner does not vouch for are left
// to the full decode (ok=false).
func TestFindAccountDefers(t *testing.T) {
	for _, doc := range []string{
		``,
		`[]`,
		`{"version": 2, "accounts": [{"name": "a"}]}`,
		`{"version": 1, "Accounts": [{"name": "a"}]}`,
		`{"version": 1, "accounts": [{"Name": "a"}]}`,
		`{"version": 1, "accounts": [{"name": "\u0061"}]}`,
		`{"version": 1, "accounts": [{"name": "a"]}`,
		`{"version": 1, "accounts": [{"name": "a"}}`,
		`{"version": 1, "accounts": [{"name": "a", "provider": {"id": "x}]}`,
		`{"version": 1, "accounts": null}`,
		`{"version": 1, "accounts": [{"name": "a"}]} trailing`,
		`{"version": 1, "accounts": [{"name": "a"} {"name": "b"}]}`,
		`{"version": "1", "accounts": []}`,
	} {
		if _, _, ok := findAccount([]byte(doc), "b"); ok {
			t.Errorf("%s: the scanner vouched for it", doc)
		}
	}
	// ... and these it reads like encoding/json does
	for doc, want := range map[string]bool{
		`{"version": 1, "accounts": []}`:                                                   false,
		`{"accounts": [{"name": "a"}, {"name": "b"}], "version": 1}`:                       true,
		`{"version": 1, "accounts": [{"name": "a", "name": "b"}]}`:                         true, // the last one counts
		`{"version": 1, "accounts": [{"name": "b", "name": "a"}]}`:                         false,
		` { "version" : 1 , "accounts" : [ { "x" : [1, {"y": null}] , "name" : "b" } ] } `: true,
	} {
		_, found, ok := findAccount([]byte(doc), "b")
		if !ok || found != want {
			t.Errorf("%s: ok=%v found=%v, want found=%v", doc, ok, found, want)
		}
	}
}

// TestFindAccountMutations: for random corruptions of a real document,
// whenever the scanner vouches for an answer, a full decode of the same
// bytes agrees (or fails, in which case the scanner's answer is not worse
// than the error the full read gives for every other command).
func TestFindAccountMutations(t *testing.T) {
	_, data := scanDoc(t, 5, true)
	r := rand.New(rand.NewPCG(1, 2))
	chars := []byte(`{}[]",:\ a0`)
	checked := 0
	for i := 0; i < 6000; i++ {
		b := append([]byte(nil), data...)
		for k := 0; k < 1+r.IntN(3); k++ {
			b[r.IntN(len(b))] = chars[r.IntN(len(chars))]
		}
		var doc indexDoc
		if json.Unmarshal(b, &doc) != nil {
			continue
		}
		for _, name := range []string{"acct-0000", "acct-0003", "acct-0009"} {
			raw, found, ok := findAccount(b, name)
			if !ok {
				continue
			}
			var want *Account
			for j := range doc.Accounts {
				if doc.Accounts[j].Name == name {
					want = &doc.Accounts[j]
					break
				}
			}
			checked++
			if found != (want != nil) {
				t.Fatalf("mutation %d, %s: scanner found=%v, full decode found=%v\n%s", i, name, found, want != nil, b)
			}
			if found {
				var got Account
				if err := json.Unmarshal(raw, &got); err != nil || !reflect.DeepEqual(got, *want) {
					t.Fatalf("mutation %d, %s: scanner's account differs (%v)", i, name, err)
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d mutated documents checked", checked)
	}
	if testing.Verbose() {
		t.Logf("%d mutated documents checked", checked)
	}
}

// TestAccountLookupOnDisk: Store.Account on a real index agrees with
// Accounts, before and after the index is parsed and cached.
func TestAccountLookupOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := openFile(t, dir, "pass", nil, nil)
	all, data := scanDoc(t, 30, true)
	if err := os.WriteFile(filepath.Join(dir, IndexFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account("acct-0007")
	if err != nil || !reflect.DeepEqual(a, all[7]) {
		t.Fatalf("cold lookup: %+v, %v", a, err)
	}
	if a, err := s.Account("acct-0007"); err != nil || !reflect.DeepEqual(a, all[7]) { // again, from the one-entry cache
		t.Fatalf("second lookup: %+v, %v", a, err)
	}
	if _, err := s.Account("nobody"); err != ErrNotFound {
		t.Fatalf("missing account: %v, want ErrNotFound", err)
	}
	if _, err := s.Accounts(); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Account("acct-0029"); err != nil || !reflect.DeepEqual(a, all[29]) {
		t.Fatalf("cached lookup: %+v, %v", a, err)
	}
	s2 := openFile(t, dir, "pass", nil, nil)
	if _, err := s2.Account("acct-0003"); err != nil {
		t.Fatal(err)
	}
	changed := all[3]
	changed.LastError = "changed by another process"
	data2, _ := json.MarshalIndent(indexDoc{Version: indexVersion, Accounts: []Account{changed}}, "", "  ")
	if err := writeAtomic(filepath.Join(dir, IndexFile), data2); err != nil {
		t.Fatal(err)
	}
	if a, err := s2.Account("acct-0003"); err != nil || a.LastError != changed.LastError {
		t.Fatalf("after the index changed: %+v, %v", a, err)
	}
	os.WriteFile(filepath.Join(dir, IndexFile), []byte(`{"version": 1, "accounts": [`), 0o600)
	if _, err := s.Account("acct-0007"); err == nil || err == ErrNotFound {
		t.Fatalf("damaged index: %v, want the full read's error", err)
	}
}

// BenchmarkAccount1000Cold: one account out of 1,000 from an index this
// process has not parsed yet (what `tokenring token NAME` pays).
func BenchmarkAccount1000Cold(b *testing.B) {
	s := benchIndex(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.idx.cmu.Lock()
		s.idx.cst, s.idx.lastSt = nil, nil
		s.idx.cmu.Unlock()
		if _, err := s.Account("acct-0500"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindAccount: the scanner alone on a 1,000-account document in
// memory (the last account: the whole document is scanned).
func BenchmarkFindAccount(b *testing.B) {
	_, data := scanDoc(b, 1000, true)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, found, ok := findAccount(data, "acct-0999"); !found || !ok {
			b.Fatal("not found")
		}
	}
}

// TestDecodeIndexMatchesUnmarshal: the fast decode gives exactly what one
// json.Unmarshal of the document gives, for documents as written (indented
// or compact, empty, no accounts key) and for random corruptions of them
// (same accounts, or an error whenever json.Unmarshal fails).
func TestDecodeIndexMatchesUnmarshal(t *testing.T) {
	check := func(data []byte) bool {
		t.Helper()
		var want indexDoc
		werr := json.Unmarshal(data, &want)
		got, gerr := decodeIndex(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("json.Unmarshal: %v, decodeIndex: %v\n%s", werr, gerr, data)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeIndex differs from json.Unmarshal\n%s", data)
		}
		_, fast := decodeIndexFast(data)
		return fast
	}
	fastOnes := 0
	for _, n := range []int{0, 1, 7, 300} {
		for _, indent := range []bool{true, false} {
			_, data := scanDoc(t, n, indent)
			if !check(data) {
				t.Fatalf("n=%d indent=%v: the fast path refused a document as written", n, indent)
			}
		}
	}
	for _, doc := range []string{`{}`, `{"version": 1}`, `{"version": 1, "accounts": []}`, `{"accounts": [{}], "x": {"y": [1, "]"]}}`,
		`{"version": 1, "accounts": [{"name": "a", "provider": null}]}`, `{"version": 1, "accounts": [{"name": "a", "Provider": {"id": "p"}}]}`} {
		if check([]byte(doc)) {
			fastOnes++
		}
	}
	_, data := scanDoc(t, 4, true)
	r := rand.New(rand.NewPCG(3, 4))
	chars := []byte(`{}[]",:\ a0n`)
	for i := 0; i < 6000; i++ {
		b := append([]byte(nil), data...)
		for k := 0; k < 1+r.IntN(3); k++ {
			b[r.IntN(len(b))] = chars[r.IntN(len(chars))]
		}
		if check(b) {
			fastOnes++
		}
	}
	if fastOnes < 300 {
		t.Fatalf("the fast path took only %d documents", fastOnes)
	}
}
