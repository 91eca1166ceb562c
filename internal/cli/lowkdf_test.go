package cli

import "github.com/tokenring/tokenring/accounts"

// These tests unlock many file keyrings: Argon2id at its real cost (~0.4 s,
// ~1.5 s under the race detector) each time would take minutes.
func init() { accounts.UseLowCostKDFForTests() }
