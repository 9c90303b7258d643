// Package logwriter buffers a busy log's output so that writing a line
// costs a copy, not a system call. A line written after a quiet spell goes
// out at once, so a person watching sees it as it happens; lines that follow
// within the delay are buffered, and reach the underlying writer when the
// buffer fills, at most one delay later, and on Close.
package logwriter

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Defaults of New.
const (
	// Size is the buffer's size in bytes: past it, the buffer is written
	// out at once.
	Size = 64 << 10
	// Delay is the longest a written line waits in the buffer.
	Delay = 100 * time.Millisecond
)

// Writer is a buffered writer that flushes itself. It is safe for
// concurrent use. Write errors of the underlying writer are returned by
// the Write or Flush that meets them, or by Close.
type Writer struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	delay  time.Duration
	busy   bool // written to within the last delay: a flush is due
	timer  *time.Timer
	closed bool
}

// New returns a Writer over w with a buffer of size bytes that holds
// nothing longer than delay. Close it to write out the rest.
func New(w io.Writer, size int, delay time.Duration) *Writer {
	return &Writer{buf: bufio.NewWriterSize(w, size), delay: delay}
}

// Write buffers p while the writer is busy; otherwise, and after Close, it
// writes p through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if err != nil || w.busy {
		return n, err
	}
	err = w.buf.Flush()
	if !w.closed {
		w.busy = true
		w.timer = time.AfterFunc(w.delay, w.tick)
	}
	return n, err
}

// tick writes out the buffer a delay after the writer became busy, and
// again every delay while lines keep coming; once a delay passes with
// none, the writer is quiet again.
func (w *Writer) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.busy {
		return // stopped by Close
	}
	if w.buf.Buffered() == 0 {
		w.busy = false
		return
	}
	w.buf.Flush()
	w.timer.Reset(w.delay)
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close writes out what is buffered; later writes go straight through.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.busy {
		w.timer.Stop()
		w.busy = false
	}
	return w.buf.Flush()
}
