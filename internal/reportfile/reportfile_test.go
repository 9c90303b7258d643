package reportfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.txt")
	if err := os.WriteFile(path, []byte("an older, longer report"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want it truncated to %q", b, "new")
	}
	boom := errors.New("boom")
	if err := Write(path, 0o600, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("the writer's error is lost: %v", err)
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir"), 0o600, func(io.Writer) error { return nil }); err == nil {
		t.Error("no error for a path that cannot be created")
	}
}
