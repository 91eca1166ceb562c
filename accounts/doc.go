// Package accounts owns linked accounts and their secrets: the keyring
// backends (github.com/99designs/keyring), the account index, status derived
// from a clock, the refresh policy and cross-process locking.
//
// It never imports net/http, Bubble Tea or lipgloss: network calls go through
// a flow.Exchanger that main.go passes in.
//
// Files in the config directory (0700):
//
//	accounts.json        the index (no secret), replaced atomically, 0600
//	keyring/             the file backend: one PBES2-encrypted item per account
//	                     (tokenring.account.NAME) plus tokenring.passphrase-check
//	locks/NAME.lock      flock(2) per account: one refresh at a time across processes
//	locks/index.lock     flock(2) around read-modify-write of the index
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
// account's lock file; after taking the lock the index and the keyring item
// are read again and a token another process just refreshed is used. The
// new (rotated) refresh token is written to the keyring before the index is
// updated and before the token is returned. Transient failures are tried 3
// times; invalid_grant marks the account NeedsRelink.
package accounts
