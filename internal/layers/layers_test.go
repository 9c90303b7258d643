// Package layers holds the test that keeps the module's layers apart:
// programs over libraries over leaves, as CONTRIBUTING.md draws them.
package layers

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/deskmock/deskmock"

// layer ranks a package of the module: a package may import only packages
// of a lower rank. The second result is false for a package the table does
// not place.
func layer(pkg string) (int, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	switch {
	case rel == "schemas", rel == "conformance/protocol",
		strings.HasPrefix(rel, "mockserver/"),
		strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(rel, "internal/app/"):
		return 0, true // leaves
	case rel == "mockserver":
		return 1, true
	case rel == "conformance":
		return 2, true
	case rel == "internal/app/deskmock":
		return 4, true // the one program that holds the others' commands
	case strings.HasPrefix(rel, "internal/app/"):
		return 3, true
	case strings.HasPrefix(rel, "cmd/"), strings.HasPrefix(rel, "testdata/"):
		return 5, true
	}
	return 0, false
}

// leafAllowed are the imports one leaf may make of another.
var leafAllowed = map[string][]string{
	"mockserver/dashboard":         {"internal/shellquote"},
	"mockserver/internal/fastpath": {"schemas"},
	"mockserver/scenario":          {"internal/yamlline", "internal/textcut", "schemas"},
	"mockserver/usersig":           {"internal/textcut"},
	"internal/redact":              {"mockserver/usersig"},
}

// TestLayers: no package of the module imports one of its own layer or
// above (a leaf imports no other leaf but as listed), and the deskmock
// binary does not link the testing package.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, imports := fields[0], fields[1:]
		from, ok := layer(pkg)
		if !ok {
			t.Errorf("%s has no layer: add it to layer() and to CONTRIBUTING.md's drawing", pkg)
			continue
		}
		n++
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module+"/") && imp != module {
				continue
			}
			to, ok := layer(imp)
			if !ok {
				continue // reported as a package of its own
			}
			rel := strings.TrimPrefix(imp, module+"/")
			allowed := to < from
			if from == 0 && to == 0 {
				allowed = false
				for _, a := range leafAllowed[strings.TrimPrefix(pkg, module+"/")] {
					allowed = allowed || a == rel
				}
			}
			if !allowed {
				t.Errorf("%s (layer %d) imports %s (layer %d)", pkg, from, imp, to)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list named only %d packages", n)
	}
	deps, err := exec.Command("go", "list", "-deps", module+"/cmd/deskmock").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, d := range strings.Fields(string(deps)) {
		if d == "testing" {
			t.Error("the deskmock binary links the testing package")
		}
	}
}
