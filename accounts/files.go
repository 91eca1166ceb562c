package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tokenring/tokenring/flow"
)

// AccountsDir is the directory of the config directory that holds one file
// per account, NAME.json: the account's metadata, no secret.
const AccountsDir = "accounts"

// fileVersion is the format of an account file. A file of a newer format is
// reported (as damaged, with "update tokenring"), never rewritten.
const fileVersion = 1

// maxAccountFile caps what is read of one account file. tokenring writes
// ~1 KB (a provider with its endpoints, scopes and a few times); a file 1,000
// times that size was not written by it, and reading it whole would let one
// stray file slow every `list` down.
const maxAccountFile = 1 << 20

// accountFile is the document in accounts/NAME.json: the Account's fields
// beside a format version.
type accountFile struct {
	Version int `json:"version"`
	Account
}

// accountFiles reads and writes the account files. Reads take no lock:
// every write replaces a file by rename (or creates it by link), so a reader
// sees an old or a new file, whole. Every write holds the account's lock
// (locks/NAME.lock), taken by the Store.
//
// A cache keeps what each file held, keyed by the file's identity, mtime,
// ctime and size (as the old index's cache did for its one file): a list of
// 1,000 unchanged accounts costs a directory read and 1,000 stats, no
// decoding; a file changed in any way, even in place, is read again.
type accountFiles struct {
	dir string

	mu    sync.Mutex
	cache map[string]fileEntry // by the name the file is named after

	pmu   sync.Mutex
	provs map[string]*flow.Provider // decoded providers by their JSON

	// The last listing, for the directory's own stat as the change signal
	// (see list): its stamp and the names it found (their entries are in
	// cache).
	lmu   sync.Mutex
	last  Stamp
	names []string
}

// Stamp identifies a listing of the accounts (Store.AccountsSince): the
// accounts directory's stat key when it began, when it began, and whether
// every file it met was cached (none unreadable). The zero Stamp matches
// no listing.
type Stamp struct {
	key   fileKey
	at    time.Time
	whole bool
}

// trusts says whether a directory whose stat key is now dk still holds
// what the listing of s found: the same key, and the listing began at
// least racyDir after the directory last changed.
func (s Stamp) trusts(dk fileKey) bool {
	return s.whole && !s.at.IsZero() && dk.same(s.key) && s.at.Sub(dk.modTime()) >= racyDir
}

// fileEntry is what one file held when it had the stat key: the account
// without its provider (cachedAccount), and its provider, shared by the
// accounts of that provider (providerField decodes each distinct one
// once). An Account is 560 bytes, 328 of them the provider: a copy in every
// entry was a third of a 10,000-account TUI's heap.
type fileEntry struct {
	key  fileKey
	acct cachedAccount
	prov *flow.Provider // nil: the file has no provider
	err  *DamagedError  // the file cannot be used; acct is then zero
}

// cachedAccount is an Account without its Provider and Damaged, as the
// cache keeps it. TestCachedAccountHasEveryField fails when Account gains
// a field this does not carry.
type cachedAccount struct {
	Name          string
	Scopes        []string
	LinkedAt      time.Time
	AccessExpiry  time.Time
	ExpirySource  flow.ExpirySource
	AccessIssued  time.Time
	RefreshExpiry time.Time
	HasRefresh    bool
	HasIDToken    bool
	LastRefresh   time.Time
	LastError     string
	NeedsRelink   bool
	RefreshKeeps  bool
	Backend       string
}

func compact(a Account) cachedAccount {
	return cachedAccount{Name: a.Name, Scopes: a.Scopes, LinkedAt: a.LinkedAt, AccessExpiry: a.AccessExpiry,
		ExpirySource: a.ExpirySource, AccessIssued: a.AccessIssued, RefreshExpiry: a.RefreshExpiry,
		HasRefresh: a.HasRefresh, HasIDToken: a.HasIDToken, LastRefresh: a.LastRefresh, LastError: a.LastError,
		NeedsRelink: a.NeedsRelink, RefreshKeeps: a.RefreshKeeps, Backend: a.Backend}
}

// account is the cached account with its provider.
func (e fileEntry) account() Account {
	c := e.acct
	a := Account{Name: c.Name, Scopes: c.Scopes, LinkedAt: c.LinkedAt, AccessExpiry: c.AccessExpiry,
		ExpirySource: c.ExpirySource, AccessIssued: c.AccessIssued, RefreshExpiry: c.RefreshExpiry,
		HasRefresh: c.HasRefresh, HasIDToken: c.HasIDToken, LastRefresh: c.LastRefresh, LastError: c.LastError,
		NeedsRelink: c.NeedsRelink, RefreshKeeps: c.RefreshKeeps, Backend: c.Backend}
	if e.prov != nil {
		a.Provider = *e.prov
	}
	return a
}

func (e fileEntry) result() (Account, error) {
	if e.err != nil {
		return Account{}, e.err
	}
	return e.account(), nil
}

// listed is how the entry shows in a list: a damaged file as an account
// of the name it is named after (made printable) that carries the damage.
func (e fileEntry) listed() Account {
	if e.err == nil {
		return e.account()
	}
	return Account{Name: e.err.Name, Damaged: e.err, LastError: e.err.Error()}
}

func newAccountFiles(dir string) *accountFiles {
	return &accountFiles{dir: dir, cache: map[string]fileEntry{}, provs: map[string]*flow.Provider{}}
}

func (f *accountFiles) path(name string) string { return filepath.Join(f.dir, name+".json") }

// get returns the account in name's file: ErrNotFound when there is none,
// a *DamagedError when it cannot be used.
func (f *accountFiles) get(name string) (Account, error) {
	e, err := f.entry(nil, name, nil)
	if err != nil {
		return Account{}, err
	}
	return e.result()
}

// entry returns name's file as cached when its stat is unchanged, else
// reads it. dir is the open accounts directory, or nil; buf, if not nil,
// is a buffer to read into and keep for the next read.
func (f *accountFiles) entry(dir *os.File, name string, buf *[]byte) (fileEntry, error) {
	f.mu.Lock()
	c, ok := f.cache[name]
	f.mu.Unlock()
	if ok {
		if k, err := statFile(dir, f.rel(dir, name)); err == nil && k.same(c.key) {
			return c, nil
		} // gone or unreadable: read says which
	}
	return f.read(dir, name, buf)
}

// rel is how name's file is named to the system calls: in dir, or whole.
func (f *accountFiles) rel(dir *os.File, name string) string {
	if dir == nil {
		return f.path(name)
	}
	return name + ".json"
}

// read reads and checks name's file and caches the result.
func (f *accountFiles) read(dir *os.File, name string, buf *[]byte) (fileEntry, error) {
	path := f.path(name)
	var reuse []byte
	if buf != nil {
		reuse = *buf
	}
	data, key, err := readSmallFile(dir, f.rel(dir, name), maxAccountFile, reuse)
	if buf != nil && cap(data) <= 64<<10 {
		*buf = data // keep a buffer of an ordinary size for the next file
	}
	if errors.Is(err, fs.ErrNotExist) {
		f.forget(name)
		return fileEntry{}, ErrNotFound
	}
	if err != nil {
		// Unreadable (permissions, I/O): this account cannot be used, the
		// others can. Not cached: it may pass.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fileEntry{err: damaged(name, path, "it cannot be read: "+err.Error())}, nil
	}
	e := fileEntry{key: key}
	if !key.regular {
		e.err = damaged(name, path, "it is not a regular file")
	} else {
		var a Account
		a, e.prov, e.err = f.parseAccount(name, path, data)
		e.acct = compact(a)
	}
	f.mu.Lock()
	f.cache[name] = e
	f.mu.Unlock()
	return e, nil
}

// parseAccount checks what an account file holds: a document of this
// format naming the account the file is named after.
func (f *accountFiles) parseAccount(name, path string, data []byte) (Account, *flow.Provider, *DamagedError) {
	if ValidName(name) != nil {
		return Account{}, nil, damaged(name, path, "its name is not an account name")
	}
	if len(data) > maxAccountFile {
		return Account{}, nil, damaged(name, path, "it is larger than 1 MiB")
	}
	var doc accountFile
	pf := &providerField{f: f, p: &doc.Provider}
	lazy := lazyFile{Version: &doc.Version, Account: &doc.Account, Provider: pf}
	if err := json.Unmarshal(data, &lazy); err != nil {
		return Account{}, nil, damaged(name, path, "it is not an account's JSON: "+err.Error())
	}
	switch {
	case doc.Version > fileVersion:
		e := damaged(name, path, fmt.Sprintf("a newer tokenring wrote it (format %d)", doc.Version))
		e.Fix = "update tokenring"
		return Account{}, nil, e
	case doc.Version < 1:
		return Account{}, nil, damaged(name, path, "it has no format version")
	case doc.Name != name:
		return Account{}, nil, damaged(name, path, fmt.Sprintf("it holds the account %q", doc.Name))
	}
	return doc.Account, pf.shared, nil
}

// lazyFile decodes an account file, its provider through providerField
// (the outer Provider field hides the embedded Account's).
type lazyFile struct {
	Version *int `json:"version"`
	*Account
	Provider *providerField `json:"provider"`
}

// providerField decodes a provider once for each distinct provider:
// accounts of one provider carry the same ~600 bytes, and decoding them was
// half of a cold list of 1,000 accounts. encoding/json hands it the field's
// bytes, already checked; only a provider not seen yet is decoded (and its
// bytes copied). Its slices and maps are then shared by those accounts
// (Store.Accounts says: read-only).
type providerField struct {
	f      *accountFiles
	p      *flow.Provider
	shared *flow.Provider // the one decoded copy (the cache points to it)
}

func (pf *providerField) UnmarshalJSON(raw []byte) error {
	f := pf.f
	f.pmu.Lock()
	got, ok := f.provs[string(raw)]
	f.pmu.Unlock()
	if ok {
		*pf.p, pf.shared = *got, got
		return nil
	}
	p := new(flow.Provider)
	if err := json.Unmarshal(raw, p); err != nil {
		return err
	}
	p.Scopes = slices.Clip(p.Scopes) // shared: an append must not write into another account's
	f.pmu.Lock()
	if len(f.provs) >= 1024 { // a bound for a long-running TUI
		clear(f.provs)
	}
	f.provs[string(raw)] = p
	f.pmu.Unlock()
	*pf.p, pf.shared = *p, p
	return nil
}

// list reads the accounts directory: every NAME.json, sorted by name,
// damaged files included (see fileEntry.listed). Files whose name starts
// with a dot (the writers' temp files) and files not ending in .json are
// not accounts.
//
// The directory's own stat is the change signal: every write of an account
// file renames (or links) a file into the directory or removes one, which
// sets the directory's mtime and ctime, so while the directory's stat is
// what it was at the last listing, the account files are the ones listed
// then and the listing is answered from the cache without a stat of each
// file (a TUI with 10,000 accounts reloads every 15 s: 1 stat, not 10,001).
// What it costs: a file changed in place (an editor that writes into the
// same inode, a chmod) is seen only at the next change of the directory or
// a new process; tokenring itself never writes in place. A directory
// changed less than racyDir before a listing began is never trusted (a
// change within one tick of the file system's clock may leave the mtime
// as it was), nor a listing that met an unreadable file.
func (f *accountFiles) list() ([]Account, error) {
	out, _, _, err := f.listSince(Stamp{})
	return out, err
}

// listSince is list, unless the directory still holds what the listing of
// since found: then nothing is listed (changed false) and since is
// returned. The stamp returned is that of the listing returned.
func (f *accountFiles) listSince(since Stamp) (out []Account, stamp Stamp, changed bool, err error) {
	start := time.Now()
	dk, err := statFile(nil, f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Stamp{}, true, nil
	}
	if err == nil {
		if since.trusts(dk) {
			return nil, since, false, nil
		}
		if out, st, ok := f.unchanged(dk); ok {
			return out, st, true, nil
		}
	}
	d, err := os.Open(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Stamp{}, true, nil
	}
	if err != nil {
		return nil, Stamp{}, true, fmt.Errorf("reading the accounts directory: %w", err)
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, Stamp{}, true, fmt.Errorf("reading the accounts directory %s: %w", f.dir, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") {
			continue
		}
		names = append(names, strings.TrimSuffix(n, ".json"))
	}
	sort.Strings(names)

	// Stat every file, and read those not cached, on every core: a cold
	// list of 1,000 accounts is ~1,000 small reads and decodes.
	out = make([]Account, len(names))
	keep := make([]bool, len(names))
	errs := make([]error, len(names))
	cached := make([]bool, len(names))
	workers := min(runtime.GOMAXPROCS(0), (len(names)+63)/64)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf []byte // one read buffer per worker (the decoded account copies what it keeps)
			for i := w; i < len(names); i += workers {
				e, err := f.entry(d, names[i], &buf)
				switch {
				case errors.Is(err, ErrNotFound): // removed since the directory was read
				case err != nil:
					errs[i] = err
				default:
					out[i], keep[i] = e.listed(), true
					cached[i] = e.err == nil || e.key != (fileKey{}) // an unreadable file is not cached
				}
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, Stamp{}, true, err
	}
	n, whole := 0, err == nil
	for i := range out {
		if keep[i] {
			out[n] = out[i]
			names[n] = names[i]
			whole = whole && cached[i]
			n++
		} else {
			whole = false
		}
	}
	f.prune(names[:n])
	stamp = Stamp{key: dk, at: start, whole: whole}
	f.lmu.Lock()
	f.last, f.names = stamp, names[:n]
	f.lmu.Unlock()
	return out[:n], stamp, true, nil
}

// racyDir: a directory whose mtime is less than this before a listing began
// may still change without a new mtime (list).
var racyDir = time.Second

// unchanged answers a listing from the cache when the directory's stat is
// dk, as at the last listing, and that listing began at least racyDir after
// the directory last changed.
func (f *accountFiles) unchanged(dk fileKey) ([]Account, Stamp, bool) {
	f.lmu.Lock()
	names, last := f.names, f.last
	f.lmu.Unlock()
	if !last.trusts(dk) {
		return nil, Stamp{}, false
	}
	out := make([]Account, len(names))
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, n := range names {
		e, ok := f.cache[n]
		if !ok {
			return nil, Stamp{}, false
		}
		out[i] = e.listed()
	}
	return out, last, true
}

// prune drops cached entries of files no longer in the directory.
func (f *accountFiles) prune(names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cache) <= len(names) {
		return
	}
	present := make(map[string]bool, len(names))
	for _, n := range names {
		present[n] = true
	}
	for n := range f.cache {
		if !present[n] {
			delete(f.cache, n)
		}
	}
}

func (f *accountFiles) forget(name string) {
	f.mu.Lock()
	delete(f.cache, name)
	f.mu.Unlock()
}
