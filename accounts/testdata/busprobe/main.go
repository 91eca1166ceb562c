// Command busprobe is built by the accounts tests: it imports accounts (so
// busguard and keyring initialize as in tokenring), then reports what a
// headless start looks like.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/keyring"

	"github.com/tokenring/tokenring/accounts"
)

func main() {
	fmt.Printf("DBUS_SESSION_BUS_ADDRESS=%q\n", os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	fmt.Printf("backends=%v\n", keyring.AvailableBackends())
	s, err := accounts.Open(accounts.Config{Dir: os.Args[1]})
	if err != nil {
		fmt.Println("open error:", err)
		os.Exit(1)
	}
	b := s.Backend()
	fmt.Printf("backend=%s\nreason=%s\n", b.Name, b.Reason)
}
