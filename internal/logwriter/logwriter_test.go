package logwriter

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is an io.Writer that records what reached it and when.
type sink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

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

func TestWriter(t *testing.T) {
	tests := []struct {
		name string
		size int
		// write writes to w and returns what must reach the sink at once.
		write func(w *Writer) string
		// then is what must reach it within the delay, or on Close.
		then string
	}{
		{"a line after a quiet spell goes out at once", 1024, func(w *Writer) string {
			w.Write([]byte("one\n"))
			return "one\n"
		}, "one\n"},
		{"the next line waits for the delay", 1024, func(w *Writer) string {
			w.Write([]byte("one\n"))
			w.Write([]byte("two\n"))
			return "one\n"
		}, "one\ntwo\n"},
		{"a full buffer is written at once", 8, func(w *Writer) string {
			w.Write([]byte("0\n"))
			w.Write([]byte("12345678"))
			w.Write([]byte("9\n"))
			return "0\n12345678"
		}, "0\n123456789\n"},
		{"Flush writes at once", 1024, func(w *Writer) string {
			w.Write([]byte("one\n"))
			w.Write([]byte("two\n"))
			w.Flush()
			return "one\ntwo\n"
		}, "one\ntwo\n"},
		{"Close writes at once, later lines go through", 1024, func(w *Writer) string {
			w.Write([]byte("one\n"))
			w.Write([]byte("two\n"))
			w.Close()
			w.Write([]byte("three\n"))
			return "one\ntwo\nthree\n"
		}, "one\ntwo\nthree\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sink
			const delay = 20 * time.Millisecond
			w := New(&s, tt.size, delay)
			want := tt.write(w)
			if got := s.String(); got != want {
				t.Fatalf("at once: %q, want %q", got, want)
			}
			if took := waitFor(t, &s, tt.then, 2*time.Second); took > 10*delay {
				t.Errorf("the rest took %s, want about %s", took, delay)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.then {
				t.Errorf("after Close: %q, want %q", got, tt.then)
			}
		})
	}
}

// Lines written at once from many goroutines arrive whole, all of them, in
// few writes.
func TestWriterConcurrentLines(t *testing.T) {
	var s sink
	w := New(&s, Size, time.Hour)
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

// A writer that was busy becomes quiet a delay or two after its last line:
// the next line goes out at once again.
func TestWriterQuietAgain(t *testing.T) {
	var s sink
	const delay = 10 * time.Millisecond
	w := New(&s, 1024, delay)
	defer w.Close()
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	waitFor(t, &s, "one\ntwo\n", 2*time.Second)
	time.Sleep(5 * delay)
	w.Write([]byte("three\n"))
	if got := s.String(); got != "one\ntwo\nthree\n" {
		t.Errorf("after a quiet spell: %q, want the line at once", got)
	}
}
