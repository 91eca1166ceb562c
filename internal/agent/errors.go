package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// Error is an error the agent answers: a kind a client maps back to the
// error the operation would have given in the client's own process (so
// exit codes and messages are the same with or without the agent), and the
// message (already free of secrets and control characters).
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// OAuth carries a provider's OAuth error (kind "oauth").
	OAuth *OAuthFields `json:"oauth,omitempty"`
}

// OAuthFields are a flow.OAuthError's.
type OAuthFields struct {
	Op          string `json:"op,omitempty"`
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
	Status      int    `json:"status,omitempty"`
}

// Error kinds.
const (
	KindNotFound      = "not_found"
	KindExists        = "exists"
	KindNeedsRelink   = "needs_relink"
	KindLocked        = "locked"
	KindBadPassphrase = "bad_passphrase"
	KindEmptyPass     = "empty_passphrase"
	KindKeyring       = "keyring"
	KindBadName       = "bad_name"
	KindDamaged       = "damaged"
	KindRevokeFailed  = "revoke_failed"
	KindShortLived    = "short_lived"
	KindNotStored     = "not_stored"
	KindOAuth         = "oauth"
	KindTimeout       = "timeout"
	KindUnreachable   = "unreachable"
	KindTLS           = "tls"
	KindBadResponse   = "bad_response"
	KindServer        = "server"
	KindCanceled      = "canceled"
	KindDeadline      = "deadline"
	KindVersion       = "version" // the agent speaks another protocol version
	KindBackend       = "backend" // the agent uses another keyring backend
	KindBadRequest    = "bad_request"
	KindOther         = "other"
)

// kinds pairs each kind with the error a client gets back (errors.Is).
var kinds = []struct {
	kind string
	err  error
}{
	{KindNotFound, accounts.ErrNotFound},
	{KindExists, accounts.ErrExists},
	{KindNeedsRelink, accounts.ErrNeedsRelink},
	{KindLocked, accounts.ErrLocked},
	{KindBadPassphrase, accounts.ErrBadPassphrase},
	{KindEmptyPass, accounts.ErrEmptyPass},
	{KindBadName, accounts.ErrBadName},
	{KindDamaged, accounts.ErrDamaged},
	{KindShortLived, accounts.ErrShortLived},
	{KindNotStored, accounts.ErrNotStored},
	{KindTimeout, flow.ErrTimeout},
	{KindUnreachable, flow.ErrUnreachable},
	{KindTLS, flow.ErrTLS},
	{KindBadResponse, flow.ErrBadResponse},
	{KindServer, flow.ErrServer},
	{KindKeyring, accounts.ErrKeyring},
	{KindCanceled, context.Canceled},
	{KindDeadline, context.DeadlineExceeded},
}

// toError turns an operation's error into what the agent answers.
func toError(err error) *Error {
	if err == nil {
		return nil
	}
	e := &Error{Kind: KindOther, Message: err.Error()}
	var re *accounts.RevokeError
	if errors.As(err, &re) {
		e.Kind, e.Message = KindRevokeFailed, re.Err.Error()
		return e
	}
	var oe *flow.OAuthError
	if errors.As(err, &oe) && !errors.Is(err, accounts.ErrNeedsRelink) {
		e.Kind = KindOAuth
		e.OAuth = &OAuthFields{Op: oe.Op, Code: oe.Code, Description: oe.Description, Status: oe.Status}
		return e
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			e.Kind = k.kind
			return e
		}
	}
	return e
}

// remoteError is an Error as a Go error in the client: its message is the
// agent's, errors.Is finds what the operation would have returned locally.
type remoteError struct {
	msg  string
	errs []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.errs }

// Err turns an answered Error back into a Go error (nil for nil).
func (e *Error) Err(name string) error {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case KindRevokeFailed:
		return &accounts.RevokeError{Name: name, Err: errors.New(e.Message)}
	case KindOAuth:
		if e.OAuth != nil {
			oe := &flow.OAuthError{Op: e.OAuth.Op, Code: e.OAuth.Code, Description: e.OAuth.Description, Status: e.OAuth.Status}
			return &remoteError{msg: e.Message, errs: []error{oe}}
		}
	case KindVersion, KindBackend:
		return fmt.Errorf("%w: %s", ErrNoAgent, e.Message)
	}
	for _, k := range kinds {
		if k.kind == e.Kind {
			return &remoteError{msg: e.Message, errs: []error{k.err}}
		}
	}
	return errors.New(e.Message)
}
