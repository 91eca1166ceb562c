package common

import "runtime"

// Env answers questions about the session from its environment variables.
type Env struct{ get func(string) string }

// NewEnv reads the environment through get (os.Getenv, or a test's map).
func NewEnv(get func(string) string) Env { return Env{get: get} }

func (e Env) set(k string) bool { return e.get != nil && e.get(k) != "" }

// NoColor: NO_COLOR is set.
func (e Env) NoColor() bool { return e.set("NO_COLOR") }

// Remote: an SSH session.
func (e Env) Remote() bool {
	return e.set("SSH_CONNECTION") || e.set("SSH_TTY") || e.set("SSH_CLIENT")
}

// HasDisplay: a graphical session (always on macOS and Windows).
func (e Env) HasDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return e.set("DISPLAY") || e.set("WAYLAND_DISPLAY")
}

// Local: a browser started here is in front of the user.
func (e Env) Local() bool { return !e.Remote() && e.HasDisplay() }

// Tmux: inside tmux.
func (e Env) Tmux() bool { return e.set("TMUX") }

// Screen: inside GNU screen.
func (e Env) Screen() bool { return e.set("STY") }

// Get is a variable of the session's environment (TMUX's socket).
func (e Env) Get(k string) string {
	if e.get == nil {
		return ""
	}
	return e.get(k)
}
