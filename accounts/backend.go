package accounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	busguard "busguard.tokenring.invalid" // initializes before github.com/99designs/keyring: see its doc
	"github.com/99designs/keyring"
	"github.com/tokenring/tokenring/internal/config"
	"github.com/tokenring/tokenring/internal/termtext"
)

func init() {
	// keyring's init functions (which dial the session bus) have run by
	// now: this package imports keyring. Programs tokenring starts later
	// (a browser, a clipboard tool) must not inherit the guard's address.
	busguard.Restore()
}

// Keyring item keys. Names are checked by ValidName, so a key is also a
// plain file name in the file backend (percent-encoding changes nothing).
const (
	keyPrefix = "tokenring.account."
	checkKey  = "tokenring.passphrase-check"
	tmpPrefix = "tokenring.tmp."
	// KeyringDir is the file backend's directory inside the config directory.
	KeyringDir = "keyring"
)

func itemKey(name string) string { return keyPrefix + name }

// backendNames are keyring's backend names tokenring accepts.
var backendNames = []string{"keychain", "wincred", "secret-service", "kwallet", "pass", "keyctl", "file"}

func knownBackend(name string) bool {
	for _, b := range backendNames {
		if b == name {
			return true
		}
	}
	return false
}

func registered(name string) bool {
	for _, b := range keyring.AvailableBackends() {
		if string(b) == name {
			return true
		}
	}
	return false
}

// howToChoose is the advice every keyring failure ends with.
const howToChoose = "choose another keyring with " + config.EnvKeyring + "=file (the encrypted file keyring) or [keyring] backend in " + config.FileName

func (s *Store) keyringConfig(name string) keyring.Config {
	return keyring.Config{
		AllowedBackends:         []keyring.BackendType{keyring.BackendType(name)},
		ServiceName:             "tokenring",
		LibSecretCollectionName: s.collection,
		KWalletAppID:            "tokenring",
		KWalletFolder:           "tokenring",
		KeyCtlScope:             "user",
		KeychainName:            "login",
		FileDir:                 s.fileDir,
		FilePasswordFunc:        func(string) (string, error) { return "", ErrLocked },
		PassPrefix:              "tokenring",
		WinCredPrefix:           "tokenring",
	}
}

// whyMissing explains why keyring did not register a backend.
func whyMissing(name string) string {
	switch name {
	case "secret-service", "kwallet":
		if runtime.GOOS != "linux" {
			return "it exists only on Linux"
		}
		if busguard.Guarded() {
			return "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and /run/user/" + strconv.Itoa(os.Getuid()) + "/bus does not exist)"
		}
		if busguard.Skipped() {
			return busguard.EnvKeyring + " names a keyring that does not use D-Bus, so tokenring did not connect to the session bus"
		}
		if name == "kwallet" && os.Getenv("DISABLE_KWALLET") == "1" {
			return "DISABLE_KWALLET=1 is set"
		}
		return "the D-Bus session bus did not answer when tokenring started"
	case "keychain":
		return "it exists only on macOS"
	case "wincred":
		return "it exists only on Windows"
	case "keyctl":
		return "the kernel keyring exists only on Linux"
	}
	return "this build of tokenring does not include it"
}

// openBackend opens one backend alone (keyring.Open would hide its error
// behind ErrNoAvailImpl), within timeout.
func (s *Store) openBackend(name string, timeout time.Duration) (keyring.Keyring, error) {
	if !registered(name) {
		return nil, errors.New(whyMissing(name))
	}
	type res struct {
		k   keyring.Keyring
		err error
	}
	ch := make(chan res, 1)
	go func() {
		k, err := keyring.Open(s.keyringConfig(name))
		if errors.Is(err, keyring.ErrNoAvailImpl) {
			if real := diagnose(name); real != nil {
				err = real
			} else {
				err = errors.New("keyring gave no reason")
			}
		}
		ch <- res{k, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, errors.New(termtext.Clean(r.err.Error()))
		}
		return r.k, nil
	case <-t.C:
		return nil, fmt.Errorf("it did not answer within %s (an unlock prompt may be waiting on a screen nobody sees)", timeout)
	}
}

// choose picks and opens the backend.
func (s *Store) choose(cfg Config) error {
	name, source := cfg.Backend, cfg.BackendSource
	if source == "" {
		source = "the caller"
	}
	if name != "" {
		name = strings.ToLower(strings.TrimSpace(name))
		if !knownBackend(name) {
			return fmt.Errorf("%w: %q (chosen by %s) is not a keyring backend; use one of %s", ErrKeyring, termtext.Clean(name), source, strings.Join(backendNames, ", "))
		}
		reason := "chosen by " + source
		if name == "file" {
			s.useFile(reason)
			return nil
		}
		k, err := s.openBackend(name, s.timeout)
		if err != nil {
			return fmt.Errorf("%w: the %s keyring (%s) cannot be used: %v; %s", ErrKeyring, name, reason, err, howToChoose)
		}
		if name == "keyctl" {
			reason += "; the kernel keyring keeps secrets only until the machine restarts"
		}
		s.kr, s.info = k, BackendInfo{Name: name, Reason: reason}
		return nil
	}

	// Automatic: the OS keyring when one answers, else the file backend.
	// keyctl and pass are never chosen automatically (keyctl forgets
	// everything at reboot; pass needs its own setup).
	probe := s.timeout
	if probe > 5*time.Second {
		probe = 5 * time.Second
	}
	var why []string
	for _, name := range []string{"keychain", "wincred", "secret-service", "kwallet"} {
		if !registered(name) {
			if (name == "secret-service" || name == "kwallet") && runtime.GOOS == "linux" {
				why = append(why, name+": "+whyMissing(name))
			}
			continue
		}
		k, err := s.openBackend(name, probe)
		if err != nil {
			why = append(why, name+": "+err.Error())
			continue
		}
		s.kr, s.info = k, BackendInfo{Name: name, Reason: "the OS keyring (" + name + ") answered"}
		return nil
	}
	reason := "no OS keyring answered"
	if len(why) > 0 {
		reason += " (" + strings.Join(dedupe(why), "; ") + ")"
	}
	s.useFile(reason + "; using the encrypted file keyring")
	return nil
}

func dedupe(in []string) []string {
	// secret-service and kwallet share the bus reason; say it once.
	if len(in) == 2 && strings.HasPrefix(in[0], "secret-service: there is no D-Bus") && strings.HasPrefix(in[1], "kwallet: there is no D-Bus") {
		return []string{strings.TrimPrefix(in[0], "secret-service: ")}
	}
	return in
}

func (s *Store) useFile(reason string) {
	s.file = true
	s.info = BackendInfo{Name: "file", Reason: reason, Path: s.fileDir}
	s.recoverRekey() // a passphrase change a killed process left (rekey.go)
	s.cleanTemp()
}

// call runs f with the store's deadline. A call that does not answer in
// time gives an error naming the backend and how to choose another; the
// goroutine is left to finish on its own (a keyring call cannot be
// cancelled).
func (s *Store) call(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w: the %s keyring did not answer within %s while %s (is an unlock prompt waiting on a screen nobody sees?); %s",
			ErrKeyring, s.info.Name, s.timeout, op, howToChoose)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// ---- file backend ----------------------------------------------------

func (s *Store) fileRing(pass string) keyring.Keyring { return s.fileRingAt(s.fileDir, pass) }

// fileRingAt is keyring's file backend on dir with the password pass (a
// derived key, kdf.go; the passphrase itself for an older tokenring's item).
func (s *Store) fileRingAt(dir, pass string) keyring.Keyring {
	c := s.keyringConfig("file")
	c.FileDir = dir
	c.FilePasswordFunc = func(string) (string, error) {
		if wiped(pass) { // no key, or a key box overwritten by Close
			return "", ErrLocked
		}
		return pass, nil
	}
	k, err := keyring.Open(c)
	if err != nil { // the file backend always registers
		panic("accounts: the keyring file backend is missing: " + err.Error())
	}
	return k
}

// fileKeys lists the file keyring without the passphrase.
func (s *Store) fileKeys() ([]string, error) { return itemKeys(s.fileDir) }

// itemKeys lists the items of the file keyring in dir.
func itemKeys(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: listing %s: %v", ErrKeyring, dir, err)
	}
	var keys []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, tmpPrefix) || !strings.HasPrefix(n, "tokenring.") {
			continue
		}
		keys = append(keys, n)
	}
	return keys, nil
}

func (s *Store) fileIsNew() bool {
	keys, err := s.fileKeys()
	return err == nil && len(keys) == 0
}

// fileGet reads one item with pass. A decryption failure of a well-formed
// item is a wrong passphrase, unless the item tells why the key does not
// open it (fileKeyMismatch).
func (s *Store) fileGet(pass, key string) ([]byte, error) {
	it, err := s.fileRing(pass).Get(key)
	if err == nil {
		return it.Data, nil
	}
	if errors.Is(err, keyring.ErrKeyNotFound) || errors.Is(err, ErrLocked) {
		return nil, err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrKeyring, pe.Path, pe.Err)
	}
	raw, rerr := os.ReadFile(filepath.Join(s.fileDir, key))
	if rerr == nil && strings.Count(strings.TrimSpace(string(raw)), ".") == 4 {
		if why := s.fileKeyMismatch(pass, key); why != nil {
			return nil, why
		}
		return nil, ErrBadPassphrase
	}
	return nil, fmt.Errorf("%w: the keyring item %s is damaged (%s)", ErrKeyring, key, termtext.Clean(err.Error()))
}

// fileSet writes an item atomically: keyring writes in place, so the item
// goes to a temp key first, is synced, then renamed over the real one. It
// holds the keyring's swap lock shared (a passphrase change holds it
// exclusively), and writes only with the key of the keyring's kdf.json.
func (s *Store) fileSet(pass, key string, data []byte) error {
	if err := os.MkdirAll(s.fileDir, 0o700); err != nil {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	l, err := s.lockSwap(context.Background(), false)
	if err != nil {
		return err
	}
	defer l.unlock()
	if err := s.keyCurrent(pass); err != nil {
		return err
	}
	tmp := tempName(key)
	if err := s.fileRing(pass).Set(keyring.Item{Key: tmp, Data: data, Label: key}); err != nil {
		os.Remove(filepath.Join(s.fileDir, tmp))
		if errors.Is(err, ErrLocked) {
			return err
		}
		return fmt.Errorf("%w: writing %s: %s", ErrKeyring, key, termtext.Clean(err.Error()))
	}
	tp := filepath.Join(s.fileDir, tmp)
	if f, err := os.Open(tp); err == nil {
		_ = f.Sync()
		f.Close()
	}
	if err := os.Rename(tp, filepath.Join(s.fileDir, key)); err != nil {
		os.Remove(tp)
		return fmt.Errorf("%w: writing %s: %v", ErrKeyring, key, err)
	}
	return syncDir(s.fileDir)
}

func (s *Store) fileRemove(key string) error {
	l, err := s.lockSwap(context.Background(), false)
	if err != nil {
		return err
	}
	defer l.unlock()
	err = os.Remove(filepath.Join(s.fileDir, key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %v", ErrKeyring, err)
	}
	return syncDir(s.fileDir)
}

// ---- passphrase ------------------------------------------------------

// passphrase returns the file keyring's verified key (derived from the
// passphrase, kdf.go), asking for the passphrase when no key is known:
// Config.EnvPassphrase, then the Passphrase callback, else ErrLocked.
func (s *Store) passphrase(ctx context.Context) (string, error) {
	if p, unconverted := s.keyState(); p != "" && !unconverted {
		return p, nil
	}
	s.umu.Lock() // one prompt at a time
	defer s.umu.Unlock()
	if p, unconverted := s.keyState(); p != "" {
		if unconverted {
			// The key came from readWithEnvPass: go on with an interrupted
			// conversion as the unlock it skipped would have (a keyring
			// an older tokenring wrote, half converted when a process was
			// killed), or the next item of an older tokenring this store
			// reads cannot be opened with the key.
			pw := []byte(s.cfg.EnvPassphrase)
			defer clear(pw)
			if err := s.convertItems(ctx, pw, p); err != nil {
				return "", fmt.Errorf("%s: %w", config.EnvPassphrase, err)
			}
			s.pmu.Lock()
			s.unconverted = false
			s.pmu.Unlock()
		}
		return p, nil
	}
	if env := s.cfg.EnvPassphrase; env != "" {
		if err := s.unlock(ctx, env); err != nil {
			return "", fmt.Errorf("%s: %w", config.EnvPassphrase, err)
		}
		return s.key(), nil
	}
	if s.cfg.Passphrase == nil {
		return "", ErrLocked
	}
	prompt := "Keyring passphrase"
	if s.fileIsNew() {
		prompt = "Choose a passphrase for the new keyring"
	}
	p, err := s.cfg.Passphrase(prompt)
	if err != nil {
		return "", err
	}
	if err := s.unlock(ctx, p); err != nil {
		return "", err
	}
	return s.key(), nil
}

// choosePassphrase makes pw the passphrase of a keyring that holds nothing
// yet: kdf.json with new parameters and salt, and a check item encrypted
// with the key derived from pw. Two first-time processes must not each
// encrypt under their own passphrase (one keyring, two passphrases: the
// loser's items could never be read with the winner's), so "is it new?"
// and writing the check item happen under locks/keyring.lock; the loser
// finds the check item and is told the keyring already has a passphrase
// (unless it typed the same).
func (s *Store) choosePassphrase(ctx context.Context, pw []byte) error {
	l, err := lockFile(s.deadline(ctx), filepath.Join(s.lockDir, "keyring.lock"), "the keyring")
	if err != nil {
		return err
	}
	defer l.unlock()
	keys, err := s.fileKeys()
	if err != nil {
		return err
	}
	if check := pickCheck(keys); check != "" {
		box, err := s.openWith(ctx, pw, check, true)
		if errors.Is(err, ErrBadPassphrase) {
			return fmt.Errorf("%w: the keyring got its passphrase from another tokenring a moment ago; use that one", ErrBadPassphrase)
		}
		if err != nil {
			return err
		}
		s.setKey(box)
		return nil
	}
	d, ok, err := readKDF(s.fileDir)
	if err != nil {
		return err
	}
	if !ok {
		if d, err = newKDFDoc(s.kdfParams()); err != nil {
			return fmt.Errorf("%w: %v", ErrKeyring, err)
		}
		if err := writeKDF(s.fileDir, d, false); err != nil {
			return fmt.Errorf("%w: writing %s: %v", ErrKeyring, KDFFile, err)
		}
	}
	box := deriveKey(pw, d)
	if err := s.fileSet(box.String(), checkKey, []byte("tokenring passphrase check")); err != nil {
		box.wipe()
		return err
	}
	s.setKey(box)
	return nil
}

// unlock checks p against the file keyring and keeps the key derived from
// it. A keyring with nothing in it takes p as its passphrase. A keyring of
// an older tokenring (items encrypted with the passphrase itself) gets
// kdf.json and its items are re-encrypted with the derived key (kdf.go).
func (s *Store) unlock(ctx context.Context, p string) error {
	pw := []byte(p)
	defer clear(pw)
	return s.unlockBytes(ctx, pw)
}

func (s *Store) unlockBytes(ctx context.Context, pw []byte) error {
	if len(pw) == 0 {
		return ErrEmptyPass
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("unlocking: %w", err)
	}
	s.recoverRekey()
	keys, err := s.fileKeys()
	if err != nil {
		return err
	}
	check := pickCheck(keys)
	if check == "" {
		return s.choosePassphrase(ctx, pw)
	}
	box, err := s.openWith(ctx, pw, check, false)
	if err != nil {
		return err
	}
	s.setKey(box)
	return s.convertItems(ctx, pw, box.String())
}
