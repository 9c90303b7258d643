package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// readLines returns the lines of a file, "" for none.
func readLines(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\n", "|")
}

// A journal file is rotated when a line would take it past its limit:
// FILE.1 … FILE.keep-1 move up one, the oldest is dropped, and every line of
// the last keep rotations is kept, each once, in order.
func TestJournalFileRotates(t *testing.T) {
	line := func(c byte) []byte { return append(bytes.Repeat([]byte{c}, 29), '\n') } // 30 bytes
	l := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			b.WriteString(strings.Repeat(string(c), 29) + "|")
		}
		return b.String()
	}
	// abc fill 90 bytes; d rotates; def; g rotates; ghi; j rotates; jk.
	tests := []struct {
		keep int
		want []string // FILE, FILE.1, …
	}{
		{1, []string{l("jk"), l("ghi")}},
		{2, []string{l("jk"), l("ghi"), l("def")}},
		{3, []string{l("jk"), l("ghi"), l("def"), l("abc")}},
		{5, []string{l("jk"), l("ghi"), l("def"), l("abc")}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep %d", tt.keep), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			var log bytes.Buffer
			j, err := OpenJournalFile(path, 100, tt.keep, slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []byte("abcdefghijk") {
				if _, err := j.Write(line(c)); err != nil {
					t.Fatal(err)
				}
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if got := readLines(t, j.name(i)); got != want {
					t.Errorf("%s: %q, want %q", j.name(i), got, want)
				}
			}
			if _, err := os.Stat(j.name(len(tt.want))); err == nil {
				t.Errorf("%s exists; %d files to keep", j.name(len(tt.want)), tt.keep)
			}
			if n := strings.Count(log.String(), "level=WARN msg=\"journal file reached its size limit"); n != 3 {
				t.Errorf("%d rotation warnings, want 3:\n%s", n, log.String())
			}
			if n, _ := j.Lost(); n != 0 || j.Problem() != "" {
				t.Errorf("lost %d, problem %q", n, j.Problem())
			}
		})
	}
}

// An existing file counts: one already past the limit is rotated at the
// first line. Bad limits are refused.
func TestJournalFileCountsWhatIsThere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 200), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournalFile(path, 100, 1, nil)
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
	for _, bad := range []struct {
		max  int64
		keep int
	}{{0, 1}, {100, 0}, {100, MaxJournalFiles + 1}} {
		if _, err := OpenJournalFile(path, bad.max, bad.keep, nil); err == nil {
			t.Errorf("max %d, keep %d: accepted", bad.max, bad.keep)
		}
	}
}

// diskFull makes a JournalFile's writes fail as a full disk does while it
// is on: the first half of the line reaches the file, then ENOSPC.
type diskFull struct{ on atomic.Bool }

func (d *diskFull) write(f *os.File, p []byte) (int, error) {
	if !d.on.Load() {
		return f.Write(p)
	}
	n, _ := f.Write(p[:len(p)/2])
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// A write that fails mid-line (a full disk) loses that line from the file
// only: the part written is taken back (or, where the file cannot be
// truncated, ended by a newline), so every line written whole stays a
// valid JSON line of its own; Problem reports the failure and the count
// until a write succeeds; the failure is logged once per spell, not once
// per line; Lost keeps the count after the recovery.
func TestJournalFileFullDisk(t *testing.T) {
	tests := []struct {
		name     string
		truncate bool
		// the file's lines after: ok1, (3 lost), ok2, (2 lost), ok3
		want []string
	}{
		{"truncated back", true, []string{`{"n":"ok1"}`, `{"n":"ok2"}`, `{"n":"ok3"}`}},
		// Each torn part is a line of its own (the next line starts with a
		// newline), never the beginning of a whole line.
		{"ended by a newline", false, []string{`{"n":"ok1"}`, `{"n":"l`, `{"n":"`, `{"n":"`, `{"n":"ok2"}`, `{"n":"l`, `{"n":"`, `{"n":"ok3"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			var log lockedBuffer
			j, err := OpenJournalFile(path, 1<<20, 1, slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			var disk diskFull
			j.write = disk.write
			j.regular = tt.truncate // a file that is not regular is never truncated
			write := func(s string) {
				t.Helper()
				if n, err := j.Write([]byte(`{"n":"` + s + `"}` + "\n")); err != nil || n != len(s)+9 {
					t.Fatalf("Write: %d, %v; want no error", n, err)
				}
			}
			write("ok1")
			disk.on.Store(true)
			for _, s := range []string{"lost1", "lost2", "lost3"} {
				write(s)
			}
			p := j.Problem()
			for _, w := range []string{path, "no space left on device", "3 line(s) lost"} {
				if !strings.Contains(p, w) {
					t.Errorf("Problem() = %q, lacks %q", p, w)
				}
			}
			disk.on.Store(false)
			write("ok2")
			if p := j.Problem(); p != "" {
				t.Errorf("Problem() = %q once writes succeed again", p)
			}
			disk.on.Store(true)
			write("lost4")
			write("lost5")
			disk.on.Store(false)
			write("ok3")
			if n, err := j.Lost(); n != 5 || err == nil || !strings.Contains(err.Error(), "no space left") {
				t.Errorf("Lost() = %d, %v; want 5 and the error", n, err)
			}
			got := strings.Split(strings.TrimSuffix(readLines(t, path), "|"), "|")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("file lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, l := range got {
				if strings.HasSuffix(l, "}") && !json.Valid([]byte(l)) {
					t.Errorf("line %q is not JSON: a torn line merged with the next", l)
				}
			}
			logs := log.String()
			if n := strings.Count(logs, "level=ERROR msg=\"journal file: cannot write"); n != 2 {
				t.Errorf("%d errors logged for 2 spells of failures, want 2:\n%s", n, logs)
			}
			if n := strings.Count(logs, "msg=\"journal file: writing again\""); n != 2 || !strings.Contains(logs, "lines_lost=3 lines_lost_in_all=3") {
				t.Errorf("%d recoveries logged, want 2 (the first with 3 lines lost):\n%s", n, logs)
			}
		})
	}
}

// A journal file that cannot be written at all (/dev/full) reports it.
func TestJournalFileDevFull(t *testing.T) {
	j, err := OpenJournalFile("/dev/full", 100, 1, nil)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer j.Close()
	j.Write([]byte("{}\n"))
	j.Write([]byte("{}\n"))
	if n, _ := j.Lost(); n != 2 || !strings.Contains(j.Problem(), "no space left on device") {
		t.Errorf("Lost %d, Problem %q; want 2 and the failure", n, j.Problem())
	}
}

// A journal file removed, or replaced by another file, while it is open is
// reopened at its path at the next check, with a warning, so that the
// later lines reach the path; the replacing file's lines are kept.
func TestJournalFileReopens(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
		want   string // the file at the path after
	}{
		{"removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, "after|"},
		{"replaced", func(t *testing.T, path string) {
			other := path + ".new"
			if err := os.WriteFile(other, []byte("other\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}, "other|after|"},
		{"moved away", func(t *testing.T, path string) {
			if err := os.Rename(path, path+".old"); err != nil {
				t.Fatal(err)
			}
		}, "after|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			var log bytes.Buffer
			j, err := OpenJournalFile(path, 1<<20, 1, slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			j.checkEvery = 0 // check at every line
			j.Write([]byte("before\n"))
			tt.change(t, path)
			j.Write([]byte("after\n"))
			if got := readLines(t, path); got != tt.want {
				t.Errorf("FILE %q, want %q", got, tt.want)
			}
			if !strings.Contains(log.String(), "journal file was removed or replaced; reopened it") || j.Problem() != "" {
				t.Errorf("problem %q, log:\n%s", j.Problem(), log.String())
			}
		})
	}
}

// A directory put in the journal's place cannot be reopened: the lines
// are lost and reported until the path can be opened again.
func TestJournalFileCannotReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournalFile(path, 1<<20, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.checkEvery = 0
	j.Write([]byte("before\n"))
	os.Remove(path)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	j.Write([]byte("lost\n"))
	if !strings.Contains(j.Problem(), "no longer a regular file") {
		t.Errorf("Problem %q", j.Problem())
	}
	os.Remove(path)
	j.Write([]byte("after\n"))
	if got := readLines(t, path); got != "after|" || j.Problem() != "" {
		t.Errorf("FILE %q, problem %q", got, j.Problem())
	}
	if n, _ := j.Lost(); n != 1 {
		t.Errorf("lost %d, want 1", n)
	}
}

// Over the real HTTP path, a journal file on a full disk turns health
// degraded with the reason while the endpoint keeps answering and the
// in-memory journal keeps every exchange; once the disk has room again
// health is "ok" and the later exchanges reach the file, whose every line
// is a whole exchange.
func TestJournalFileFullDiskHealth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournalFile(path, 1<<20, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var disk diskFull
	j.write = disk.write
	ts := NewTestServer(t, func(c *Config) { c.Journal = j })
	health := func() (int, string) {
		resp, err := http.Get(ts.URL + "/__admin/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	send := func(chunk string) {
		t.Helper()
		if rep := post(t, ts.EndpointURL(), ChunkBody(testSession, "", chunk, true)); rep.ErrorCode != 0 {
			t.Fatalf("reply %+v", rep)
		}
	}
	send("one")
	disk.on.Store(true)
	send("two")
	send("three")
	if code, body := health(); code != http.StatusServiceUnavailable || !strings.Contains(body, `"degraded"`) ||
		!strings.Contains(body, "no space left on device") || !strings.Contains(body, "2 line(s) lost") {
		t.Errorf("health while the disk is full: %d %s", code, body)
	}
	disk.on.Store(false)
	send("four")
	if code, body := health(); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("health once the disk has room: %d %s", code, body)
	}
	if n := len(ts.Requests(ExchangeFilter{})); n != 4 {
		t.Errorf("the in-memory journal holds %d exchanges, want 4", n)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var e Exchange
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		chunks = append(chunks, e.Chunk)
	}
	if strings.Join(chunks, ",") != "one,four" {
		t.Errorf("the file holds %q, want one,four", chunks)
	}
}
