// Command tokenring is a terminal account manager for OAuth 2.0 tokens.
//
// Everything lives in packages (see README.md, "Architecture"); the command
// line is internal/cli.
package main

import (
	"os"

	"github.com/tokenring/tokenring/internal/cli"
)

func main() { os.Exit(cli.Main()) }
