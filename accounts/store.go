package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"

	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/termtext"
)

// Store is the account store. Safe for concurrent use, and by several
// processes sharing one config directory.
type Store struct {
	cfg        Config
	dir        string
	fileDir    string
	lockDir    string
	collection string
	timeout    time.Duration
	pol        Policy
	now        func() time.Time

	info BackendInfo
	file bool            // the file backend (passphrase, atomic writes)
	kr   keyring.Keyring // any other backend

	files *accountFiles

	pmu  sync.Mutex // guards pass, unconverted and boxes
	pass string     // the file keyring's verified key (kdf.go: derived from the passphrase)
	// unconverted: pass was proven by one item (readWithEnvPass), not by an
	// unlock, so items of an older tokenring may still wait for the
	// conversion an unlock does; passphrase does it before pass is used
	// for anything else.
	unconverted bool
	// boxes hold every key this store derived (kdf.go); Close overwrites them.
	boxes []*keyBox
	umu   sync.Mutex // one passphrase prompt at a time

	fmu     sync.Mutex
	flights map[string]*flight // refreshes running in this process
	// spending: refreshes of this process whose request may have spent the
	// old refresh token (refresh.go); Close waits for them.
	spending map[string]int
	spends   sync.WaitGroup

	// pending holds new tokens the provider issued that could not be
	// stored yet (pending.go): handed out and stored at the next chance.
	penMu   sync.Mutex
	pending map[string]Secret

	lmu     sync.Mutex
	linkRes *reservation // disk space held by Writable for the next Add
}

// Open opens the store: the config directory (created 0700), the account
// files (moving an old accounts.json into them first, see migrate.go) and
// the keyring backend (see BackendInfo for which and why). It never asks
// for a passphrase.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("accounts: no config directory")
	}
	s := &Store{
		cfg:        cfg,
		dir:        cfg.Dir,
		fileDir:    filepath.Join(cfg.Dir, KeyringDir),
		lockDir:    filepath.Join(cfg.Dir, "locks"),
		collection: cfg.Collection,
		timeout:    cfg.Timeout,
		pol:        cfg.Policy.withDefaults(),
		now:        cfg.Now,
		flights:    map[string]*flight{},
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.collection == "" {
		s.collection = "login"
	}
	s.files = newAccountFiles(filepath.Join(s.dir, AccountsDir))
	for _, d := range []string{s.dir, s.lockDir, s.files.dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create %s: %w", d, err)
		}
	}
	if err := s.migrate(); err != nil {
		return nil, err
	}
	if err := s.choose(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Backend says which keyring backend is in use, why, and whether the file
// backend still needs its passphrase.
func (s *Store) Backend() BackendInfo {
	info := s.info
	if s.file {
		s.pmu.Lock()
		info.Locked = s.pass == ""
		s.pmu.Unlock()
		info.New = s.fileIsNew()
	}
	return info
}

// Policy is the refresh policy in force (defaults filled in).
func (s *Store) Policy() Policy { return s.pol }

// Dir is the config directory.
func (s *Store) Dir() string { return s.dir }

// Accounts lists the accounts, sorted by name; it never touches the
// keyring. An account whose file cannot be used is listed with Damaged set
// (StatusDamaged). The slice is the caller's, but the accounts' Scopes and
// Provider maps are shared with the store's cache: treat them as read-only.
func (s *Store) Accounts() ([]Account, error) { return s.files.list() }

// AccountsSince is Accounts, unless the account files are still those the
// listing stamped since found: then it lists nothing and says so (changed
// false), at the cost of one stat of the accounts directory. A front end
// that reloads the accounts periodically (the TUI, every 15 s) keeps what
// it has while nothing changed. The zero Stamp always lists. When it can
// tell and what it costs: see accountFiles.list.
func (s *Store) AccountsSince(since Stamp) (accts []Account, stamp Stamp, changed bool, err error) {
	return s.files.listSince(since)
}

// Account returns one account: ErrNotFound when there is none, a
// *DamagedError (errors.Is ErrDamaged) when its file cannot be used.
func (s *Store) Account(name string) (Account, error) {
	if ValidName(name) != nil && !fileNamed(name) {
		return Account{}, ErrNotFound
	}
	return s.files.get(name)
}

// fileNamed says whether name, though no valid account name, can be the
// base name of a file in the accounts directory (a damaged one, say
// "my account.json", that Accounts lists): nothing that leads elsewhere.
func fileNamed(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.HasPrefix(name, ".") &&
		!strings.ContainsAny(name, "/\\\x00") && filepath.Base(name) == name
}

func (s *Store) deadline(ctx context.Context) lockDeadline {
	return lockDeadline{ctx: ctx, timeout: 2 * time.Minute}
}

// fromToken copies what an account's metadata shows of a token set.
func fromToken(a *Account, t flow.Token, now time.Time) {
	a.AccessExpiry = t.Expiry
	a.ExpirySource = t.ExpirySource
	if a.ExpirySource == "" {
		a.ExpirySource = flow.ExpiryNone
		if t.Expires() {
			a.ExpirySource = flow.ExpiryFromExpiresIn
		}
	}
	a.AccessIssued = t.IssuedAt
	if a.AccessIssued.IsZero() {
		a.AccessIssued = now
	}
	a.RefreshExpiry = t.RefreshExpiry
	a.HasRefresh = t.RefreshToken != ""
	a.HasIDToken = t.IDToken != ""
}

// Add stores a newly linked account and its secret: secret first, then the
// account's file. The fields that describe the token (expiry, issued, has
// refresh/ID token) are taken from sec.Token. A name that has a file, even
// a damaged one, is taken (ErrExists): the check is made again under the
// account's lock, and the file is created only where none exists.
func (s *Store) Add(ctx context.Context, a Account, sec Secret) error {
	if err := ValidName(a.Name); err != nil {
		return err
	}
	if sec.Token.AccessToken == "" {
		return errors.New("accounts: no access token to store")
	}
	if err := s.free(a.Name); err != nil {
		return err
	}
	now := s.now()
	if sec.Token.IssuedAt.IsZero() {
		sec.Token.IssuedAt = now
	}
	fromToken(&a, sec.Token, now)
	if a.LinkedAt.IsZero() {
		a.LinkedAt = now
	}
	a.Backend = s.info.Name
	a.LastError, a.NeedsRelink = "", false

	if err := s.ensurePassphrase(ctx); err != nil { // ask before holding the lock
		return err
	}
	l, err := lockFile(s.deadline(ctx), s.lockPath(a.Name), a.Name)
	if err != nil {
		return err
	}
	defer l.unlock()
	// Another process may have added the name while this one waited for
	// the lock: do not overwrite its secret.
	if err := s.free(a.Name); err != nil {
		return err
	}
	s.releaseAdd() // the space Writable held is for this write
	if err := s.putSecret(ctx, a.Name, sec); err != nil {
		return err
	}
	if err := s.files.create(a); errors.Is(err, errFileExists) {
		return fmt.Errorf("%w: %s", ErrExists, a.Name)
	} else if err != nil {
		return err
	}
	return nil
}

// free says whether name can be added: nil, or ErrExists (with what is
// wrong when its file is damaged).
func (s *Store) free(name string) error {
	ok, err := s.files.exists(name)
	if err != nil || !ok {
		return err
	}
	if _, err := s.files.get(name); errors.Is(err, ErrDamaged) {
		return fmt.Errorf("%w: %s (%w)", ErrExists, name, err)
	}
	return fmt.Errorf("%w: %s", ErrExists, name)
}

// Writable makes sure a new secret can be stored now, before anything
// single-use (an authorization code) is spent for it: for the file keyring,
// that its passphrase is known (asked for through Config.Passphrase when
// there is one; ErrLocked when there is none).
//
// For the file keyring it also holds the disk space the new account's item
// will need (reserve.go), until Add writes it: a full disk fails here.
func (s *Store) Writable(ctx context.Context) error {
	if err := s.ensurePassphrase(ctx); err != nil {
		return err
	}
	return s.reserveForAdd()
}

// ensurePassphrase asks for the file backend's passphrase now (if needed),
// so that no prompt waits for a person while an account's lock is held.
func (s *Store) ensurePassphrase(ctx context.Context) error {
	if !s.file {
		return nil
	}
	_, err := s.passphrase(ctx)
	return err
}

func (s *Store) lockPath(name string) string { return filepath.Join(s.lockDir, name+".lock") }

// Secret reads an account's keyring item (may need the passphrase).
func (s *Store) Secret(ctx context.Context, name string) (Secret, error) {
	a, err := s.Account(name)
	if err != nil {
		return Secret{}, err
	}
	return s.secretOf(ctx, a)
}

func (s *Store) secretOf(ctx context.Context, a Account) (Secret, error) {
	if sec, ok := s.pendingSecret(ctx, a.Name); ok {
		return sec, nil
	}
	if a.Backend != "" && a.Backend != s.info.Name {
		return Secret{}, fmt.Errorf("%w: the secret of %s is in the %s keyring, but this tokenring uses the %s keyring (%s); set %s=%s",
			ErrKeyring, a.Name, a.Backend, s.info.Name, s.info.Reason, config.EnvKeyring, a.Backend)
	}
	data, err := s.getItem(ctx, itemKey(a.Name))
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return Secret{}, fmt.Errorf("%w: the %s keyring has no secret for %s; link it again", ErrNeedsRelink, s.info.Name, a.Name)
	}
	if err != nil {
		return Secret{}, err
	}
	var sec Secret
	if err := json.Unmarshal(data, &sec); err != nil {
		return Secret{}, fmt.Errorf("%w: the keyring item of %s is damaged", ErrKeyring, a.Name)
	}
	return sec, nil
}

func (s *Store) getItem(ctx context.Context, key string) ([]byte, error) {
	if s.file {
		if data, ok := s.readWithEnvPass(ctx, key); ok {
			return data, nil
		}
		p, err := s.passphrase(ctx)
		if err != nil {
			return nil, err
		}
		var data []byte
		err = s.call(ctx, "reading "+key, func() (e error) { data, e = s.fileGet(p, key); return })
		return data, err
	}
	var it keyring.Item
	err := s.call(ctx, "reading "+key, func() (e error) { it, e = s.kr.Get(key); return })
	if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) && !errors.Is(err, ErrKeyring) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: the %s keyring: %s", ErrKeyring, s.info.Name, termtext.Clean(err.Error()))
	}
	return it.Data, err
}

func (s *Store) putSecret(ctx context.Context, name string, sec Secret) error {
	data, err := json.Marshal(sec)
	if err != nil {
		return err
	}
	key := itemKey(name)
	if s.file {
		p, err := s.passphrase(ctx)
		if err != nil {
			return err
		}
		return s.call(ctx, "writing "+key, func() error { return s.fileSet(p, key, data) })
	}
	err = s.call(ctx, "writing "+key, func() error {
		return s.kr.Set(keyring.Item{Key: key, Data: data, Label: "tokenring: " + name, Description: "tokenring account " + name})
	})
	if err != nil && !errors.Is(err, ErrKeyring) {
		err = fmt.Errorf("%w: the %s keyring: %s", ErrKeyring, s.info.Name, termtext.Clean(err.Error()))
	}
	return err
}

func (s *Store) deleteItem(ctx context.Context, key string) error {
	if s.file {
		return s.fileRemove(key)
	}
	err := s.call(ctx, "removing "+key, func() error { return s.kr.Remove(key) })
	if err == nil || errors.Is(err, keyring.ErrKeyNotFound) {
		return nil
	}
	if !errors.Is(err, ErrKeyring) {
		err = fmt.Errorf("%w: the %s keyring: %s", ErrKeyring, s.info.Name, termtext.Clean(err.Error()))
	}
	return err
}

// Remove revokes (where the provider has a revocation endpoint and revoke
// is true: the refresh token, then the access token), then deletes the
// keyring item and the account's file. A failed revocation does not stop
// the removal: the account is gone and the error is a *RevokeError
// (errors.Is ErrRevokeFailed) to show as a warning. When revoking needs the
// file keyring's passphrase and there is none (ErrLocked, ErrBadPassphrase),
// nothing is removed: unlock and call Remove again. An account whose file
// is damaged (of a valid name) is removed without revoking: its provider is
// unknown, which a *RevokeError says when revoke was asked for.
func (s *Store) Remove(ctx context.Context, name string, revoke bool) error {
	a, err := s.Account(name)
	var revErr error
	if errors.Is(err, ErrDamaged) && ValidName(name) == nil {
		if revoke {
			revErr = errors.New("its provider is unknown (its account file was damaged)")
		}
		a, err, revoke = Account{Name: name}, nil, false
	}
	if err != nil {
		return err
	}
	if revoke && a.Provider.RevocationURL != "" {
		if err := s.ensurePassphrase(ctx); err != nil { // ask before holding the lock
			return err
		}
	}
	l, err := lockFile(s.deadline(ctx), s.lockPath(name), name)
	if err != nil {
		return err
	}
	defer l.unlock()

	if revoke && a.Provider.RevocationURL != "" {
		// Revoking needs the tokens: a locked keyring or a wrong passphrase
		// stops here, before anything is deleted, so the caller can unlock
		// and try again.
		sec, err := s.secretOf(ctx, a)
		switch {
		case errors.Is(err, ErrLocked), errors.Is(err, ErrBadPassphrase), errors.Is(err, ErrEmptyPass),
			errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return err
		case err != nil:
			revErr = err
		default:
			revErr = s.revoke(ctx, a, sec)
		}
	}
	if err := s.deleteItem(ctx, itemKey(name)); err != nil {
		return err
	}
	if err := s.files.remove(name); err != nil {
		return err
	}
	if revErr != nil {
		return &RevokeError{Name: name, Err: revErr}
	}
	return nil
}

func (s *Store) revoke(ctx context.Context, a Account, sec Secret) error {
	if s.cfg.Exchanger == nil {
		return errors.New("no network access configured")
	}
	var errs []error
	if rt := sec.Token.RefreshToken; rt != "" {
		if err := s.cfg.Exchanger.Revoke(ctx, a.Provider, sec.Secrets(), rt, "refresh_token"); err != nil {
			errs = append(errs, fmt.Errorf("refresh token: %w", err))
		}
	}
	if at := sec.Token.AccessToken; at != "" {
		if err := s.cfg.Exchanger.Revoke(ctx, a.Provider, sec.Secrets(), at, "access_token"); err != nil {
			errs = append(errs, fmt.Errorf("access token: %w", err))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("%w; %w", errs[0], errs[1])
}

// Unlock checks a passphrase for the file backend and keeps it for this
// process: ErrEmptyPass, ErrBadPassphrase (try again: nothing wrong is
// cached), or nil. A keyring that holds nothing yet takes it as its
// passphrase. Other backends need no passphrase: nil.
func (s *Store) Unlock(ctx context.Context, passphrase string) error {
	if !s.file {
		return nil
	}
	s.umu.Lock()
	defer s.umu.Unlock()
	return s.unlock(ctx, passphrase)
}

// Close releases the keyring. It first waits for the refreshes whose
// request may have spent a refresh token (Spending: bounded by their
// deadline and the exchanger's timeout) and tries once more to store new
// tokens held in memory; what Pending lists afterwards ends with the
// process. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.spends.Wait()
	s.flushPending()
	s.releaseAdd()
	s.pmu.Lock()
	forgetKEKs(s.pass)
	s.pass = ""
	for _, b := range s.boxes {
		b.wipe()
	}
	s.boxes = nil
	s.pmu.Unlock()
	return nil
}
