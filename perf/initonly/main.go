// Command initonly links every package tokenring links and runs none of
// its code: the process start-up and package initialisation of a binary
// of that size, the part of every command that no change to a command can
// remove. perf/run.sh measures it beside the hello-world floor, so the
// table shows how much of a command's ratio is that start-up and how much
// is the command's own work.
package main

import _ "github.com/tokenring/tokenring/internal/cli"

func main() {}
