// Package flow holds the OAuth 2.0 logic of tokenring that needs no network:
// providers and presets, authorization requests (state, PKCE, nonce), reading
// what the user pastes back, token sets and their expiry, JWT decoding, OAuth
// errors, and the Exchanger interface that the HTTP side (flow/exchange)
// implements.
//
// The package never imports net/http, Bubble Tea or lipgloss, so that ui/ and
// accounts/ can use its types without reaching the network stack.
package flow
