//go:build !(linux || darwin || freebsd)

package agent

import (
	"context"
	"errors"
)

// Server is a running agent (none on this system).
type Server struct{}

// Listen fails: no agent on this system (Supported is false).
func Listen(Config) (*Server, error) { return nil, errors.New(unsupported) }

// Serve does nothing.
func (*Server) Serve(context.Context) error { return errors.New(unsupported) }

// Paths are empty.
func (*Server) Paths() Paths { return Paths{} }

// Stop does nothing.
func (*Server) Stop() {}
