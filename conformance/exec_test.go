//go:build unix

package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestRunClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command []string
		env     []string
		check   func(t *testing.T, r ClientRun)
	}{
		{"stdin and env reach the client", sh(`read line; printf '%s|%s' "$line" "$DESKMOCK_CASE"; echo oops >&2; exit 3`), []string{"DESKMOCK_CASE=a/b"}, func(t *testing.T, r ClientRun) {
			if r.Stdout != `{"case":"a/b"}|a/b` || r.Stderr != "oops\n" || r.ExitCode != 3 || r.TimedOut {
				t.Errorf("run = %+v", r)
			}
		}},
		{"a hung client gets SIGTERM", sh(`trap 'echo term; exit 0' TERM; while :; do sleep 0.05; done`), nil, func(t *testing.T, r ClientRun) {
			if !r.TimedOut || r.Killed || !strings.Contains(r.Stdout, "term") {
				t.Errorf("run = %+v, want a timeout ended by SIGTERM", r)
			}
		}},
		{"a client that ignores SIGTERM is killed", sh(`trap '' TERM; while :; do sleep 0.05; done`), nil, func(t *testing.T, r ClientRun) {
			if !r.TimedOut || !r.Killed {
				t.Errorf("run = %+v, want killed", r)
			}
		}},
		{"a missing command", []string{"/nonexistent/client"}, nil, func(t *testing.T, r ClientRun) {
			if r.Error == "" || r.ExitCode != -1 {
				t.Errorf("run = %+v, want an error", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runClient(context.Background(), clientSpec{command: tt.command, env: tt.env, stdin: []byte(`{"case":"a/b"}` + "\n"),
				timeout: time.Second, grace: 500 * time.Millisecond})
			tt.check(t, r)
		})
	}
}

// TestRunClientStopsChildren checks that the whole process group dies at
// the timeout, not only the client.
func TestRunClientStopsChildren(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := runClient(context.Background(), clientSpec{
		command: sh(`sleep 30 & echo $! > ` + pidFile + `; wait`),
		timeout: 300 * time.Millisecond, grace: 200 * time.Millisecond,
	})
	if !r.TimedOut {
		t.Fatalf("run = %+v, want a timeout", r)
	}
	waitGone(t, pidFile, "the client's child outlived the timeout")
}

// waitGone waits up to 3 s for the process whose PID is in pidFile to end;
// otherwise it kills it and fails the test with why.
func waitGone(t *testing.T, pidFile, why string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(3 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("%s (pid %d)", why, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether a process runs; a zombie (dead, not yet reaped,
// as happens in containers whose first process reaps nothing) is not alive.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill
	}
	// The state follows the command name in parentheses.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

// TestRunClientLeftoverChild checks that a child keeping stdout open does
// not hold the runner once the client itself has exited, and is stopped.
func TestRunClientLeftoverChild(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	start := time.Now()
	r := runClient(context.Background(), clientSpec{
		command: sh(`sleep 30 & echo $! > ` + pidFile + `; echo '{"ok":true}'`),
		timeout: 10 * time.Second, grace: 200 * time.Millisecond,
	})
	if r.TimedOut || time.Since(start) > 5*time.Second {
		t.Errorf("run = %+v after %s: a leftover child held the runner", r, time.Since(start))
	}
	if !strings.Contains(r.Stdout, `{"ok":true}`) {
		t.Errorf("stdout %q", r.Stdout)
	}
	waitGone(t, pidFile, "the client's leftover child was not stopped")
}

func TestRunClientInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	r := runClient(ctx, clientSpec{command: sh(`sleep 30`), timeout: 10 * time.Second, grace: 200 * time.Millisecond})
	if r.Error != "interrupted" || r.TimedOut {
		t.Errorf("run = %+v, want interrupted", r)
	}
}

func TestBoundedBuffer(t *testing.T) {
	t.Parallel()
	var b boundedBuffer
	chunk := strings.Repeat("x", maxOutput/2+1)
	for range 3 {
		if n, err := b.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := b.String(); len(got) < maxOutput || !strings.HasSuffix(got, "output cut at 1 MiB ...]") {
		t.Errorf("String() has %d bytes, ends %q", len(got), got[len(got)-30:])
	}
}
