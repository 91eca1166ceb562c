// Package agent is tokenring's unlock agent: one process per user and
// config directory that holds the file keyring's key (or uses the OS
// keyring) after `tokenring unlock`, hands tokens to the CLI and the TUI
// without a passphrase prompt, and refreshes every account in the
// background ahead of expiry.
//
// Protocol. A Unix socket in $XDG_RUNTIME_DIR/tokenring/ (else a private
// directory in the OS's temporary directory; PathsFor names it, one
// agent per config directory). Each request and each answer is one line of
// JSON carrying "v":1; a connection may carry several requests in turn.
// The operations are only what the commands need (Op*): a token for one
// account (with a minimum validity), the tokens of one account to show
// (access and ID tokens; never its refresh token, client secret or API key
// unless asked for the API key), refresh one, make room for a new account
// and add it (the client ran the OAuth flow; the agent writes the secret),
// remove one
// (revoking or not), status, unlock and lock. There is no operation that
// lists secrets.
//
// Security. The socket's directory is the user's own and private (0700,
// checked), the socket 0600, and the agent checks the peer credentials of
// every connection (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS and
// FreeBSD): a process of another user is refused, even one that can reach
// the socket. Clients check the agent's credentials the same way. On Linux
// the agent is not dumpable (no core dump, no ptrace attach by other
// processes of the user, /proc/PID/mem closed) and its core size limit is
// 0. It never has the passphrase in its environment or argv: `unlock`
// starts it detached and hands the passphrase over the socket; the agent
// derives the key (accounts' Argon2id) and overwrites the passphrase's
// bytes. The key lives in one place (accounts' key box) and is overwritten
// on lock, when the unlock period ends, and on exit.
//
// On systems without peer credentials for Unix sockets (Windows and the
// rarer Unix flavours) there is no agent: Supported is false, the commands
// say so, and everything works as without an agent.
package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
)

// Version is the protocol's version, "v" in every line.
const Version = 1

// Operations.
const (
	OpStatus  = "status"
	OpUnlock  = "unlock"
	OpLock    = "lock"
	OpToken   = "token"
	OpShow    = "show"
	OpRefresh = "refresh"
	OpAdd     = "add"
	// OpWritable makes sure a newly linked account can be stored (room
	// reserved on the keyring's disk) before its single-use code is spent.
	OpWritable = "writable"
	OpRemove   = "remove"
)

// Request is one line a client sends.
type Request struct {
	V  int    `json:"v"`
	Op string `json:"op"`
	// Name is the account of token, show, refresh and remove.
	Name string `json:"name,omitempty"`
	// Backend, when the client was told which keyring backend to use
	// (TOKENRING_KEYRING), must be the agent's.
	Backend string `json:"backend,omitempty"`
	// MinValidMS (token): refresh first unless the token stays valid this
	// long (milliseconds).
	MinValidMS int64 `json:"min_valid_ms,omitempty"`
	// WithAPIKey (token): also send the account's API key (the provider's
	// API wants it beside the token).
	WithAPIKey bool `json:"with_api_key,omitempty"`
	// IfDue (refresh): only if still due under the policy (background).
	IfDue bool `json:"if_due,omitempty"`
	// Revoke (remove): revoke the tokens at the provider first.
	Revoke bool `json:"revoke,omitempty"`
	// Account and Secret (add): the newly linked account.
	Account *accounts.Account `json:"account,omitempty"`
	Secret  *accounts.Secret  `json:"secret,omitempty"`
	// Passphrase (unlock): the file keyring's passphrase (base64 in JSON);
	// the agent overwrites its copy once the key is derived.
	Passphrase []byte `json:"passphrase,omitempty"`
	// ForMS (unlock): how long to stay unlocked (milliseconds); 0: until
	// locked.
	ForMS int64 `json:"for_ms,omitempty"`
}

// Response is one line the agent answers.
type Response struct {
	V  int  `json:"v"`
	OK bool `json:"ok"`
	// Warning (token): the token is good, but something must be said (the
	// CLI prints it on stderr).
	Warning *Warning `json:"warning,omitempty"`
	Error   *Error   `json:"error,omitempty"`
	// Token (token, show): never a refresh token or client secret.
	Token *TokenOut `json:"token,omitempty"`
	// Account (refresh, add): the account as stored afterwards.
	Account *accounts.Account `json:"account,omitempty"`
	// Status (status, unlock, lock).
	Status *Status `json:"status,omitempty"`
}

// TokenOut is what a client gets of an account's tokens.
type TokenOut struct {
	AccessToken  string            `json:"access_token"`
	TokenType    string            `json:"token_type,omitempty"`
	IDToken      string            `json:"id_token,omitempty"`
	Scope        string            `json:"scope,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	ExpirySource flow.ExpirySource `json:"expiry_source,omitempty"`
	IssuedAt     time.Time         `json:"issued_at,omitzero"`
	APIKey       string            `json:"api_key,omitempty"`
}

func tokenOut(t flow.Token) *TokenOut {
	return &TokenOut{AccessToken: t.AccessToken, TokenType: t.TokenType, IDToken: t.IDToken, Scope: t.Scope,
		Expiry: t.Expiry, ExpirySource: t.ExpirySource, IssuedAt: t.IssuedAt}
}

// Flow is the token as a flow.Token (without a refresh token).
func (t *TokenOut) Flow() flow.Token {
	return flow.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, IDToken: t.IDToken, Scope: t.Scope,
		Expiry: t.Expiry, ExpirySource: t.ExpirySource, IssuedAt: t.IssuedAt}
}

// String never shows a secret.
func (t TokenOut) String() string { return "agent.TokenOut{redacted}" }

// Warning is said beside a good token.
type Warning struct {
	Kind    string `json:"kind"` // WarnNotStored, WarnNeedsRelink
	Message string `json:"message"`
}

// Warning kinds.
const (
	// WarnNotStored: the provider issued new tokens the keyring did not
	// take; the agent holds them and stores them at its next chance.
	WarnNotStored = "not_stored"
	// WarnNeedsRelink: the account must be linked again before this token
	// expires (the command line says so from the account's file).
	WarnNeedsRelink = "needs_relink"
)

func (w *Warning) Error() string { return w.Message }

// Status is the agent's state.
type Status struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Dir     string    `json:"dir"`     // the config directory
	Backend string    `json:"backend"` // the keyring backend
	// Unlocked: the agent can read and write secrets (and refreshes).
	Unlocked bool `json:"unlocked"`
	// Until is when the unlock ends (zero: when locked or the agent ends).
	Until time.Time `json:"until,omitzero"`
	// Detached: started by `unlock`; it exits when locked.
	Detached bool `json:"detached"`
	// Scheduled is how many accounts it refreshes in the background;
	// Next is the soonest (name and when).
	Scheduled int       `json:"scheduled"`
	NextName  string    `json:"next_name,omitempty"`
	NextAt    time.Time `json:"next_at,omitzero"`
	// Events are the latest things worth telling (newest last).
	Events []Event `json:"events,omitempty"`
}

// Event is something the agent noticed and notified about.
type Event struct {
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Kind    string    `json:"kind"` // EventNeedsRelink, EventRefreshFailing, EventRecovered
	Message string    `json:"message"`
}

// Event kinds (also TOKENRING_NOTIFY_EVENT for notify_cmd).
const (
	EventNeedsRelink    = "needs_relink"
	EventRefreshFailing = "refresh_failing"
	EventRecovered      = "refresh_recovered"
)

// maxLine bounds one line of the protocol (an add carries a token set).
const maxLine = 1 << 20

func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// readLine reads one line of at most maxLine bytes (without the newline).
func readLine(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		frag, err := r.ReadSlice('\n')
		out = append(out, frag...)
		clear(frag) // the reader's buffer: an unlock carries a passphrase
		if len(out) > maxLine {
			return nil, errors.New("line too long")
		}
		if err == nil {
			return out[:len(out)-1], nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(out) > 0 && errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
}
