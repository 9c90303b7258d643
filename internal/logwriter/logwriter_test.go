package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sink is an io.Writer that records what reached it. With a gate, each
// write first waits for the gate to open (a stalled reader); with failAfter
// >= 0, it takes that many bytes in all and then fails with EPIPE (a
// closed pipe).
type sink struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	writes    int
	gate      chan struct{} // nil: never stalls
	entered   chan struct{} // when not nil, told of each write that starts
	failAfter int
}

func newSink() *sink { return &sink{failAfter: -1} }

func (s *sink) Write(p []byte) (int, error) {
	select {
	case s.entered <- struct{}{}:
	default: // not listened to, or told already
	}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.failAfter >= 0 {
		n := min(len(p), max(0, s.failAfter-s.buf.Len()))
		s.buf.Write(p[:n])
		if n < len(p) {
			return n, &writeError{syscall.EPIPE}
		}
		return n, nil
	}
	return s.buf.Write(p)
}

// writeError reads as os.File's error on a closed pipe does.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write /dev/stderr: " + e.err.Error() }

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls until s holds want or the limit passes.
func waitFor(t *testing.T, s *sink, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if s.String() == want {
			return time.Since(start)
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("after %s the writer holds %q, want %q", limit, s.String(), want)
	return 0
}

// within runs f and fails the test if it has not returned after limit:
// the writer must never make its caller wait for the output.
func within(t *testing.T, limit time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("%s has not returned after %s", what, limit)
	}
}

// Lines go out at once after a quiet spell or when a quarter of the buffer
// is filled; the others wait for the delay (an hour here), or Close.
func TestWriter(t *testing.T) {
	tests := []struct {
		name string
		size int
		// write writes to w and returns what must reach the sink at once;
		// out waits until the sink holds a text.
		write func(w *Writer, out func(string)) string
		// then is what must reach it on Close.
		then string
	}{
		{"a line after a quiet spell goes out at once", 1024, func(w *Writer, out func(string)) string {
			w.Write([]byte("one\n"))
			return "one\n"
		}, "one\n"},
		{"the next line waits", 1024, func(w *Writer, out func(string)) string {
			w.Write([]byte("one\n"))
			out("one\n")
			w.Write([]byte("two\n"))
			return "one\n"
		}, "one\ntwo\n"},
		{"a quarter of the buffer filled is written at once", 32, func(w *Writer, out func(string)) string {
			w.Write([]byte("0\n"))
			out("0\n")
			w.Write([]byte("1234"))
			w.Write([]byte("5678\n"))
			return "0\n12345678\n"
		}, "0\n12345678\n"},
		{"nothing written, nothing out", 1024, func(*Writer, func(string)) string { return "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink()
			w := New(s, tt.size, time.Hour)
			want := tt.write(w, func(want string) { waitFor(t, s, want, 2*time.Second) })
			waitFor(t, s, want, 2*time.Second)
			time.Sleep(50 * time.Millisecond) // nothing more comes before Close
			if got := s.String(); got != want {
				t.Fatalf("before Close: %q, want %q", got, want)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.then {
				t.Errorf("after Close: %q, want %q", got, tt.then)
			}
			if w.Dropped() != 0 || w.Problem() != "" {
				t.Errorf("%d dropped, problem %q, want none", w.Dropped(), w.Problem())
			}
		})
	}
}

// Lines written at once from many goroutines arrive whole, all of them, in
// few writes.
func TestWriterConcurrentLines(t *testing.T) {
	s := newSink()
	w := New(s, Size, time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				fmt.Fprintf(w, "goroutine %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
	if len(lines) != 8000 {
		t.Fatalf("%d lines, want 8000", len(lines))
	}
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "goroutine %d line %d", &g, &i); n != 2 || err != nil {
			t.Fatalf("line %q is broken", l)
		}
	}
	if s.writes > 8000/10 {
		t.Errorf("%d writes for 8000 lines: the buffer is not used", s.writes)
	}
}

// Lines that wait go out a delay later without Close; a writer that was
// busy becomes quiet a delay or two after its last line: the next line
// goes out at once again, not a delay later.
func TestWriterQuietAgain(t *testing.T) {
	s := newSink()
	// Long enough that a busy machine does not pass for a wait.
	const delay = 500 * time.Millisecond
	w := New(s, 1024, delay)
	defer w.Close()
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	waitFor(t, s, "one\ntwo\n", 10*delay)
	time.Sleep(3 * delay)
	w.Write([]byte("three\n"))
	if took := waitFor(t, s, "one\ntwo\nthree\n", 10*delay); took >= delay {
		t.Errorf("the line after a quiet spell took %s, as if it waited for the delay (%s)", took, delay)
	}
}

// While the output takes nothing, writes return at once; the lines that
// fit wait, the others are dropped and counted, and Problem says so. When
// the output takes lines again, the waiting ones reach it.
func TestWriterDropsWhenStalled(t *testing.T) {
	s := newSink()
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
	const size, line = 100, "123456789\n" // 10 lines fit
	w := New(s, size, time.Hour)
	within(t, 10*time.Second, "the first Write", func() { w.Write([]byte("first\n")) })
	<-s.entered // its write is in progress, and blocks
	within(t, 10*time.Second, "25 Writes to a stalled output", func() {
		for range 25 {
			if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
				t.Errorf("Write: %d, %v", n, err)
			}
		}
	})
	if got := w.Dropped(); got != 15 {
		t.Errorf("%d dropped, want 15", got)
	}
	p := w.Problem()
	for _, want := range []string{"log: 15 lines dropped", "buffer was full", "had taken no line for"} {
		if !strings.Contains(p, want) {
			t.Errorf("problem %q does not say %q", p, want)
		}
	}
	close(s.gate) // the output takes lines again
	waitFor(t, s, "first\n"+strings.Repeat(line, 10), 5*time.Second)
	if got := w.Problem(); got != "" {
		t.Errorf("problem %q once the output takes lines again, want none", got)
	}
	if err := w.Err(); err == nil || err.Error() != p {
		t.Errorf("Err: %v, want %q: the lines lost stay counted", err, p)
	}
	err := w.Close()
	if err == nil || err.Error() != p {
		t.Errorf("Close: %v, want %q", err, p)
	}
	if want := "first\n" + strings.Repeat(line, 10); s.String() != want {
		t.Errorf("the output got %q, want %q", s.String(), want)
	}
}

// When the output fails, the lines it did not take whole are dropped and
// counted, and Problem gives the error.
func TestWriterDropsWhenFailing(t *testing.T) {
	tests := []struct {
		name      string
		failAfter int // bytes the output takes before it fails
		dropped   int64
	}{
		{"fails at once", 0, 4},
		{"fails within the second write", len("1\n2\n"), 2},
		{"fails within a line", len("1\n2\n3"), 2},
		{"never fails", 1 << 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink()
			s.failAfter = tt.failAfter
			w := New(s, 1024, time.Hour)
			w.Write([]byte("1\n")) // written alone, at once
			waitFor(t, s, "1\n"[:min(2, tt.failAfter)], 2*time.Second)
			for _, l := range []string{"2\n", "3\n", "4\n"} { // wait for Close
				w.Write([]byte(l))
			}
			err := w.Close()
			if got := w.Dropped(); got != tt.dropped {
				t.Errorf("%d dropped, want %d", got, tt.dropped)
			}
			if tt.dropped == 0 {
				if err != nil || w.Problem() != "" {
					t.Errorf("Close: %v; problem %q", err, w.Problem())
				}
				return
			}
			want := fmt.Sprintf("log: %d lines dropped; the last because writing failed: write /dev/stderr: broken pipe", tt.dropped)
			if p := w.Problem(); p != want {
				t.Errorf("problem %q, want %q", p, want)
			}
			if err == nil {
				t.Error("Close: no error")
			}
		})
	}
}

// Close waits for a stalled output at most its timeout, then counts what
// is left as dropped; writes after Close are dropped too.
func TestWriterCloseGivesUp(t *testing.T) {
	s := newSink()
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 1)
	defer close(s.gate)
	w := New(s, 1024, time.Hour)
	w.Write([]byte("1\n"))
	<-s.entered // blocked in the output
	w.Write([]byte("2\n"))
	w.Write([]byte("3\n"))
	var err error
	within(t, 5*time.Second, "CloseWithin(50ms)", func() { err = w.CloseWithin(50 * time.Millisecond) })
	want := "log: 3 lines dropped; the last because the output took no line within 50ms at the end"
	if err == nil || err.Error() != want {
		t.Errorf("Close: %v, want %q", err, want)
	}
	if n, err := w.Write([]byte("4\n")); n != 0 || !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %d, %v; want 0, ErrClosed", n, err)
	}
	if got := w.Dropped(); got != 4 {
		t.Errorf("%d dropped, want 4", got)
	}
	if err := w.Close(); err == nil {
		t.Error("a second Close forgets the dropped lines")
	}
}
