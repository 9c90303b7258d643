package mockserver

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A journal file is rotated once to FILE.1 when a line would take it past
// its limit: no line is lost up to the rotation, an older FILE.1 is
// replaced, and a warning is logged.
func TestJournalFileRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	var log bytes.Buffer
	j, err := OpenJournalFile(path, 100, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	line := func(c byte) []byte { return append(bytes.Repeat([]byte{c}, 29), '\n') } // 30 bytes
	for _, c := range []byte("abcdefgh") {
		if _, err := j.Write(line(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(b), "\n", "|")
	}
	// abc fill 90 bytes; d rotates; def; g rotates, replacing abc.
	if got, want := read(path+".1"), strings.Repeat("d", 29)+"|"+strings.Repeat("e", 29)+"|"+strings.Repeat("f", 29)+"|"; got != want {
		t.Errorf("FILE.1 %q, want %q", got, want)
	}
	if got, want := read(path), strings.Repeat("g", 29)+"|"+strings.Repeat("h", 29)+"|"; got != want {
		t.Errorf("FILE %q, want %q", got, want)
	}
	if n := strings.Count(log.String(), "level=WARN msg=\"journal file reached its size limit"); n != 2 {
		t.Errorf("%d rotation warnings, want 2:\n%s", n, log.String())
	}
}

// An existing file counts: one already past the limit is rotated at the
// first line.
func TestJournalFileCountsWhatIsThere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 200), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournalFile(path, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Write([]byte("new\n"))
	j.Close()
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("FILE %q", b)
	}
	if fi, err := os.Stat(path + ".1"); err != nil || fi.Size() != 200 {
		t.Errorf("FILE.1: %v %v", fi, err)
	}
	if _, err := OpenJournalFile(path, 0, nil); err == nil {
		t.Error("a limit of 0 is accepted")
	}
}
