//go:build !unix

package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/tokenring/tokenring/internal/termtext"
)

var forwardedSignals = []os.Signal{os.Interrupt}

func parseSignal(s string) (os.Signal, error) {
	switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SIG")) {
	case "INT":
		return os.Interrupt, nil
	case "KILL":
		return os.Kill, nil
	}
	return nil, fmt.Errorf("--signal %q: only INT and KILL can be sent on this system", termtext.Snippet(s, 20))
}

type foreground struct{}

func openForeground() foreground              { return foreground{} }
func (foreground) close()                     {}
func (foreground) sentToGroup(os.Signal) bool { return false }
func dieBy(int)                               {}
