// Command localoauth runs one of tokenring's local OAuth provider emulations
// as a standalone process on 127.0.0.1, for end-to-end tests and demos.
// See localoauth.Main for flags, environment and control endpoints.
package main

import (
	"os"

	"github.com/tokenring/tokenring/internal/localoauth"
)

func main() { os.Exit(localoauth.Main(os.Args[1:], os.Stdout, os.Stderr)) }
