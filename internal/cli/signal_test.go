//go:build !windows

package cli

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The child of TestSecondSignalEndsTheProcess: it takes the signals as Main
// does, then hangs somewhere that does not watch the context.
func TestMain(m *testing.M) {
	if os.Getenv("TOKENRING_CLI_TEST_HANG") == "1" {
		_, stop := notifySignals()
		defer stop()
		os.Stdout.WriteString("ready\n")
		select {}
	}
	os.Exit(m.Run())
}

func TestSecondSignalEndsTheProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TOKENRING_CLI_TEST_HANG=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if l, _ := bufio.NewReader(out).ReadString('\n'); l != "ready\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q", l)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		t.Fatalf("the first signal ended the process (%v): it should only cancel the context", err)
	case <-time.After(300 * time.Millisecond):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Fatalf("ended by %v, want SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a second SIGTERM did not end the process")
	}
}
