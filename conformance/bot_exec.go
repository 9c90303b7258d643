package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// DefaultStartTimeout is how long a bot has to listen on $PORT.
const DefaultStartTimeout = 10 * time.Second

// botProcess is a bot started for one case.
type botProcess struct {
	cmd    *exec.Cmd
	run    ClientRun
	done   chan error
	stdout boundedBuffer
	stderr boundedBuffer
	grace  time.Duration
}

// freePort returns a loopback port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startBot starts the bot command in its own process group with env
// added to the runner's environment.
func startBot(command []string, dir string, env []string, grace time.Duration) (*botProcess, error) {
	p := &botProcess{grace: grace, done: make(chan error, 1)}
	p.cmd = exec.Command(command[0], command[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.WaitDelay = grace
	setProcessGroup(p.cmd)
	p.run = ClientRun{Started: time.Now(), ExitCode: -1}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the bot: %w", err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

// waitListening waits until something accepts connections on the loopback
// port, the bot exits, ctx ends or timeout passes.
func (p *botProcess) waitListening(ctx context.Context, port int, timeout time.Duration) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-p.done:
			p.done <- err // stop reads it again
			return fmt.Errorf("the bot exited (%s) before it listened on %s: it must serve HTTP on 127.0.0.1:$PORT until it is stopped", exitText(p.cmd, err), addr)
		case <-ctx.Done():
			return errors.New("interrupted")
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the bot did not listen on %s within %s: it must serve HTTP on 127.0.0.1:$PORT (PORT is in its environment) as soon as it starts", addr, timeout)
		}
	}
}

// exitText says how a process ended.
func exitText(cmd *exec.Cmd, err error) string {
	if cmd.ProcessState != nil {
		return "exit status " + strconv.Itoa(cmd.ProcessState.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exited"
}

// stop sends SIGTERM to the bot's group, SIGKILL after the grace period,
// and returns what became of it.
func (p *botProcess) stop() ClientRun {
	var err error
	select {
	case err = <-p.done:
	default:
		err = stopGroup(p.cmd, p.done, p.grace, &p.run)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		killGroup(p.cmd)
	}
	p.run.Duration = time.Since(p.run.Started)
	if p.cmd.ProcessState != nil {
		p.run.ExitCode = p.cmd.ProcessState.ExitCode()
	}
	p.run.Stdout, p.run.Stderr = p.stdout.String(), p.stderr.String()
	return p.run
}

// tail returns the last lines of a bot's output, for an error message.
func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
