package mockserver

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// DefaultJournalFileBytes is the size at which a JournalFile is rotated:
// 256 MiB. Configurable as limits.journal_file_bytes.
const DefaultJournalFileBytes = 256 << 20

// MaxJournalFileBytes bounds limits.journal_file_bytes: 64 GiB.
const MaxJournalFileBytes = 64 << 30

// JournalFile is a journal sink on disk, bounded in size: when a line would
// take the file past its limit, the file is renamed to its name plus ".1"
// (replacing an older one), a new file is started and a warning logged.
// So at most about twice the limit is kept on disk, and every line written
// before the rotation is in the ".1" file. A file that is not a regular file
// (a pipe, /dev/stdout) is never rotated. It is safe for concurrent use.
type JournalFile struct {
	mu      sync.Mutex
	path    string
	max     int64
	size    int64
	regular bool
	f       *os.File
	log     *slog.Logger
}

// OpenJournalFile opens path for appending, creating it if needed, to be
// rotated at maxBytes; log, when not nil, receives the rotation warning.
// The caller should call Close when finished.
func OpenJournalFile(path string, maxBytes int64, log *slog.Logger) (*JournalFile, error) {
	if maxBytes < 1 {
		return nil, fmt.Errorf("mockserver: journal file %s: the size limit %d is not positive", path, maxBytes)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("mockserver: journal file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mockserver: journal file: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &JournalFile{path: path, max: maxBytes, size: fi.Size(), regular: fi.Mode().IsRegular(), f: f, log: log}, nil
}

// Write appends p, rotating the file first when p would take it past its
// limit. The journal writes one line per call.
func (j *JournalFile) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.regular && j.size > 0 && j.size+int64(len(p)) > j.max {
		if err := j.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := j.f.Write(p)
	j.size += int64(n)
	return n, err
}

// rotate moves the file to path.1 and starts a new one.
func (j *JournalFile) rotate() error {
	old := j.path + ".1"
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("mockserver: journal file: rotating: %w", err)
	}
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("mockserver: journal file: rotating: %w", err)
	}
	if err := os.Rename(j.path, old); err != nil {
		return fmt.Errorf("mockserver: journal file: rotating: %w", err)
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mockserver: journal file: rotating: %w", err)
	}
	j.log.Warn("journal file reached its size limit; rotated it, replacing the older one",
		slog.String("file", j.path), slog.String("rotated_to", old), slog.Int64("size", j.size), slog.Int64("max_bytes", j.max))
	j.f, j.size = f, 0
	return nil
}

// Sync commits the file to stable storage.
func (j *JournalFile) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Sync()
}

// Close closes the file.
func (j *JournalFile) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}
