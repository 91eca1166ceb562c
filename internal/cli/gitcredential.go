package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenring/tokenring/accounts"
	"github.com/tokenring/tokenring/flow"
	"github.com/tokenring/tokenring/internal/termtext"
)

func newGitCredentialCmd(a *app) *cobra.Command {
	var o gitOptions
	cmd := &cobra.Command{
		Use:   "git-credential --account NAME [--host HOST]... [--username USER] get|store|erase",
		Short: "A git credential helper that answers with a fresh access token",
		Long: `git's credential helper protocol (gitcredentials(7), git-credential(1)): git runs
this with get, store or erase and key=value lines on standard input.

get answers, for an https URL of one of the hosts it serves, with
  username=USER
  password=THE ACCESS TOKEN (refreshed first when needed)
  password_expiry_utc=UNIX SECONDS (git 2.41 and later drop it then)
For any other host, for plain http (except on 127.0.0.1, ::1 and localhost),
or when git already has a different username, it answers nothing, reads no
secret and refreshes nothing: git goes on to its next helper or prompt.
store and erase are ignored (other helpers' credentials are theirs; the
account is never changed by them), as is any other operation.

  --account NAME   the account whose token is the password
  --host HOST      a host (HOST or HOST:PORT, as in the URL) it answers for;
                   repeatable. Default: the hosts of the account's provider's
                   endpoints (its issuer, authorization and token URLs)
  --username USER  the username to answer with. Default by provider host:
                   x-access-token (github.com), x-token-auth (bitbucket.org),
                   oauth2 (GitLab and anything else)

  git config --global credential.https://git.example.com.helper ''
  git config --global --add credential.https://git.example.com.helper \
      '!tokenring git-credential --account work --host git.example.com'

(the empty value first clears helpers configured before it for that URL).

` + exitCodesHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withHint(ExitUsage, errors.New("git-credential needs one operation: get, store or erase (git gives it)"),
					fmt.Sprintf("Usage: %s.", cmd.UseLine()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.account == "" {
				return withHint(ExitUsage, errors.New("git-credential needs --account NAME"),
					"Configure it as: git config credential.https://HOST.helper '!tokenring git-credential --account NAME'")
			}
			for i, h := range o.hosts {
				n, err := normHost(h)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				o.hosts[i] = n
			}
			return a.gitCredential(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.account, "account", "", "the account whose access token is the password")
	f.StringArrayVar(&o.hosts, "host", nil, "a host (HOST or HOST:PORT) to answer for (repeatable; default: the provider's hosts)")
	f.StringVar(&o.username, "username", "", "the username to answer with (default by provider: oauth2, x-access-token, ...)")
	_ = cmd.RegisterFlagCompletionFunc("account", func(c *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
		return a.completeAccounts(c, nil, s)
	})
	return cmd
}

type gitOptions struct {
	account  string
	hosts    []string
	username string
}

// maxCredentialInput bounds what git-credential reads from git.
const maxCredentialInput = 1 << 20

// readCredential reads git's key=value lines up to a blank line or the end
// of input (git-credential(1) "INPUT/OUTPUT FORMAT"). Keys ending in []
// (capability[], wwwauth[]) and keys it does not know are skipped; url is
// split into its parts, as git does.
func readCredential(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, maxCredentialInput))
	sc.Buffer(make([]byte, 0, 4096), maxCredentialInput)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("git sent a line without '=': %q", termtext.Snippet(line, 40))
		}
		if strings.HasSuffix(k, "[]") {
			continue
		}
		if k == "url" {
			u, err := url.Parse(v)
			if err != nil {
				return nil, fmt.Errorf("git sent a url that cannot be read")
			}
			out["protocol"], out["host"], out["path"] = u.Scheme, u.Host, strings.TrimPrefix(u.Path, "/")
			if u.User != nil {
				out["username"] = u.User.Username()
			}
			continue
		}
		out[k] = v
	}
	return out, sc.Err()
}

func (a *app) gitCredential(ctx context.Context, op string, o gitOptions) error {
	if op != "get" {
		// store, erase and operations of later gits: nothing to do, and
		// nothing of the account is touched. Read git's input to the end
		// so git never writes into a closed pipe.
		_, _ = io.Copy(io.Discard, io.LimitReader(a.stdin, maxCredentialInput))
		return nil
	}
	req, err := readCredential(a.stdin)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if accounts.ValidName(o.account) != nil {
		return checkName(o.account)
	}
	// With --host, a request for another host gets no answer before
	// anything of the account is read.
	if len(o.hosts) > 0 && !answers(req, o.hosts, "") {
		return nil
	}
	// The account's file says which provider and hosts: no secret yet.
	st, _, err := a.openStore(false)
	if err != nil {
		return err
	}
	acct, err := st.Account(o.account)
	st.Close()
	if err != nil {
		return accountErr(o.account, err)
	}
	hosts := o.hosts
	if len(hosts) == 0 {
		hosts = providerHosts(acct.Provider)
	}
	user := o.username
	if user == "" {
		user = defaultGitUsername(acct.Provider)
	}
	if !answers(req, hosts, user) {
		return nil
	}
	h, err := a.freshToken(ctx, o.account, need{})
	if err != nil {
		return err
	}
	if strings.ContainsAny(user, "\n\x00") {
		return usageErrorf("--username must be one line")
	}
	out := "username=" + user + "\npassword=" + h.tok.AccessToken + "\n"
	if h.tok.Expires() {
		out += "password_expiry_utc=" + strconv.FormatInt(h.tok.Expiry.Unix(), 10) + "\n"
	}
	_, err = io.WriteString(a.stdout, out)
	return err
}

// answers says whether git's request is one this helper serves: https (or
// http on loopback), one of hosts, and no other username than user (""
// does not check the username).
func answers(req map[string]string, hosts []string, user string) bool {
	host, err := normHost(req["host"])
	if err != nil || host == "" {
		return false
	}
	switch req["protocol"] {
	case "https":
	case "http":
		if !isLoopback(host) {
			return false
		}
	default:
		return false
	}
	if u := req["username"]; u != "" && user != "" && u != user {
		return false
	}
	for _, h := range hosts {
		if h == host {
			return true
		}
	}
	return false
}

// normHost lower-cases HOST or HOST:PORT and checks that it is nothing
// more (no scheme, path or user).
func normHost(h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == "" {
		return "", nil
	}
	u, err := url.Parse("https://" + h)
	if err != nil || u.Host != h || u.User != nil || u.Path != "" || u.Hostname() == "" {
		return "", fmt.Errorf("--host %q is not a host name or HOST:PORT", termtext.Snippet(h, 60))
	}
	return h, nil
}

func isLoopback(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// providerHosts are the hosts of a provider's own endpoints, as git names
// them (the port only when it is not the scheme's default).
func providerHosts(p flow.Provider) []string {
	var out []string
	for _, raw := range []string{p.Issuer, p.AuthURL, p.TokenURL, p.BaseURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		h := strings.ToLower(u.Host)
		if port := u.Port(); (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
			h = strings.ToLower(u.Hostname())
		}
		if !contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// defaultGitUsername is the username git hosts expect beside an OAuth
// token as the password, by the provider's hosts.
func defaultGitUsername(p flow.Provider) string {
	for _, h := range providerHosts(p) {
		switch {
		case h == "github.com":
			return "x-access-token"
		case h == "bitbucket.org":
			return "x-token-auth"
		}
	}
	return "oauth2"
}
