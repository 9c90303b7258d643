package fastpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/url"
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
	`{}`, ` { } `, "\t{\n}\r\n", `{"SessionId":"s","Chunk":"c"}`,
	`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, ","MsgKey":"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1","Finish":1}`,
	`{"Chunk":"a\nb\"c\\d\/e\bf\fg\rh\ti"}`, `{"Chunk":"\u00e9\u4e2d\uD83D\uDE00"}`, `{"Chunk":"\uD83D"}`, `{"Chunk":"\uDE00\uD83D"}`,
	`{"Chunk":"\uD83D\u0041"}`, `{"Chunk":"\uD83Dx"}`, `{"Chunk":"\uD83D\uD83D\uDE00"}`, `{"Chunk":"\u0000"}`, `{"Chunk":"\uFFFF\uFFFE"}`,
	`{"Chunk":"\u12"}`, `{"Chunk":"\u12G4"}`, `{"Chunk":"\x"}`, `{"Chunk":"\"}`, `{"Chunk":"a` + "\x01" + `"}`, `{"Chunk":"a` + "\x7f" + `"}`,
	`{"Chunk":"é中😀"}`, `{"Finish":0}`, `{"Finish":-0}`, `{"Finish":1.0}`, `{"Finish":1e0}`, `{"Finish":1E+0}`, `{"Finish":10e-1}`,
	`{"Finish":01}`, `{"Finish":1.}`, `{"Finish":.5}`, `{"Finish":-}`, `{"Finish":1e}`, `{"Finish":+1}`, `{"Finish":0x1}`, `{"Finish":1e400}`,
	`{"Finish":-12.5e-3}`, `{"Finish":true}`, `{"Finish":false}`, `{"Finish":null}`, `{"Finish":tru}`, `{"Finish":nul}`, `{"Finish":truex}`,
	`{"Finish":nullnull}`, `{"Finish":1 2}`, `{"a":1,"a":2}`, `{"Chunk":"x","Chunk":"y"}`, `{"a":[1]}`, `{"a":{}}`, `{"a":"b",}`, `{,}`,
	`{"a" "b"}`, `{"a":}`, `{"a":"b"`, `{"a":"b"}}`, `{"a":"b"} x`, `{"a":"b"}{}`, `{"a":"b"} {}`, `{"\u0041":1}`, `{"a\"b":1}`, `{a:1}`,
	`{'a':1}`, `[]`, `[{"a":1}]`, `"str"`, `1`, `null`, ``, ` `, `{`, `}`, `{"`, `{"a`, `{"a"`, `{"a":`, `{"a":"`, `{"a":"b`,
	`{"a":1,}`, `{"a":1 "b":2}`, `{"SessionId":12,"Chunk":"hi"}`, `{"CloudCustomData":"{\"k\":1}"}`, "{\"a\":\"\u2028\u2029\"}",
	"\ufeff{}", `{"a":"b"}` + "\x00", `{"":""}`, `{" ":" "}`, `{"a":-0.0e-0}`, `{"a":0e1}`, `{"a":00}`, `{"a":-01}`, `{"a":1.5E-}`,
}

// randomFlatBody returns a body made of pieces of JSON, valid or nearly so.
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
			m := map[string]any{"SessionId": "s", "Chunk": "c"}
			m[f] = v
			out = append(out, m)
			m2 := map[string]any{f: v}
			out = append(out, m2)
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
	return append(out, all...)
}

// requestSchema is the v1 request schema, compiled.
func requestSchema(t testing.TB) *Schema {
	src, err := schemas.Source(schemas.RequestFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	s, err := CompileSchema(doc)
	if err != nil {
		t.Fatalf("the request schema uses a keyword CompileSchema does not know: %v", err)
	}
	return s
}

// agreesSchema fails when the compiled schema accepts a value that the JSON
// Schema library refuses, or one that the library cannot judge at all (it
// panics on numbers such as 1e1000010, which the pipeline refuses before
// either sees them).
func agreesSchema(t *testing.T, s *Schema, v any) {
	t.Helper()
	panicked, lib := libraryVerdict(v)
	if s.Accepts(v) && (lib != nil || panicked) {
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

// queries are raw query strings around what ReadIMQuery reads.
var queries = []string{
	"", "&", "&&", "=", "a", "a=", "=a", "sdkappid=1&identifier=a&usersig=x&random=1&contenttype=json",
	"sdkappid=1400000001&identifier=administrator&usersig=eJyr%2AVgrx-CdYr_&random=99999999&contenttype=json",
	"usersig=a%2Ab%2ac+d&identifier=%61dmin", "usersig=%", "usersig=%2", "usersig=%zz", "usersig=%%41", "x=%zz&usersig=a",
	"x=%4", "x=%41&sdkappid=1", "sdkappid=1;x=2", "x=1;y=2", "sdkappid=1&sdkappid=2", "sdkappid=1&sdkappid=1", "sdkappid=&sdkappid=",
	"sdk%61ppid=1", "sdkappid%3D1", "sdkappid+=1", "usersig=a&USERSIG=b", "usersig", "usersig&usersig=x", "identifier=a=b=c",
	"random=%2B1", "random=+1", "random=1+", "contenttype=js%6Fn", "contenttype=json&contenttype", "identifier=%E4%B8%AD",
	"identifier=%FF", "identifier=a%00b", "a=1&&b=2&", strings.Repeat("a=1&", 70) + "sdkappid=1",
	strings.Repeat("&", 63) + "sdkappid=1", strings.Repeat("&", 64) + "sdkappid=1",
}

// agreesQuery fails when ReadIMQuery reads raw otherwise than
// url.ParseQuery, or reads a query that gives a parameter twice.
func agreesQuery(t *testing.T, raw string) {
	t.Helper()
	q, ok := ReadIMQuery(raw)
	if !ok {
		return
	}
	all, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("%q: ReadIMQuery read it, url.ParseQuery fails: %v", raw, err)
	}
	for i, name := range IMParams {
		if len(all[name]) > 1 {
			t.Fatalf("%q: ReadIMQuery read it, but %s is given twice", raw, name)
		}
		if q[i] != all.Get(name) {
			t.Fatalf("%q: %s is %q, url.ParseQuery says %q", raw, name, q[i], all.Get(name))
		}
	}
}

func randomQuery(rng *rand.Rand) string {
	names := []string{"sdkappid", "identifier", "usersig", "random", "contenttype", "x", "", "usersig%3D", "Usersig"}
	values := []string{"", "1", "json", "a%2Ab", "a%2ab", "%", "%4", "%zz", "+", "a+b", "%E4%B8%AD", "=", "a;b", "%25", "%2B"}
	var b strings.Builder
	n := rng.IntN(8)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString([]string{"&", "&&", ";"}[rng.IntN(3)])
		}
		b.WriteString(names[rng.IntN(len(names))])
		if rng.IntN(4) > 0 {
			b.WriteByte('=')
			b.WriteString(values[rng.IntN(len(values))])
		}
	}
	return b.String()
}

// agreesAccepted fails when Accepted and the query schema disagree on q,
// whose random and contenttype are valid.
func agreesAccepted(t *testing.T, q IMQuery) {
	t.Helper()
	m := map[string]any{}
	for i, name := range IMParams {
		m[name] = q[i]
	}
	if lib := schemas.Must(schemas.QueryFile).Validate(m); q.Accepted() != (lib == nil) {
		t.Fatalf("%q: Accepted %v, the schema says %v", q, q.Accepted(), lib)
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
	t.Run("ReadIMQuery", func(t *testing.T) {
		for _, raw := range queries {
			agreesQuery(t, raw)
		}
		for range 20000 {
			agreesQuery(t, randomQuery(rng))
		}
	})
	t.Run("Accepted", func(t *testing.T) {
		sdkappids := []string{"", "0", "1", "1400000001", "01400000001", strings.Repeat("9", 20), strings.Repeat("9", 21), strings.Repeat("0", 20),
			"-1", "+1", "1a", "a", " 1", "1\n", "١", "1\xff", "14000x0001"}
		identifiers := []string{"", "a", "administrator", strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129),
			strings.Repeat("中", 128), strings.Repeat("中", 129), strings.Repeat("😀", 128), strings.Repeat("\xff", 128), strings.Repeat("\xff", 129),
			strings.Repeat("a", 127) + "中", "\x00", "a\nb"}
		usersigs := []string{"", "x", " ", "\xff", strings.Repeat("x", 2000)}
		for _, s := range sdkappids {
			for _, id := range identifiers {
				for _, sig := range usersigs {
					agreesAccepted(t, IMQuery{s, id, sig, "4294967295", "json"})
				}
			}
		}
	})
	// The requests clients send take the shortcuts.
	for _, s := range []string{
		`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`,
		"{\n  \"SessionId\": \"fd8a2e30-54de-4e40-bcaf-02718409c5cf\",\n  \"Chunk\": \"x\",\n  \"MsgKey\": \"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1\",\n  \"Finish\": 1,\n  \"CloudCustomData\": \"{}\"\n}\n",
	} {
		v, ok := DecodeObject(s)
		if !ok || !requestSchema(t).Accepts(v) {
			t.Errorf("%q takes the slow path", s)
		}
	}
	for _, raw := range []string{
		"sdkappid=1400000001&identifier=administrator&usersig=eJyr%2AVgrx-CdYr_&random=99999999&contenttype=json",
		"contenttype=json&random=5&usersig=eJyr*Vgrx-CdYr_&identifier=administrator&sdkappid=1400000001&extra=1",
	} {
		if q, ok := ReadIMQuery(raw); !ok || !q.Accepted() {
			t.Errorf("%q takes the slow path", raw)
		}
	}
}

// FuzzAgreement checks every shortcut on any body and query.
func FuzzAgreement(f *testing.F) {
	for i, s := range bodies {
		f.Add(s, queries[i%len(queries)])
	}
	s := requestSchema(f)
	f.Fuzz(func(t *testing.T, body, raw string) {
		agreesJSON(t, body)
		if v, err := decodeJSON(body); err == nil {
			agreesSchema(t, s, v)
		}
		agreesQuery(t, raw)
	})
}
