// Command hello is the floor of every whole-process measurement in
// perf/run.sh: a Go binary that prints a line and exits, built by the same
// toolchain in the same run. A command's ratio to it is what tokenring
// costs beyond starting any Go program on this machine at this moment.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
