package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParse: Parse never panics, refuses with an *Error, and what it
// accepts is a scenario every step of which can be played, and which the
// schema accepts too.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	files = append(files, filepath.Join(dir, "transfer.yaml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && filepath.Ext(name) != ".err" {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse("f.yaml", b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if len(sc.Sessions) == 0 || len(sc.Sessions) > MaxSessions || len(sc.Steps) == 0 || len(sc.Steps) > MaxSteps {
			t.Fatalf("accepted %d sessions, %d steps", len(sc.Sessions), len(sc.Steps))
		}
		for i, st := range sc.Steps {
			ok := slices.Contains(actions, st.Action) && st.Session >= 0 && st.Session < len(sc.Sessions) && st.Line > 0 &&
				len(st.Text) <= MaxTextBytes && (st.Action != Transfer || st.Transfer != nil) && (st.Action != WaitFor || st.Wait != nil && st.Wait.Timeout > 0)
			if !ok {
				t.Fatalf("step %d: %+v", i, st)
			}
		}
		if !schemaAccepts(t, b) {
			t.Fatalf("Parse accepts what the schema refuses:\n%s", b)
		}
	})
}
