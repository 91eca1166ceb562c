// Command tokenring is a terminal account manager for OAuth 2.0 tokens.
//
// Everything lives in packages (see README.md, "Architecture"); the command
// line is internal/cli.
package main

import (
	"os"

	// Answers `tokenring token NAME` from a running unlock agent in its
	// init, before the rest of tokenring initializes (internal/agentfast).
	_ "agentfast.tokenring.invalid/fast"

	"github.com/tokenring/tokenring/internal/cli"
)

func main() { os.Exit(cli.Main()) }
