package fastpath

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// Each shortcut answers as its library does, on tables around every case
// it handles, on random inputs and, with FuzzAgreement, on anything; and
// it answers for the requests clients send, or it would be no shortcut.

// bodies are JSON texts around the shapes DecodeObject decodes.
var bodies = []string{
	`{}`, ` { } `, "\t{\n}\r\n", `{"SessionId":"s","Chunk":"c"}`, `{"Chunk":"é中😀"}`, `{"":""}`, `{" ":" "}`,
	`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, ","MsgKey":"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1","Finish":1}`,
	`{"Chunk":"a\nb"}`, `{"Chunk":"\u00e9"}`, `{"Chunk":"\x"}`, `{"Chunk":"\"}`, `{"Chunk":"a` + "\x01" + `"}`, `{"a\"b":1}`,
	`{"Finish":0}`, `{"Finish":-0}`, `{"Finish":1.0}`, `{"Finish":1e0}`, `{"Finish":01}`, `{"Finish":-01}`, `{"Finish":00}`, `{"Finish":1.}`,
	`{"Finish":-}`, `{"Finish":+1}`, `{"Finish":1 2}`, `{"Finish":1e400}`, `{"Finish":true}`, `{"Finish":null}`, `{"Finish":nul}`,
	`{"a":1,"a":2}`, `{"a":[1]}`, `{"a":{}}`, `{"a":"b",}`, `{,}`, `{"a" "b"}`, `{"a":}`, `{"a":"b"`, `{"a":"b"}}`, `{"a":"b"} x`,
	`{"a":"b"}{}`, `{a:1}`, `{'a':1}`, `[]`, `"str"`, `1`, `null`, ``, ` `, `{`, `}`, `{"`, `{"a":"`, `{"a":1 "b":2}`, "\ufeff{}",
	`{"a":"b"}` + "\x00", "{\"a\":\"\u2028\"}",
}

// randomBody returns a body made of pieces of JSON, valid or nearly so.
func randomBody(rng *rand.Rand) string {
	keys := []string{"SessionId", "Chunk", "MsgKey", "Finish", "CloudCustomData", "Other", "", "a\\u0041", "é"}
	values := []string{`"s"`, `""`, `"a\nb"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\q"`, `"` + "\x1f" + `"`, `0`, `1`, `-0`,
		`1.0`, `1e3`, `-1.5E-2`, `01`, `1.`, `true`, `false`, `null`, `nul`, `[]`, `{}`, `[1,{"a":2}]`, `"中文"`}
	var b strings.Builder
	b.WriteString([]string{"", " ", "\n\t"}[rng.IntN(3)])
	b.WriteByte('{')
	n := rng.IntN(6)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString([]string{",", ", ", " ,", ",,"}[rng.IntN(4)])
		}
		b.WriteString(strconv.Quote(keys[rng.IntN(len(keys))]))
		b.WriteString([]string{":", " : ", "", "::"}[rng.IntN(4)])
		b.WriteString(values[rng.IntN(len(values))])
	}
	b.WriteString([]string{"}", "} ", "}x", "", "}}"}[rng.IntN(5)])
	return b.String()
}

// decodeJSON is what the shortcut stands for: encoding/json with
// UseNumber, one value and nothing after it.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// agreesJSON fails when DecodeObject decodes s otherwise than encoding/json.
func agreesJSON(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		return // the caller refuses it first
	}
	got, ok := DecodeObject(s)
	want, err := decodeJSON(s)
	if ok && (err != nil || !reflect.DeepEqual(any(got), want)) {
		t.Fatalf("%q: DecodeObject %#v, encoding/json %#v, %v", s, got, want, err)
	}
}

// requestSchemaValues are decoded bodies around every keyword of the
// request schema.
func requestSchemaValues() []any {
	var out []any
	strs := []any{"", "s", "fd8a2e30-54de-4e40-bcaf-02718409c5cf", "中"}
	others := []any{nil, true, false, json.Number("0"), json.Number("1"), json.Number("-0"), json.Number("1.0"), json.Number("0.0"),
		json.Number("1e0"), json.Number("10e-1"), json.Number("2"), json.Number("-1"), json.Number("0.5"), json.Number("1e400"),
		json.Number("100000000000000000000000000001"), []any{}, []any{"1"}, map[string]any{}, map[string]any{"a": "b"}}
	fields := []string{"SessionId", "Chunk", "MsgKey", "Finish", "CloudCustomData"}
	all := append(append([]any{}, strs...), others...)
	// Every field alone with every value, on top of a valid body.
	for _, f := range fields {
		for _, v := range all {
			out = append(out, map[string]any{"SessionId": "s", "Chunk": "c", f: v}, map[string]any{f: v})
		}
	}
	// Every subset of the fields, with string or number values.
	for mask := 0; mask < 1<<len(fields); mask++ {
		for _, v := range []any{"x", json.Number("1"), json.Number("0")} {
			m := map[string]any{"Unknown": []any{1}}
			for i, f := range fields {
				if mask&(1<<i) != 0 {
					m[f] = v
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// requestSchema is the v1 request schema, compiled.
func requestSchema(t testing.TB) *FlatSchema {
	src, err := schemas.Source(schemas.RequestFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CompileFlat(src)
	if err != nil {
		t.Fatalf("the request schema is not flat: %v", err)
	}
	return s
}

// agreesSchema fails when the compiled schema accepts a value that the JSON
// Schema library refuses, or one that the library cannot judge at all (it
// panics on numbers such as 1e1000010, which the pipeline refuses before
// either sees them).
func agreesSchema(t *testing.T, s *FlatSchema, v any) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return // only objects are asked
	}
	panicked, lib := libraryVerdict(v)
	if s.Accepts(m) && (lib != nil || panicked) {
		t.Fatalf("%#v: the compiled schema accepts it, the library says %v (panicked: %v)", v, lib, panicked)
	}
}

// libraryVerdict validates v with the JSON Schema library, reporting a
// panic of the library's rather than dying of it.
func libraryVerdict(v any) (panicked bool, err error) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return false, schemas.Must(schemas.RequestFile).Validate(v)
}

// agreesAccepted fails when QueryAccepted and the query schema disagree
// on a query with these parameters and a valid random and contenttype.
func agreesAccepted(t *testing.T, sdkappid, identifier, usersig string) {
	t.Helper()
	m := map[string]any{"sdkappid": sdkappid, "identifier": identifier, "usersig": usersig, "random": "4294967295", "contenttype": "json"}
	lib := schemas.Must(schemas.QueryFile).Validate(m)
	if got := QueryAccepted(sdkappid, identifier, usersig); got != (lib == nil) {
		t.Fatalf("%q %q %q: QueryAccepted %v, the schema says %v", sdkappid, identifier, usersig, got, lib)
	}
}

func TestAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t.Run("DecodeObject", func(t *testing.T) {
		for _, s := range bodies {
			agreesJSON(t, s)
		}
		for range 20000 {
			agreesJSON(t, randomBody(rng))
		}
	})
	t.Run("Schema", func(t *testing.T) {
		s := requestSchema(t)
		for _, v := range requestSchemaValues() {
			agreesSchema(t, s, v)
		}
		for range 20000 {
			if v, err := decodeJSON(randomBody(rng)); err == nil {
				agreesSchema(t, s, v)
			}
		}
	})
	t.Run("QueryAccepted", func(t *testing.T) {
		sdkappids := []string{"", "0", "1", "1400000001", "01400000001", strings.Repeat("9", 20), strings.Repeat("9", 21), strings.Repeat("0", 20),
			"-1", "+1", "1a", "a", " 1", "1\n", "١", "1\xff", "14000x0001"}
		identifiers := []string{"", "a", "administrator", strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129),
			strings.Repeat("中", 128), strings.Repeat("中", 129), strings.Repeat("😀", 128), strings.Repeat("\xff", 128), strings.Repeat("\xff", 129),
			strings.Repeat("a", 127) + "中", "\x00", "a\nb"}
		usersigs := []string{"", "x", " ", "\xff", strings.Repeat("x", 2000)}
		for _, s := range sdkappids {
			for _, id := range identifiers {
				for _, sig := range usersigs {
					agreesAccepted(t, s, id, sig)
				}
			}
		}
	})
	// The requests clients send take the shortcuts.
	for _, s := range []string{
		`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`,
		"{\n  \"SessionId\": \"fd8a2e30-54de-4e40-bcaf-02718409c5cf\",\n  \"Chunk\": \"x\",\n  \"MsgKey\": \"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1\",\n  \"Finish\": 1,\n  \"CloudCustomData\": \"{}\"\n}\n",
	} {
		m, ok := DecodeObject(s)
		if !ok || !requestSchema(t).Accepts(m) {
			t.Errorf("%q takes the slow path", s)
		}
	}
	if !QueryAccepted("1400000001", "administrator", "eJyr*Vgrx-CdYr_") {
		t.Error("the default app's query takes the slow path")
	}
}

// FuzzAgreement checks every shortcut on any body and query parameters.
func FuzzAgreement(f *testing.F) {
	for i, s := range bodies {
		f.Add(s, strconv.Itoa(i), "administrator")
	}
	s := requestSchema(f)
	f.Fuzz(func(t *testing.T, body, sdkappid, identifier string) {
		agreesJSON(t, body)
		if v, err := decodeJSON(body); err == nil {
			agreesSchema(t, s, v)
		}
		agreesAccepted(t, sdkappid, identifier, body)
	})
}

// CompileFlat refuses every schema whose verdicts it could not give by
// plain comparison, so that such a schema goes to the library whole.
func TestCompileFlatRefuses(t *testing.T) {
	v2, err := schemas.Source(schemas.RequestV2File)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		string(v2),
		`[]`, `{"type":"array"}`, `{"type":["object"]}`, `{"additionalProperties":false}`, `{"required":"a"}`,
		`{"properties":{"a":{"type":"number"}}}`, `{"properties":{"a":{"type":"integer"}}}`,
		`{"properties":{"a":{"type":"integer","enum":["1"]}}}`, `{"properties":{"a":{"type":"string","enum":[1]}}}`,
		`{"properties":{"a":{"type":"string","enum":[]}}}`, `{"properties":{"a":{"type":"string","maxLength":3}}}`,
		`{"properties":{"a":{"type":"string","pattern":"^x$"}}}`, `{"properties":{"a":true}}`,
	} {
		if s, err := CompileFlat([]byte(src)); err == nil {
			t.Errorf("%.60s: compiled to %+v", src, s)
		}
	}
}
