// Command kcprobe (accounts tests): writes, reads or removes one item in the
// kernel keyring through accounts, so a test can check that another process
// reads what one process wrote.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

func main() {
	s, err := accounts.Open(accounts.Config{Dir: os.Args[2], Backend: "keyctl"})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	switch os.Args[1] {
	case "add":
		err = s.Add(ctx, accounts.Account{Name: os.Args[3], Provider: flow.Provider{ID: "x"}},
			accounts.Secret{Token: flow.Token{AccessToken: os.Args[4], IssuedAt: time.Now()}})
	case "get":
		var sec accounts.Secret
		if sec, err = s.Secret(ctx, os.Args[3]); err == nil {
			fmt.Println(sec.Token.AccessToken)
		}
	case "remove":
		err = s.Remove(ctx, os.Args[3], false)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
