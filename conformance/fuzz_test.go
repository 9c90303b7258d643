package conformance

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseCases reads any text as a case file and checks that ParseCases
// never panics; that its errors name the file; and that the cases it
// accepts are usable (their chunks expand, their faults are valid) and
// read back the same from their own JSON encoding.
func FuzzParseCases(f *testing.F) {
	addFiles(f, builtinCases, "cases/*.json")
	for _, s := range []string{
		``,
		`{}`,
		`{"cases":[]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"]},"expect":{"ok":true}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":[{"repeat":"ab","bytes":5}]},"expect":{"ok":true}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":[{"repeat":"","bytes":5}]},"expect":{"ok":true}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":[{"repeat":"x","bytes":1048577}]},"expect":{"ok":true}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"],"session_id":"bad"},"mock":{"session":"ended"},"expect":{"ok":false,"error_code":141005}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"]},"mock":{"faults":[{"match":{"call":2},"action":{"reset":true,"when":"after_apply"},"times":1}]},"expect":{"ok":true,"texts":["x","x"]},"levels":{"stream/text-equals-chunks":"INFO"}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"]},"expect":{"ok":true},"levels":{"no/such-check":"MUST"}}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"]},"mock":{"faults":[{"action":{}}]},"expect":{"ok":true}}]}`,
		`{"cases":[{"name":"a"},{"name":"a"}]}`,
		`{"cases":[{"name":"a","description":"d","input":{"chunks":["x"]},"expect":{"ok":true}}]} {}`,
		`[{"cases":1}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		const name = "fuzz.json"
		cases, err := ParseCases(name, text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "conformance: "+name+": ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, c := range cases {
			if c.File != name {
				t.Errorf("case %q: File %q", c.Name, c.File)
			}
			c.Chunks()
			for i, ch := range c.Input.Chunks {
				if ch.Repeat != "" && len(ch.String()) != ch.Bytes {
					t.Errorf("case %q chunk %d: %d bytes, want %d", c.Name, i, len(ch.String()), ch.Bytes)
				}
			}
			c.WantTexts()
			for i := range c.Mock.Faults {
				if err := c.Mock.Faults[i].Validate(); err != nil {
					t.Errorf("case %q fault %d accepted, yet invalid: %v", c.Name, i, err)
				}
			}
		}

		// The cases' own JSON, less what a server fills in (fired), reads
		// back the same.
		b, err := json.Marshal(caseFile{Cases: cases})
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, c := range doc["cases"].([]any) {
			mock, _ := c.(map[string]any)["mock"].(map[string]any)
			faults, _ := mock["faults"].([]any)
			for _, f := range faults {
				delete(f.(map[string]any), "fired")
			}
		}
		if b, err = json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		again, err := ParseCases(name, b)
		if err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if diff := cmp.Diff(cases, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("read back differs (-first +again):\n%s", diff)
		}
	})
}

// FuzzParseBotCases reads any text as a bot case file and checks that
// ParseBotCases never panics, that its errors name the file, and that the
// cases it accepts name valid sessions and have messages to say.
func FuzzParseBotCases(f *testing.F) {
	addFiles(f, builtinBotCases, "bot-cases/*.json")
	for _, s := range []string{``, `{}`, `{"cases":[]}`, `{"cases":[{"name":"a","description":"d","version":"v1","messages":["x"],"sessions":3}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cases, err := ParseBotCases("fuzz.json", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		for _, c := range cases {
			ids := c.SessionIDs()
			if len(ids) < 1 || len(ids) > maxBotSessions || len(c.Messages) == 0 {
				t.Fatalf("case %q: %d sessions, %d messages", c.Name, len(ids), len(c.Messages))
			}
			for i := range ids {
				for j := range c.Messages {
					if c.message(i, j) == "" {
						t.Fatalf("case %q: empty message", c.Name)
					}
				}
			}
		}
	})
}

// addFiles adds the files of fsys that match pattern to the seed corpus.
func addFiles(f *testing.F, fsys fs.FS, pattern string) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil || len(names) == 0 {
		f.Fatalf("%s: %v", pattern, err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
