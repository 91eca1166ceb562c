//go:build windows

package cli

import (
	"errors"
	"runtime"
)

// spawnAgent: there is no agent on Windows (agent.Supported is false).
func (a *app) spawnAgent(string) (func() error, error) {
	return nil, errors.New("there is no unlock agent on Windows")
}

func osName() string { return runtime.GOOS }
