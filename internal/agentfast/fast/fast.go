// Package fast answers `tokenring token NAME` from the user's running
// unlock agent in its init function, and ends the process there, before
// the rest of tokenring initializes (see package agentfast). Only the
// exact command line "tokenring token NAME" takes this path; anything else,
// and every failure (no agent, a locked one, an error for the account),
// goes on to the full command line, which asks the agent again and reports
// as usual. Imported by main.go only.
package fast
