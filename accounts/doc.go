// Package accounts owns linked accounts and their secrets: the keyring
// backends (github.com/99designs/keyring), the account files, status derived
// from a clock, the refresh policy and cross-process locking.
//
// It never imports net/http, Bubble Tea or lipgloss: network calls go through
// a flow.Exchanger that main.go passes in.
//
// Files in the config directory (0700):
//
//	accounts/NAME.json   one account's metadata (no secret), ~1 KB, 0600,
//	                     replaced atomically (temp file, fsync, rename,
//	                     fsync of the directory) under locks/NAME.lock
//	keyring/             the file backend: one PBES2-encrypted item per account
//	                     (tokenring.account.NAME) plus tokenring.passphrase-check
//	locks/NAME.lock      flock(2) per account: everything that changes the
//	                     account (add, refresh, remove) holds it
//	locks/index.lock     flock(2) around the migration of accounts.json
//	accounts.json.migrated
//	                     the one index of all accounts that earlier tokenrings
//	                     kept (accounts.json): Open moves its accounts into
//	                     accounts/ once and keeps it under this name, which
//	                     nothing reads again (migrate.go)
//
// Reads take no lock (files are replaced, never rewritten in place). Add
// creates the file only where none exists, under the account's lock and with
// a hard link that never replaces a file, so one name has one file: two
// processes adding it cannot both win. An account file that cannot be used
// (truncated, not JSON, another account's name inside, named after no valid
// name, from a newer tokenring) gives one answer everywhere: Accounts lists
// it as damaged (StatusDamaged, with the path and what to do) and Account,
// Token, Refresh and Secret of its name return a *DamagedError.
//
// Backend choice (made here, once): Config.Backend (internal/config resolves
// TOKENRING_KEYRING and config.toml into it), else the OS keyring
// (Keychain, Windows Credential Manager, Secret Service, KWallet) when one
// answers within min(Timeout, 5 s), else the encrypted file backend. keyctl
// and pass are used only when chosen. BackendInfo says which and why; a
// chosen backend that fails is an error with keyring's real reason (never a
// fallback). On a box without a D-Bus session bus, the separate module
// busguard.tokenring.invalid (internal/busguard) keeps godbus from running
// dbus-launch while keyring initializes.
//
// Refresh: per account, one flight per process (callers share it) under the
// account's lock file; after taking the lock the account's file and keyring
// item are read again and a token another process just refreshed is used.
// The new (rotated) refresh token is written to the keyring before the
// account's file and before the token is returned. Transient failures are
// tried 3 times; invalid_grant marks the account NeedsRelink.
package accounts
