package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// IndexFile is where tokenring kept the metadata of every account, in one
// document, before each account had its own file (up to commit ffd1981).
// Open moves its accounts into account files once, then renames it to
// IndexFile+".migrated" (see migrate).
const IndexFile = "accounts.json"

// indexDoc is the old index's document: version 1, a list of accounts.
type indexDoc struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
}

// migrateHook, when set (tests), runs after each account file migrate writes.
var migrateHook func(written int)

// migrate moves the accounts of an old accounts.json into account files,
// losing nothing:
//
//   - It holds locks/index.lock throughout, the lock the old index's writers
//     took: a second process migrating at the same time waits, then finds
//     accounts.json gone and has nothing to do.
//   - Each account's file is created under the account's lock, only where
//     the account has no file yet: after a crash in the middle, the next
//     start writes the rest (the files written before hold the same data);
//     an account changed in the meantime keeps its file.
//   - Only when every file is written and synced is accounts.json renamed
//     to accounts.json.migrated (.migrated.2, ... if that exists), and kept.
//   - A damaged accounts.json is left as it is, nothing is written, and
//     every Open says so until it is repaired or moved away.
//
// Entries that the old index could hold but no file can (a name that is not
// an account name; a name given twice, of which the most recently issued
// token's entry is migrated, the one the keyring most likely holds) stay
// only in the kept accounts.json.migrated.
func (s *Store) migrate() error {
	path := filepath.Join(s.dir, IndexFile)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil // the usual case: one stat
	}
	l, err := lockFile(lockDeadline{timeout: time.Minute}, filepath.Join(s.lockDir, "index.lock"), "the account index")
	if err != nil {
		return err
	}
	defer l.unlock()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // another process migrated it while this one waited
	}
	if err != nil {
		return fmt.Errorf("reading the account index of an older tokenring, %s: %w", path, err)
	}
	accts, err := parseIndex(path, data)
	if err != nil {
		return err
	}
	for i, a := range accts {
		if err := s.migrateOne(a); err != nil {
			return fmt.Errorf("moving the accounts of %s into %s (nothing is lost: the next start goes on): %w", path, s.files.dir, err)
		}
		if migrateHook != nil {
			migrateHook(i + 1)
		}
	}
	return setAside(path)
}

// parseIndex decodes an old index and picks the entries to migrate, one per
// valid name, sorted by name.
func parseIndex(path string, data []byte) ([]Account, error) {
	var doc indexDoc
	err := json.Unmarshal(data, &doc)
	if err == nil && doc.Version > 1 {
		err = fmt.Errorf("version %d", doc.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the account index of an older tokenring, %s, cannot be read (%s). Nothing was migrated from it and it was left as it is: repair it, or move it away to go on without its accounts",
			ErrDamaged, path, cleanErr(err))
	}
	best := map[string]Account{}
	for _, a := range doc.Accounts {
		if ValidName(a.Name) != nil {
			continue
		}
		if b, ok := best[a.Name]; ok && !a.AccessIssued.After(b.AccessIssued) {
			continue
		}
		best[a.Name] = a
	}
	out := make([]Account, 0, len(best))
	for _, a := range best {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// migrateOne creates a's file unless it has one.
func (s *Store) migrateOne(a Account) error {
	l, err := lockFile(lockDeadline{timeout: time.Minute}, s.lockPath(a.Name), a.Name)
	if err != nil {
		return err
	}
	defer l.unlock()
	if err := s.files.create(a); err != nil && !errors.Is(err, errFileExists) {
		return err
	}
	return nil
}

// setAside renames the migrated index to the first free name of
// accounts.json.migrated, .migrated.2, ... (a second migration, of an index
// put back from a backup, keeps the first one's too).
func setAside(path string) error {
	for i := 1; i < 1000; i++ {
		to := path + ".migrated"
		if i > 1 {
			to += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(to); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Rename(path, to); err != nil {
			return fmt.Errorf("the accounts of %s were moved into account files, but renaming it failed: %w", path, err)
		}
		return syncDir(filepath.Dir(path))
	}
	return fmt.Errorf("the accounts of %s were moved into account files, but there are 999 %s.migrated files already", path, path)
}
