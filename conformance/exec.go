package conformance

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"time"
)

// maxOutput bounds what is kept of a client's stdout and of its stderr.
const maxOutput = 1 << 20

// ClientRun is what became of one run of the client command.
type ClientRun struct {
	// Started is when the process started.
	Started time.Time `json:"started"`
	// Duration is how long it ran.
	Duration time.Duration `json:"duration_ns"`
	// ExitCode is the process's exit status; -1 when it was killed by a
	// signal or could not start.
	ExitCode int `json:"exit_code"`
	// TimedOut is true when the runner stopped the client at the timeout.
	TimedOut bool `json:"timed_out"`
	// Killed is true when the client ignored SIGTERM and was killed.
	Killed bool `json:"killed,omitempty"`
	// Stdout is what the client wrote on stdout (at most 1 MiB).
	Stdout string `json:"stdout"`
	// Stderr is what the client wrote on stderr (at most 1 MiB).
	Stderr string `json:"stderr"`
	// Error says why the client could not be run, if it could not.
	Error string `json:"error,omitempty"`
}

// clientSpec is how to run the client for one case.
type clientSpec struct {
	command []string
	dir     string
	env     []string
	stdin   []byte
	timeout time.Duration
	grace   time.Duration
}

// runClient runs the client command in its own process group, feeding it
// stdin. At the timeout, or when ctx ends, the whole group gets SIGTERM,
// then SIGKILL after the grace period.
func runClient(ctx context.Context, s clientSpec) ClientRun {
	cmd := exec.Command(s.command[0], s.command[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = bytes.NewReader(s.stdin)
	var stdout, stderr boundedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A child that keeps the pipes open must not hold the runner past the
	// client's own exit for long.
	cmd.WaitDelay = s.grace
	setProcessGroup(cmd)

	run := ClientRun{Started: time.Now(), ExitCode: -1}
	if err := cmd.Start(); err != nil {
		run.Error = "starting the client: " + err.Error()
		return run
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		run.TimedOut = true
		err = stopGroup(cmd, done, s.grace, &run)
	case <-ctx.Done():
		run.Error = "interrupted"
		err = stopGroup(cmd, done, s.grace, &run)
	}
	run.Duration = time.Since(run.Started)
	if errors.Is(err, exec.ErrWaitDelay) {
		// The client exited but a child of it kept the output open.
		killGroup(cmd)
	}
	if cmd.ProcessState != nil {
		run.ExitCode = cmd.ProcessState.ExitCode()
	}
	run.Stdout, run.Stderr = stdout.String(), stderr.String()
	return run
}

// stopGroup sends SIGTERM to the client's group, then SIGKILL after grace,
// and returns the result of Wait.
func stopGroup(cmd *exec.Cmd, done <-chan error, grace time.Duration, run *ClientRun) error {
	terminateGroup(cmd)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
	}
	run.Killed = true
	killGroup(cmd)
	return <-done
}

// boundedBuffer keeps the first maxOutput bytes written and counts the
// rest.
type boundedBuffer struct {
	buf     bytes.Buffer
	dropped int
}

// Write keeps what fits and reports everything as written, so that the
// client never blocks on a full pipe.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := maxOutput - b.buf.Len(); room < n {
		b.dropped += n - room
		p = p[:room]
	}
	b.buf.Write(p)
	return n, nil
}

// String returns what was kept, marked when some was dropped.
func (b *boundedBuffer) String() string {
	if b.dropped > 0 {
		return b.buf.String() + "\n[... output cut at 1 MiB ...]"
	}
	return b.buf.String()
}
