// Package logwriter writes a busy log's lines from a goroutine of its own,
// so that logging a line costs a copy, never a system call or a wait for
// the reader. A line written after a quiet spell goes out at once, so a
// person watching sees it as it happens; lines that follow within the delay
// wait in a bounded buffer and go out together, when Batch bytes wait, one
// delay later, or on Close.
//
// When the underlying writer stalls (a pipe nobody reads) and the buffer is
// full, or when it fails (a closed pipe), lines are dropped and counted:
// the process keeps going, and Problem says how many were lost and why.
package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Defaults of New and Close.
const (
	// Size is how many bytes of lines may wait to be written; a line that
	// does not fit is dropped.
	Size = 1 << 20
	// Batch is how many bytes of waiting lines are written without waiting
	// for the delay (a quarter of a smaller buffer).
	Batch = 64 << 10
	// Delay is the longest a line waits while the writer is busy.
	Delay = 100 * time.Millisecond
	// CloseTimeout is how long Close waits for the underlying writer to
	// take the last lines.
	CloseTimeout = 2 * time.Second
)

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("logwriter: closed")

// Writer is a buffered writer that writes from a goroutine of its own. It
// is safe for concurrent use. Each Write is one line: it is written whole
// or dropped whole.
type Writer struct {
	out   io.Writer
	size  int
	delay time.Duration
	wake  chan struct{} // a line to write at once, a batch, Close
	done  chan struct{} // closed when run returns

	mu      sync.Mutex
	pending []byte // lines waiting
	lines   int    // how many lines pending holds
	spare   []byte // the buffer of the last write, for reuse
	busy    bool   // a line went out within the last delay: lines wait
	closing bool
	gaveUp  bool      // Close stopped waiting for a write
	since   time.Time // when the write in progress began; zero if none
	writing int       // lines in the write in progress

	dropped int64
	why     cause // of the last line dropped
	failing bool  // lines were dropped and no write has succeeded since
}

// cause is why a line was dropped; Problem puts it in words.
type cause struct {
	kind    causeKind
	err     error         // causeFailed: the writer's error
	blocked time.Duration // causeFull: how long the write in progress had waited; causeGaveUp: how long Close did
}

type causeKind int

const (
	causeFull   causeKind = iota // the buffer was full
	causeFailed                  // the underlying writer failed
	causeLate                    // written after Close
	causeGaveUp                  // still waiting when Close gave up
)

// text puts the cause of a writer of size bytes in words.
func (c cause) text(size int) string {
	switch c.kind {
	case causeFailed:
		return "writing failed: " + c.err.Error()
	case causeLate:
		return "it came after the log was closed"
	case causeGaveUp:
		return fmt.Sprintf("the output took no line within %s at the end", c.blocked)
	}
	if c.blocked > 0 {
		return fmt.Sprintf("the %d KiB buffer was full: the output had taken no line for %s", size>>10, c.blocked.Round(time.Millisecond))
	}
	return fmt.Sprintf("the %d KiB buffer was full: the output did not keep up", size>>10)
}

// New returns a Writer over w that holds at most size bytes of lines, none
// of them longer than delay while w takes lines. Close it to write out the
// rest.
func New(w io.Writer, size int, delay time.Duration) *Writer {
	lw := &Writer{out: w, size: size, delay: delay, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go lw.run()
	return lw
}

// Write copies the line p into the buffer and returns at once. When the
// buffer cannot hold it, p is dropped and counted, and Write still reports
// success: a log line is not worth failing the caller. After Close, p is
// dropped and Write returns ErrClosed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closing:
		w.drop(1, cause{kind: causeLate})
		return 0, ErrClosed
	case len(w.pending)+len(p) > w.size:
		c := cause{kind: causeFull}
		if !w.since.IsZero() {
			c.blocked = time.Since(w.since)
		}
		w.drop(1, c)
		return len(p), nil
	}
	w.pending = append(w.pending, p...)
	w.lines++
	if !w.busy || len(w.pending) >= min(w.size/4, Batch) {
		w.busy = true
		w.kick()
	}
	return len(p), nil
}

// drop counts n lines lost, and why. w.mu is held.
func (w *Writer) drop(n int, why cause) {
	if n > 0 {
		w.dropped += int64(n)
		w.why, w.failing = why, true
	}
}

// kick wakes the writing goroutine. w.mu is held.
func (w *Writer) kick() {
	select {
	case w.wake <- struct{}{}:
	default: // awake already
	}
}

// run writes the buffer out: at once when woken, and every delay while
// lines keep coming; once a delay passes with none, the writer is quiet.
func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTimer(w.delay)
	tick.Stop()
	ticking, again := false, false
	for {
		quiet := false
		if !again {
			select {
			case <-w.wake:
			case <-tick.C:
				ticking, quiet = false, true
			}
		}
		w.mu.Lock()
		if len(w.pending) == 0 {
			if quiet {
				w.busy = false
			}
			closing := w.closing
			w.mu.Unlock()
			if closing {
				return
			}
			again = false
			continue
		}
		batch, lines, droppedBefore := w.pending, w.lines, w.dropped
		w.pending, w.lines = w.spare[:0], 0
		w.since, w.writing = time.Now(), lines
		w.mu.Unlock()

		n, err := w.out.Write(batch)

		w.mu.Lock()
		if w.gaveUp {
			w.mu.Unlock()
			return // Close counted these lines as dropped
		}
		w.since, w.writing = time.Time{}, 0
		if err != nil {
			// The lines that reached the writer whole are not lost.
			w.drop(lines-min(lines, bytes.Count(batch[:n], []byte{'\n'})), cause{kind: causeFailed, err: err})
		} else if w.dropped == droppedBefore {
			w.failing = false // the output takes lines again, and none was lost meanwhile
		}
		w.spare = batch
		again = w.closing // write out the rest without waiting
		w.mu.Unlock()
		if !ticking && !again {
			tick.Reset(w.delay)
			ticking = true
		}
	}
}

// Close writes out what is buffered, waiting at most CloseTimeout for the
// underlying writer; the lines it did not take by then are dropped. Later
// writes are dropped. Close does not close the underlying writer. It
// returns an error, the one of Err, when any line was dropped.
func (w *Writer) Close() error {
	return w.CloseWithin(CloseTimeout)
}

// CloseWithin is Close waiting at most d.
func (w *Writer) CloseWithin(d time.Duration) error {
	w.mu.Lock()
	if !w.closing {
		w.closing = true
		w.kick()
	}
	w.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		w.mu.Lock()
		if !w.gaveUp {
			w.gaveUp = true
			w.drop(w.lines+w.writing, cause{kind: causeGaveUp, blocked: d})
			w.pending, w.lines, w.writing = nil, 0, 0
		}
		w.mu.Unlock()
	}
	return w.Err()
}

// Dropped returns how many lines were dropped so far.
func (w *Writer) Dropped() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Problem says how many lines were dropped and why the last one was, from
// the first drop until a write succeeds with no line dropped meanwhile; it
// returns "" otherwise. It makes the Writer a mockserver.HealthReporter.
func (w *Writer) Problem() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.failing {
		return ""
	}
	return w.lost()
}

// lost says how many lines were dropped and why the last one was. w.mu is
// held.
func (w *Writer) lost() string {
	return fmt.Sprintf("log: %d lines dropped; the last because %s", w.dropped, w.why.text(w.size))
}

// Err returns an error that says how many lines were dropped in all and
// why the last one was, or nil while none was; unlike Problem it stays once
// the output takes lines again.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped == 0 {
		return nil
	}
	return errors.New(w.lost())
}
