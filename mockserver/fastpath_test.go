package mockserver

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// The pipeline's fast paths must decide exactly as the slow paths they
// stand in for: decodeFlatObject as encoding/json, the compiled request
// schema as the JSON Schema library, parseIMQuery as url.ParseQuery and
// queryAccepted as the query schema. Each is checked here on a large table,
// on random inputs and, for the fuzzer, on anything.

// flatBodies are bodies around the shapes decodeFlatObject decodes.
var flatBodies = []string{
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
func randomFlatBody(rng *rand.Rand) string {
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

// checkFlatAgrees fails when decodeFlatObject decides body differently from
// decodeJSON.
func checkFlatAgrees(t *testing.T, body string) {
	t.Helper()
	if !utf8.ValidString(body) {
		return // decodeBody refuses it first
	}
	got, ok := decodeFlatObject(body, nil)
	want, err := decodeJSON([]byte(body))
	if ok && (err != nil || !reflect.DeepEqual(any(got), want)) {
		t.Fatalf("%q: decodeFlatObject %#v, encoding/json %#v, %v", body, got, want, err)
	}
	// The pooled map gives the same value as a new one.
	m := map[string]any{"stale": 1}
	if again, ok2 := decodeFlatObject(body, m); ok2 != ok || ok && !reflect.DeepEqual(again, got) {
		t.Fatalf("%q: into a used map %#v, %v; into a new one %#v, %v", body, again, ok2, got, ok)
	}
	v, err2 := decodeBody(body, m)
	if fmt.Sprint(err2) != fmt.Sprint(err) || !reflect.DeepEqual(v, want) {
		t.Fatalf("%q: decodeBody %#v, %v; decodeJSON %#v, %v", body, v, err2, want, err)
	}
}

func TestDecodeFlatObjectAgrees(t *testing.T) {
	for _, body := range flatBodies {
		checkFlatAgrees(t, body)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		checkFlatAgrees(t, randomFlatBody(rng))
	}
}

// The bodies clients send take the fast path.
func TestDecodeFlatObjectDecodesCommonBodies(t *testing.T) {
	for _, body := range []string{
		`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`,
		`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"line\n\"quoted\" \u4e2d","MsgKey":"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1","Finish":1}`,
		"{\n  \"SessionId\": \"fd8a2e30-54de-4e40-bcaf-02718409c5cf\",\n  \"Chunk\": \"x\",\n  \"Finish\": 0,\n  \"CloudCustomData\": \"{}\"\n}\n",
	} {
		if _, ok := decodeFlatObject(body, nil); !ok {
			t.Errorf("%q takes the slow path", body)
		}
	}
}

func FuzzDecodeFlatObject(f *testing.F) {
	for _, body := range flatBodies {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) { checkFlatAgrees(t, body) })
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

// checkSchemaAgrees fails when the compiled request schema accepts a value
// that the JSON Schema library refuses, or when validateRequest and the
// library disagree.
func checkSchemaAgrees(t *testing.T, qs *quickSchema, v any) {
	t.Helper()
	lib := schemas.Must(schemas.RequestFile).Validate(v)
	if qs.accepts(v) && lib != nil {
		t.Fatalf("%#v: the compiled schema accepts it, the library says %v", v, lib)
	}
	// (The library's message may list several faults in any order.)
	if got := validateRequest(v); (got == nil) != (lib == nil) {
		t.Fatalf("%#v: validateRequest %v, the library %v", v, got, lib)
	}
}

func TestRequestSchemaCompiles(t *testing.T) {
	if requestSchema() == nil {
		t.Fatal("the request schema uses a keyword compileQuickSchema does not know: every body goes to the library")
	}
}

func TestQuickRequestSchemaAgrees(t *testing.T) {
	qs := requestSchema()
	accepted := 0
	for _, v := range requestSchemaValues() {
		checkSchemaAgrees(t, qs, v)
		if qs.accepts(v) {
			accepted++
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		body := randomFlatBody(rng)
		if v, err := decodeJSON([]byte(body)); err == nil {
			checkSchemaAgrees(t, qs, v)
		}
	}
	// The fast path is taken for the bodies clients send.
	for _, body := range []string{`{"SessionId":"s","Chunk":"c"}`, `{"SessionId":"s","Chunk":"c","MsgKey":"k","Finish":1,"CloudCustomData":"d","Other":[1]}`, `{"SessionId":"s","Chunk":"c","Finish":0}`} {
		v, _ := decodeJSON([]byte(body))
		if !qs.accepts(v) {
			t.Errorf("%s goes to the library", body)
		}
	}
	if accepted == 0 {
		t.Error("the compiled schema accepts nothing")
	}
}

func FuzzQuickRequestSchema(f *testing.F) {
	for _, body := range flatBodies {
		f.Add(body)
	}
	qs := requestSchema()
	f.Fuzz(func(t *testing.T, body string) {
		if v, err := decodeJSON([]byte(body)); err == nil {
			checkSchemaAgrees(t, qs, v)
		}
	})
}

// compileQuickSchema refuses what it cannot judge, so that such a schema
// goes to the library whole.
func TestCompileQuickSchemaRefusesUnknownKeywords(t *testing.T) {
	for _, doc := range []string{
		`{"type":"object","additionalProperties":false}`,
		`{"properties":{"a":{"type":"string","maxLength":3}}}`,
		`{"properties":{"a":{"$ref":"#/$defs/x"}}}`,
		`{"properties":{"a":true}}`,
		`{"enum":[[1]]}`,
		`{"type":"decimal"}`,
		`true`,
	} {
		var v any
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if _, err := compileQuickSchema(v); err == nil {
			t.Errorf("%s compiled", doc)
		}
	}
}

// queries are raw query strings around what parseIMQuery reads itself.
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

// checkQueryAgrees fails when parseIMQuery reads raw otherwise than
// url.ParseQuery with the duplicate check of the pipeline.
func checkQueryAgrees(t *testing.T, raw string) {
	t.Helper()
	q, ok := parseIMQuery(raw)
	if !ok {
		return
	}
	all, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("%q: parseIMQuery read it, url.ParseQuery fails: %v", raw, err)
	}
	got := q.decoded()
	for i, name := range queryParams {
		if len(all[name]) > 1 {
			t.Fatalf("%q: parseIMQuery read it, but %s is given twice", raw, name)
		}
		if got[i] != all.Get(name) {
			t.Fatalf("%q: %s is %q, url.ParseQuery says %q", raw, name, got[i], all.Get(name))
		}
	}
	if sig := string(q.userSig(nil)); sig != all.Get("usersig") {
		t.Fatalf("%q: usersig %q, url.ParseQuery says %q", raw, sig, all.Get("usersig"))
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

func TestParseIMQueryAgrees(t *testing.T) {
	for _, raw := range queries {
		checkQueryAgrees(t, raw)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		checkQueryAgrees(t, randomQuery(rng))
	}
	// The queries clients send take the fast path.
	for _, raw := range []string{
		"sdkappid=1400000001&identifier=administrator&usersig=eJyr%2AVgrx-CdYr_&random=99999999&contenttype=json",
		"contenttype=json&random=5&usersig=eJyr*Vgrx-CdYr_&identifier=administrator&sdkappid=1400000001&extra=1",
	} {
		if _, ok := parseIMQuery(raw); !ok {
			t.Errorf("%q takes the slow path", raw)
		}
	}
}

func FuzzParseIMQuery(f *testing.F) {
	for _, raw := range queries {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkQueryAgrees(t, raw) })
}

// queryAccepted is the query schema written as code: on a large table of
// parameter values, around every bound of the schema, they agree.
func TestQueryAcceptedAgreesWithSchema(t *testing.T) {
	const max = 4294967295
	randoms := []string{"", "0", "00", "000000000000000000000000000000", "-0", "+1", " 1", "1 ", "1\n", "0x1", "1.0", "1e3", "١",
		"4294967295", "04294967295", "4294967296", "9999999999", "42949672950", "99999999999999999999999", "18446744073709551616"}
	for p := uint64(1); p <= 100_000_000_000; p *= 10 {
		randoms = append(randoms, strconv.FormatUint(p-1, 10), strconv.FormatUint(p, 10), strconv.FormatUint(p+1, 10))
	}
	for d := uint64(1); d <= 1_000_000_000; d *= 10 {
		randoms = append(randoms, strconv.FormatUint(max-d, 10), strconv.FormatUint(max+d, 10))
	}
	for _, n := range []uint64{4299999999, 4295000000, 4294999999, 4294967299, 4294967290, 4294967195, 4294966295, 4294957295, 4294867295, 4293967295, 4284967295, 4194967295, 3294967295} {
		randoms = append(randoms, strconv.FormatUint(n, 10), "0"+strconv.FormatUint(n, 10))
	}
	sdkappids := []string{"", "0", "1", "1400000001", "01400000001", strings.Repeat("9", 20), strings.Repeat("9", 21), strings.Repeat("0", 20),
		"-1", "+1", "1a", "a", " 1", "1\n", "١", "1\xff", "14000x0001"}
	identifiers := []string{"", "a", "administrator", strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129),
		strings.Repeat("中", 128), strings.Repeat("中", 129), strings.Repeat("😀", 128), strings.Repeat("\xff", 128), strings.Repeat("\xff", 129),
		strings.Repeat("a", 127) + "中", "\x00", "a\nb"}
	usersigs := []string{"", "x", " ", "\xff", strings.Repeat("x", 2000)}
	contenttypes := []string{"", "json", "JSON", "json ", "xml", "application/json", "jso", "jsonn"}
	check := func(v [len(queryParams)]string) {
		t.Helper()
		q := imQuery{v: v}
		m := map[string]any{}
		for i, name := range queryParams {
			m[name] = v[i]
		}
		lib := schemas.Must(schemas.QueryFile).Validate(m)
		if queryAccepted(&q) != (lib == nil) {
			t.Fatalf("%q: queryAccepted %v, the schema says %v", v, queryAccepted(&q), lib)
		}
	}
	base := [len(queryParams)]string{"1400000001", "administrator", "x", "1", "json"}
	n := 0
	for _, r := range randoms {
		v := base
		v[qRandom] = r
		check(v)
		n++
	}
	for _, s := range sdkappids {
		for _, id := range identifiers {
			for _, sig := range usersigs {
				for _, ct := range contenttypes {
					check([len(queryParams)]string{s, id, sig, "7", ct})
					n++
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	for i := 0; i < 5000; i++ {
		check([len(queryParams)]string{pick(sdkappids), pick(identifiers), pick(usersigs), pick(randoms), pick(contenttypes)})
		n++
	}
	t.Logf("%d parameter sets agree", n)
}

// An escaped UserSig is kept as sent and decoded on demand, like
// url.QueryUnescape.
func TestAppendUnescaped(t *testing.T) {
	for _, s := range []string{"", "abc", "a%2Ab", "a%2ab", "%00%ff%FF", "a+b", "%2B+%20", "中%E4%B8%AD"} {
		want, err := url.QueryUnescape(s)
		if err != nil || !validEscapes(s) {
			t.Fatalf("%q: %v", s, err)
		}
		if got := string(appendUnescaped(nil, s)); got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"%", "%2", "%zz", "a%", "%%41", "%g0"} {
		if _, err := url.QueryUnescape(s); err == nil || validEscapes(s) {
			t.Errorf("%q: validEscapes says %v, url.QueryUnescape %v", s, validEscapes(s), err)
		}
	}
}

// A first call reset after its chunk is applied journals the key it issued
// but no reply, as none was sent.
func TestFirstCallResetAfterApplyJournalsNoReply(t *testing.T) {
	no := false
	ts := NewTestServer(t)
	if _, err := ts.AddFault(Fault{Match: FaultMatch{HasMsgKey: &no}, Action: FaultAction{Reset: true, When: ResetAfterApply}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := httpPost(ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"a"}`); err == nil {
		t.Fatalf("the connection was not reset: status %d", resp.StatusCode)
	}
	ex := ts.Requests(ExchangeFilter{})
	if len(ex) != 1 || ex[0].Status != 0 || ex[0].Reply != "" || !ex[0].Applied || ex[0].MsgKey == "" || ex[0].Action != "reset" {
		t.Fatalf("journal %+v", ex)
	}
	if st, ok := ts.Stream(ex[0].MsgKey); !ok || st.Text != "a" {
		t.Errorf("stream %+v", st)
	}
}
