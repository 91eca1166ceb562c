// Command nobusguard is the control for the busguard test: it imports
// keyring without busguard, so godbus runs dbus-launch on a headless box.
package main

import (
	"fmt"

	"github.com/99designs/keyring"
)

func main() { fmt.Printf("backends=%v\n", keyring.AvailableBackends()) }
