// Package termtext makes text fit for a terminal: Clean strips what a server
// (or a paste) could use to take over the terminal or hide what it says,
// Truncate cuts by display width (cells, not bytes or runes), StripControls
// keeps a token or URL whole but inert, and Duration spells a time span the
// same way everywhere (the CLI's messages and the TUI's countdowns).
//
// It imports only the standard library and a width table
// (github.com/clipperhouse/displaywidth, no init work), so the short
// commands (`tokenring token`) pay nothing for it at start-up.
package termtext
