// Package reportfile writes a report file: created or truncated, written
// whole by one function, closed, with every error returned.
package reportfile

import (
	"io"
	"os"
)

// Write creates or truncates path with mode (before umask) and writes it
// through write. The error of write, or else of closing, is returned.
func Write(path string, mode os.FileMode, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
