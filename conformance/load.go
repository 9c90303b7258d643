package conformance

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/schemas"
)

//go:embed cases/*.json
var builtinCases embed.FS

//go:embed cases.schema.json
var caseSchemaSource []byte

// caseSchemaURL is where the case file schema is registered.
const caseSchemaURL = schemas.Base + "conformance/cases.schema.json"

var caseSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compileCaseSchema(caseSchemaURL, caseSchemaSource)
})

// compileCaseSchema compiles a case file schema, which may refer to the
// configuration's.
func compileCaseSchema(url string, source []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	src, err := schemas.Source(schemas.ConfigFile)
	if err != nil {
		return nil, err
	}
	if err := c.AddResource(schemas.Base+schemas.ConfigFile, bytes.NewReader(src)); err != nil {
		return nil, err
	}
	if err := c.AddResource(url, bytes.NewReader(source)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// caseFile is the layout of a case file.
type caseFile struct {
	Description string `json:"description,omitempty"`
	Cases       []Case `json:"cases"`
}

// Builtin returns the cases shipped with deskmock, in file then case order.
func Builtin() ([]Case, error) {
	names, err := fs.Glob(builtinCases, "cases/*.json")
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return loadFiles(names, func(name string) ([]byte, error) { return builtinCases.ReadFile(name) })
}

// LoadDir reads every *.json case file of dir, in name order.
func LoadDir(dir string) ([]Case, error) {
	names, err := caseFiles(dir, "case file")
	if err != nil {
		return nil, err
	}
	return loadFiles(names, os.ReadFile)
}

// caseFiles returns the *.json files of dir; what names them in errors.
func caseFiles(dir, what string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("conformance: %s: no *.json %s", dir, what)
	}
	return names, nil
}

func loadFiles(names []string, read func(string) ([]byte, error)) ([]Case, error) {
	all, err := parseFiles(names, read, ParseCases)
	if err != nil {
		return nil, err
	}
	if err := CheckUnique(all); err != nil {
		return nil, err
	}
	return all, nil
}

// parseFiles reads and parses files in name order, their cases joined.
func parseFiles[T any](names []string, read func(string) ([]byte, error), parse func(string, []byte) ([]T, error)) ([]T, error) {
	sort.Strings(names)
	var all []T
	for _, name := range names {
		b, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		cases, err := parse(name, b)
		if err != nil {
			return nil, err
		}
		all = append(all, cases...)
	}
	return all, nil
}

// ParseCases reads a case file. name is used in errors, which name the
// file, the case and the field.
func ParseCases(name string, b []byte) ([]Case, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("conformance: %s: %s", name, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fail("not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fail("data after the JSON value")
	}
	schema, err := caseSchema()
	if err != nil {
		return nil, fail("the case schema does not compile: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		return nil, fail("%s", problems(err, doc))
	}
	var f caseFile
	strict := json.NewDecoder(bytes.NewReader(b))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&f); err != nil {
		return nil, fail("%v", err)
	}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.File = name
		if err := c.validate(); err != nil {
			return nil, fail("/cases/%d (%s)/%v", i, c.Name, err)
		}
	}
	return f.Cases, nil
}

// validate checks what the schema cannot. Errors start with the field.
func (c *Case) validate() error {
	for i, f := range c.Mock.Faults {
		if err := f.Validate(); err != nil {
			return fmt.Errorf("mock/faults/%d/%v", i, err)
		}
	}
	ep, ok := protocol.EndpointOf(c.Input.Version)
	if !ok {
		return fmt.Errorf("input/version: %q names no endpoint", c.Input.Version)
	}
	given := c.Input.names()
	for _, f := range conversationFields() {
		if v := given.Value(f); *v != "" && !slices.ContainsFunc(ep.Conversation, sameInput(f)) {
			return fmt.Errorf("input/%s: endpoint %s has no %s", f.Input, ep.Name, f.Wire)
		}
	}
	if s := c.Mock.Session; s == SessionEnded || s == SessionUnknown {
		if !slices.ContainsFunc(ep.Conversation, func(f protocol.Field) bool { return f.Wire == "SessionId" }) {
			return fmt.Errorf("mock/session: %q is for an endpoint with a SessionId, not %s", s, ep.Name)
		}
		if id := c.Input.SessionID; id != "" && !mockserver.ValidSessionID(id) {
			return fmt.Errorf("mock/session: %q needs a well-formed input/session_id", s)
		}
	}
	if err := c.validateDesk(ep); err != nil {
		return err
	}
	if n, m := len(c.Input.PausesMS), len(c.Input.Chunks); n > m {
		return fmt.Errorf("input/pauses_ms: %d pauses for %d chunk(s)", n, m)
	}
	names := make([]string, 0, len(c.Levels))
	for n := range c.Levels {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := checkByName(n); !ok {
			return fmt.Errorf("levels/%s: no such check (see --list-checks)", n)
		}
	}
	return nil
}

// validateDesk checks the fields about Desk's session: the calls of
// input.then, the session ending mid-stream, the expected answers.
func (c *Case) validateDesk(ep protocol.Endpoint) error {
	desk := slices.ContainsFunc(ep.Conversation, func(f protocol.Field) bool { return f.Wire == "SessionId" })
	switch {
	case len(c.Input.Then) > 0 && !desk:
		return fmt.Errorf("input/then: Desk calls are for an endpoint with a SessionId, not %s", ep.Name)
	case c.Mock.EndSessionAfterCall > 0 && !desk:
		return fmt.Errorf("mock/end_session_after_call: for an endpoint with a SessionId, not %s", ep.Name)
	case len(c.Input.Chunks) == 0 && len(c.Input.Then) == 0:
		return fmt.Errorf("input/chunks: empty, and no input/then: the client would have nothing to do")
	case c.Expect.Then != nil && len(c.Expect.Then) != len(c.Input.Then):
		return fmt.Errorf("expect/then: %d answer(s) for %d call(s) of input/then", len(c.Expect.Then), len(c.Input.Then))
	case c.Mock.EndSessionAfterCall > 0 && c.Input.SessionID != "" && !mockserver.ValidSessionID(c.Input.SessionID):
		return fmt.Errorf("mock/end_session_after_call: needs a well-formed input/session_id")
	}
	for i, a := range c.Expect.Then {
		if a.Call != c.Input.Then[i] {
			return fmt.Errorf("expect/then/%d/call: %q, but input/then/%d is %q", i, a.Call, i, c.Input.Then[i])
		}
	}
	return nil
}

// conversationFields returns every field that names a conversation on
// some endpoint, once for each Input field that gives it (From_Account is
// optional on c2c and group, required on chatbot: one Input field).
func conversationFields() []protocol.Field {
	var out []protocol.Field
	for _, ep := range protocol.Endpoints() {
		for _, f := range ep.Conversation {
			if !slices.ContainsFunc(out, sameInput(f)) {
				out = append(out, f)
			}
		}
	}
	return out
}

// sameInput matches the fields given by f's Input field.
func sameInput(f protocol.Field) func(protocol.Field) bool {
	return func(g protocol.Field) bool { return g.Input == f.Input }
}

// CheckUnique fails when two cases share a name, naming both files.
func CheckUnique(cases []Case) error {
	seen := map[string]string{}
	for _, c := range cases {
		if f, dup := seen[c.Name]; dup {
			return fmt.Errorf("conformance: %s: case %q is already defined in %s", c.File, c.Name, f)
		}
		seen[c.Name] = c.File
	}
	return nil
}

// problems lists the leaf errors of a validation as "/pointer (case): msg",
// naming the case of each.
func problems(err error, doc any) string {
	var lines []string
	for _, p := range schemas.Problems(err) {
		loc := p.Location
		if loc == "" {
			loc = "(top level)"
		}
		lines = append(lines, nameCase(loc, doc)+": "+p.Message)
	}
	return strings.Join(lines, "; ")
}

// nameCase inserts the case name after "/cases/N" in a JSON pointer.
func nameCase(loc string, doc any) string {
	rest, ok := strings.CutPrefix(loc, "/cases/")
	if !ok {
		return loc
	}
	idx, tail, _ := strings.Cut(rest, "/")
	n, err := strconv.Atoi(idx)
	if err != nil {
		return loc
	}
	m, _ := doc.(map[string]any)
	list, _ := m["cases"].([]any)
	if n >= len(list) {
		return loc
	}
	c, _ := list[n].(map[string]any)
	name, _ := c["name"].(string)
	if name == "" {
		return loc
	}
	out := "/cases/" + idx + " (" + name + ")"
	if tail != "" {
		out += "/" + tail
	}
	return out
}
