package mockserver

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the journal file.
const (
	// DefaultJournalFileBytes is the size at which a JournalFile is
	// rotated: 256 MiB. Configurable as limits.journal_file_bytes.
	DefaultJournalFileBytes = 256 << 20
	// MaxJournalFileBytes bounds limits.journal_file_bytes: 64 GiB.
	MaxJournalFileBytes = 64 << 30
	// DefaultJournalFiles is how many rotated files a JournalFile keeps
	// (FILE.1 to FILE.3): with the default size, at most 1 GiB on disk.
	// Configurable as limits.journal_files.
	DefaultJournalFiles = 3
	// MaxJournalFiles bounds limits.journal_files.
	MaxJournalFiles = 100
)

// errJournalClosed is the failure of a line written after Close.
var errJournalClosed = errors.New("the journal file is closed")

// journalCheckEvery is how often a JournalFile compares its open file with
// the file at its path, to notice one removed or replaced. The check is a
// stat(2) of the path (about a microsecond); made on every line it would
// cost a noticeable share of an exchange (some 13 µs), made at most ten
// times a second it costs nothing measurable whatever the rate, and only
// the lines of the first 100 ms after a removal go to the removed file.
const journalCheckEvery = 100 * time.Millisecond

// JournalFile is a journal sink on disk, bounded in size, whose failures
// are visible. When a line would take the file past its limit, FILE.1 …
// FILE.N-1 move to FILE.2 … FILE.N (the oldest, FILE.N, is dropped), the
// file becomes FILE.1, a new file is started and a warning logged; so every
// line written is in one of the N+1 files until N rotations later. A file
// removed or replaced while it is open is noticed (within 100 ms) and
// reopened at its path. A file that is not a
// regular file (a pipe, /dev/stdout) is never rotated nor reopened.
//
// A line that cannot be written is lost from the file only: the in-memory
// journal keeps it. The failure is logged once per spell of failures (and
// the recovery once), counted (Lost), and reported by Problem until a write
// succeeds again, which turns the server's health degraded. A line cut
// short by a failure is truncated away (or, where the file cannot be
// truncated, ended by a newline before the next line), so every line
// written whole stays a valid JSON line. It is safe for concurrent use.
type JournalFile struct {
	mu         sync.Mutex
	path       string
	max        int64
	keep       int
	size       int64
	regular    bool        // the file opened first was a regular file: rotate and reopen
	f          *os.File    // nil while the path cannot be (re)opened
	fi         fs.FileInfo // of f, to compare with the path's
	checked    time.Time   // when the path was last compared with f
	checkEvery time.Duration
	torn       bool  // f ends with part of a line that could not be truncated away
	failing    error // the error of the current spell of failures; nil while writes succeed
	spellLost  int64
	log        *slog.Logger
	write      func(f *os.File, p []byte) (int, error) // (*os.File).Write; tests inject failures

	lost    atomic.Int64
	lastErr atomic.Pointer[error] // while failing: the latest error; kept afterwards for Lost
	healthy atomic.Bool
}

// OpenJournalFile opens path for appending, creating it if needed, to be
// rotated at maxBytes keeping keep older files (FILE.1 … FILE.keep); log,
// when not nil, receives the warnings (rotation, reopening) and errors
// (lost lines). The caller should call Close when finished.
func OpenJournalFile(path string, maxBytes int64, keep int, log *slog.Logger) (*JournalFile, error) {
	if maxBytes < 1 {
		return nil, fmt.Errorf("mockserver: journal file %s: the size limit %d is not positive", path, maxBytes)
	}
	if keep < 1 || keep > MaxJournalFiles {
		return nil, fmt.Errorf("mockserver: journal file %s: %d files to keep is not in 1..%d", path, keep, MaxJournalFiles)
	}
	f, fi, err := openJournalPath(path, 0)
	if err != nil {
		return nil, fmt.Errorf("mockserver: journal file: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	j := &JournalFile{path: path, max: maxBytes, keep: keep, size: fi.Size(), regular: fi.Mode().IsRegular(),
		f: f, fi: fi, checked: time.Now(), checkEvery: journalCheckEvery, log: log, write: (*os.File).Write}
	j.healthy.Store(true)
	return j, nil
}

// openJournalPath opens path for appending, with extra flags, and stats it.
func openJournalPath(path string, flag int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|flag, 0o644)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// Write appends the line p, rotating the file first when p would take it
// past its limit. The journal writes one line per call. It never returns
// an error: a line that cannot be written is counted, the failure logged
// and reported by Problem, and the next line tried again.
func (j *JournalFile) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.writeLine(p); err != nil {
		j.fail(err)
	} else if j.failing != nil {
		j.recovered()
	}
	return len(p), nil
}

// writeLine writes p whole or leaves the file as it was (or, when it cannot
// be truncated, marked torn); j.mu is held.
func (j *JournalFile) writeLine(p []byte) error {
	if j.regular {
		if now := time.Now(); now.Sub(j.checked) >= j.checkEvery {
			j.checked = now
			if err := j.follow(); err != nil {
				return err
			}
		}
	}
	if j.f == nil {
		if j.failing != nil {
			return j.failing // the path could not be reopened; tried again at the next check
		}
		return errJournalClosed
	}
	if j.regular && j.size > 0 && j.size+int64(len(p)) > j.max {
		if err := j.rotate(); err != nil {
			return err
		}
	}
	if j.torn {
		p = append([]byte{'\n'}, p...) // ends the part of a line before this one
	}
	before := j.size
	n, err := j.write(j.f, p)
	j.size += int64(n)
	switch {
	case err == nil && n < len(p):
		err = fmt.Errorf("write %s: %w", j.path, io.ErrShortWrite)
	case err == nil:
		j.torn = false
		return nil
	}
	if n > 0 {
		j.mend(before)
	}
	return err
}

// mend removes the part of a line a failed write left, by truncating the
// file back to before; where that fails the file is marked torn, and the
// next line starts with a newline. j.mu is held.
func (j *JournalFile) mend(before int64) {
	if j.regular && j.f.Truncate(before) == nil {
		j.size = before
		return
	}
	j.torn = true
}

// follow reopens the path when the file there is no longer the open one
// (removed, renamed or replaced) or none is open; j.mu is held.
func (j *JournalFile) follow() error {
	fi, err := os.Stat(j.path)
	if err == nil && j.f != nil && os.SameFile(fi, j.fi) {
		return nil
	}
	if err == nil && !fi.Mode().IsRegular() {
		// Opening a pipe put there would block every request.
		j.closeFile()
		return fmt.Errorf("reopening: the path is no longer a regular file (%s)", fi.Mode().Type())
	}
	f, fi, err := openJournalPath(j.path, 0)
	if err != nil {
		j.closeFile()
		return fmt.Errorf("reopening: %w", err)
	}
	had := j.f != nil
	j.closeFile()
	j.f, j.fi, j.size, j.torn = f, fi, fi.Size(), false
	if had {
		j.log.Warn("journal file was removed or replaced; reopened it at its path", slog.String("file", j.path))
	}
	return nil
}

// closeFile closes the open file, if any; j.mu is held.
func (j *JournalFile) closeFile() {
	if j.f != nil {
		j.f.Close()
		j.f, j.fi = nil, nil
	}
}

// name is the path of the rotated file number i, or the path itself for 0.
func (j *JournalFile) name(i int) string {
	if i == 0 {
		return j.path
	}
	return j.path + "." + strconv.Itoa(i)
}

// rotate shifts FILE.1 … FILE.keep-1 up by one (dropping FILE.keep), moves
// the file to FILE.1 and starts a new one; j.mu is held.
func (j *JournalFile) rotate() error {
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("rotating: %w", err)
	}
	for i := j.keep; i > 0; i-- {
		// Renaming over FILE.keep drops the oldest; the open file is
		// renamed last, so a failure leaves every line in place.
		if err := os.Rename(j.name(i-1), j.name(i)); err != nil && (i == 1 || !errors.Is(err, fs.ErrNotExist)) {
			return fmt.Errorf("rotating: %w", err)
		}
	}
	f, fi, err := openJournalPath(j.path, os.O_TRUNC)
	if err != nil {
		j.closeFile() // the path no longer holds it: reopened at the next check
		return fmt.Errorf("rotating: %w", err)
	}
	j.log.Warn("journal file reached its size limit; rotated it",
		slog.String("file", j.path), slog.String("rotated_to", j.name(1)), slog.Int("files_kept", j.keep),
		slog.Int64("size", j.size), slog.Int64("max_bytes", j.max))
	j.closeFile()
	j.f, j.fi, j.size, j.torn, j.checked = f, fi, 0, false, time.Now()
	return nil
}

// fail counts a lost line and logs the first failure of a spell; j.mu is
// held.
func (j *JournalFile) fail(err error) {
	j.lost.Add(1)
	j.spellLost++
	j.lastErr.Store(&err)
	if j.failing == nil {
		j.failing = err
		j.healthy.Store(false)
		j.log.Error("journal file: cannot write; exchanges are missing from the file until writes succeed again (the in-memory journal keeps them)",
			slog.String("file", j.path), slog.String("error", err.Error()))
	}
}

// recovered ends a spell of failures; j.mu is held.
func (j *JournalFile) recovered() {
	j.log.Warn("journal file: writing again",
		slog.String("file", j.path), slog.Int64("lines_lost", j.spellLost), slog.Int64("lines_lost_in_all", j.lost.Load()))
	j.failing, j.spellLost = nil, 0
	j.healthy.Store(true)
}

// Problem says, while the latest line could not be written, why and how
// many lines the file misses; "" once writes succeed again. It makes the
// JournalFile a HealthReporter.
func (j *JournalFile) Problem() string {
	if j.healthy.Load() {
		return ""
	}
	err := j.lastErr.Load()
	if err == nil {
		return ""
	}
	return fmt.Sprintf("journal file %s: cannot write (%v); %d line(s) lost so far", j.path, *err, j.lost.Load())
}

// Lost returns how many lines could not be written since the file was
// opened, and the last error.
func (j *JournalFile) Lost() (int64, error) {
	n := j.lost.Load()
	if err := j.lastErr.Load(); err != nil {
		return n, *err
	}
	return n, nil
}

// Sync commits the file to stable storage.
func (j *JournalFile) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	return j.f.Sync()
}

// Close closes the file.
func (j *JournalFile) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f, j.fi = nil, nil
	return err
}
