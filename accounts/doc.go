// Package accounts owns linked accounts and their secrets: the keyring
// backends (github.com/99designs/keyring), the account index, status derived
// from a clock, the refresh policy and cross-process locking.
//
// It never imports net/http, Bubble Tea or lipgloss: network calls go through
// a flow.Exchanger that main.go passes in.
package accounts
