package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/tokenring/tokenring/accounts"
)

// ErrNoAgent: no agent could be asked (none runs, the socket is not this
// user's, this system has no agent). Nothing was sent: the caller can do
// the work itself.
var ErrNoAgent = errors.New("no unlock agent is running")

// ErrAgentGone: the agent took the request but gave no answer (it ended);
// whether the operation happened is unknown.
var ErrAgentGone = errors.New("the unlock agent stopped answering")

// Client asks the agent of one config directory.
type Client struct {
	Paths Paths
	// Backend, when set, is the keyring backend the user asked for: an
	// agent with another answers ErrNoAgent.
	Backend string
	// Timeout bounds a call without a deadline of its own (default 3 min:
	// a refresh may wait for a slow provider).
	Timeout time.Duration
}

// NewClient is a client for the agent of the config directory dir.
func NewClient(dir, runtimeDir, backend string) *Client {
	return &Client{Paths: PathsFor(runtimeDir, dir), Backend: backend}
}

func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	if !Supported {
		return nil, fmt.Errorf("%w: %s", ErrNoAgent, unsupported)
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", c.Paths.Socket)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoAgent, err)
	}
	uc := conn.(*net.UnixConn)
	uid, _, err := connPeer(uc)
	if err != nil || uid != os.Getuid() {
		uc.Close()
		return nil, fmt.Errorf("%w: the socket %s is not served by your user (uid %d)", ErrNoAgent, c.Paths.Socket, uid)
	}
	return uc, nil
}

// Call sends req and reads the answer. An answer with an error is
// returned as the response (see Error.Err); the error is ErrNoAgent when
// nothing was sent, ErrAgentGone when no answer came.
func (c *Client) Call(ctx context.Context, req Request) (*Response, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	req.V = Version
	if req.Backend == "" {
		req.Backend = c.Backend
	}
	line, err := marshalLine(req)
	if err != nil {
		return nil, err
	}
	_, err = conn.Write(line)
	clear(line) // an unlock's passphrase
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAgentGone, err)
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	answer, err := readLine(r)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrAgentGone, err)
	}
	var resp Response
	if err := json.Unmarshal(answer, &resp); err != nil {
		return nil, fmt.Errorf("%w: an answer that is not JSON", ErrAgentGone)
	}
	if resp.V != Version {
		return nil, fmt.Errorf("%w: the agent speaks protocol version %d, this tokenring %d", ErrNoAgent, resp.V, Version)
	}
	return &resp, nil
}

// do calls and turns an answered error into a Go error.
func (c *Client) do(ctx context.Context, name string, req Request) (*Response, error) {
	resp, err := c.Call(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error.Err(name)
	}
	return resp, nil
}

// Status asks the agent for its state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	resp, err := c.do(ctx, "", Request{Op: OpStatus})
	if err != nil {
		return nil, err
	}
	if resp.Status == nil {
		return nil, fmt.Errorf("%w: no status in the answer", ErrAgentGone)
	}
	return resp.Status, nil
}

// Unlock hands the passphrase (nil for a keyring without one) to the agent
// and unlocks it for d (0: until locked).
func (c *Client) Unlock(ctx context.Context, passphrase []byte, d time.Duration) (*Status, error) {
	resp, err := c.do(ctx, "", Request{Op: OpUnlock, Passphrase: passphrase, ForMS: d.Milliseconds()})
	if err != nil {
		return nil, err
	}
	return resp.Status, nil
}

// Lock makes the agent forget its key (a detached agent then exits).
func (c *Client) Lock(ctx context.Context) (*Status, error) {
	resp, err := c.do(ctx, "", Request{Op: OpLock})
	if err != nil {
		return nil, err
	}
	return resp.Status, nil
}

// Token gets a valid access token of name, refreshed first when needed or
// when it would not stay valid for minValid; withAPIKey also gets the
// account's API key. A good token may come with a *Warning (as the error:
// check the token first).
func (c *Client) Token(ctx context.Context, name string, minValid time.Duration, withAPIKey bool) (*TokenOut, error) {
	resp, err := c.do(ctx, name, Request{Op: OpToken, Name: name, MinValidMS: minValid.Milliseconds(), WithAPIKey: withAPIKey})
	if err != nil {
		return nil, err
	}
	if resp.Token == nil {
		return nil, fmt.Errorf("%w: no token in the answer", ErrAgentGone)
	}
	if resp.Warning != nil {
		return resp.Token, resp.Warning
	}
	return resp.Token, nil
}

// Show gets name's tokens as stored, to show (no refresh token).
func (c *Client) Show(ctx context.Context, name string) (*TokenOut, error) {
	resp, err := c.do(ctx, name, Request{Op: OpShow, Name: name})
	if err != nil {
		return nil, err
	}
	if resp.Token == nil {
		return nil, fmt.Errorf("%w: no token in the answer", ErrAgentGone)
	}
	return resp.Token, nil
}

// Refresh refreshes name now, or (ifDue) only if still due.
func (c *Client) Refresh(ctx context.Context, name string, ifDue bool) (accounts.Account, error) {
	resp, err := c.do(ctx, name, Request{Op: OpRefresh, Name: name, IfDue: ifDue})
	if err != nil {
		return accounts.Account{}, err
	}
	if resp.Account == nil {
		return accounts.Account{}, fmt.Errorf("%w: no account in the answer", ErrAgentGone)
	}
	return *resp.Account, nil
}

// Add stores a newly linked account and its secret.
func (c *Client) Add(ctx context.Context, a accounts.Account, sec accounts.Secret) error {
	_, err := c.do(ctx, a.Name, Request{Op: OpAdd, Account: &a, Secret: &sec})
	return err
}

// Writable makes sure the agent can store a newly linked account now (room
// on the keyring's disk), before its code is spent.
func (c *Client) Writable(ctx context.Context) error {
	_, err := c.do(ctx, "", Request{Op: OpWritable})
	return err
}

// Remove removes name, revoking its tokens first when revoke is set.
func (c *Client) Remove(ctx context.Context, name string, revoke bool) error {
	_, err := c.do(ctx, name, Request{Op: OpRemove, Name: name, Revoke: revoke})
	return err
}
