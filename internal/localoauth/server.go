package localoauth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Server is one running provider emulation.
type Server struct {
	URL string // http://127.0.0.1:PORT, no trailing slash

	mu   sync.Mutex
	now  func() time.Time
	reqs []Recorded
}

// Close stops the server, also cutting stalled requests short.
func (s *Server) Close() {}

// Count is how many HTTP requests arrived at path (e.g. "/oauth/token").
func (s *Server) Count(path string) int { return 0 }

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Recorded { return nil }

// Approve plays the user's browser and consent.
func (s *Server) Approve(authURL string) (string, error) { return "", errors.New("todo") }

// Deny plays a user who refuses consent.
func (s *Server) Deny(authURL string) (string, error) { return "", errors.New("todo") }

// ApproveDevice approves a device authorization by its user code.
func (s *Server) ApproveDevice(userCode string) error { return errors.New("todo") }

// DenyDevice denies a device authorization by its user code.
func (s *Server) DenyDevice(userCode string) error { return errors.New("todo") }

// SetNow sets the clock used for expiry (default time.Now).
func (s *Server) SetNow(f func() time.Time) {}

// RevokeAll invalidates every refresh token (and access token).
func (s *Server) RevokeAll() {}

// SetFail makes the next requests fail.
func (s *Server) SetFail(f Failure) {}

// NewWarhorn starts a Warhorn emulation: /oauth/authorize, /oauth/token.
func NewWarhorn(o WarhornOptions) *Server { return &Server{} }

// NewDressipi starts a Dressipi emulation: /oauth/authorize, /oauth/token.
func NewDressipi(o DressipiOptions) *Server { return &Server{} }

// NewOIDC starts a generic OpenID Connect provider.
func NewOIDC(o OIDCOptions) *Server { return &Server{} }

// Serve blocks until ctx ends, then closes s.
func Serve(ctx context.Context, s *Server) error { <-ctx.Done(); s.Close(); return nil }
