package fastpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskmock/deskmock/schemas"
)

// Each shortcut answers as its library does, on tables around every case
// it handles, on random inputs and, with FuzzAgreement, on anything; and
// it answers for the requests clients send, or it would be no shortcut.

// samples are bodies each schema accepts, as clients send them: Valid
// must say yes to each.
var samples = map[string][]string{
	schemas.RequestFile: {`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`,
		"{\n  \"SessionId\": \"s\",\n  \"Chunk\": \"x\",\n  \"MsgKey\": \"1_1764244800_5f0c3e9a1b2d4c6e8f7a9b0c1\",\n  \"Finish\": 1,\n  \"CloudCustomData\": \"{}\"\n}\n"},
	schemas.RequestV2File:           {`{"SessionId":"s","MsgKey":"k","CloudCustomData":"d","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"当前版本过低","Chunks":[{"EventType":"data","Index":1,"Markdown":"您好","IsLast":false},{"EventType":"data","Index":4294967295,"Markdown":"","IsLast":true}]}}]}`},
	schemas.RequestC2CFile:          {`{"SyncOtherMachine":2,"To_Account":"user01","MsgRandom":1234567,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":2,"Markdown":"","IsLast":true}],"CompatibleText":"Hi","StreamMsgID":"KEY"}}],"From_Account":"@RBT#001","CloudCustomData":""}`},
	schemas.RequestGroupFile:        {`{"GroupId":"@TGS#2C5SZEAEF","Random":0,"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"Hello, group"}],"CompatibleText":"Hello"}}],"From_Account":"@RBT#001","CloudCustomData":"x"}`},
	schemas.RequestChatbotFile:      {`{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"world","MsgKey":"KEY","Finish":0}`},
	schemas.RequestCreateRobotFile:  {`{"UserID":"@RBT#001","Nick":"MyRobot","FaceUrl":"http://www.qq.com","SelfSignature":"MyRobot"}`},
	schemas.RequestDeleteRobotFile:  {`{"Robot_Account":"@RBT#my_bot"}`},
	schemas.RequestGetAllRobotsFile: {`{}`},
	schemas.RequestTransferFile: {`{"SessionId":"s","AgentIdList":["a@example.com",""],"AgentGroupId":-3,"SendTipIfNoAgentOnline":1,"CheckIfDuringWorkingHours":0,"SendPromptNotDuringWorkingHours":1,"EndSessionWhenNoMemberOnline":0,"DisableQueuing":1,"AllowAssignBusyMember":0,"Priority":9,"QueueTimeout":600}`,
		`{"SessionId":"s","AgentIdList":[]}`},
	schemas.RequestEndSessionFile:   {`{"SessionId":"s"}`},
	schemas.RequestEndQueuingFile:   {`{"SessionID":"s"}`},
	schemas.RequestSessionStateFile: {`{"SessionId":"s"}`, `{"ClientUserId":"u","CustomerServiceId":"c"}`},
	schemas.RequestSendMsgFile: {`{"SessionId":"s","MsgRandom":4294967295,"CloudCustomData":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},{"MsgType":"TIMCustomElem","MsgContent":{}}]}`,
		`{"FromAccount":"cs","ToAccount":"u","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`},
	schemas.RequestChatMessagesFile: {`{"SessionId":"s","Limit":100,"Offset":0,"Order":1}`},
	schemas.RequestCDRListFile:      {`{"StartTimestamp":0,"EndTimestamp":1764244800,"Limit":1,"Offset":5,"ClientUserId":"u"}`},
}

// texts are JSON texts around the ways a decoder may read a body
// otherwise than encoding/json into an any.
var texts = []string{
	``, ` `, `{`, `}`, `{}`, ` { } `, "\t{\n}\r\n", `null`, `[]`, `"s"`, `1`, `true`, `{} {}`, `{}x`, `{},`, "\ufeff{}", `{}` + "\x00",
	`{"a":1,}`, `{,}`, `{"a" 1}`, `{"a":}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":+1}`, `{"a":.5}`, `{"a":1e}`, `{"a":nul}`, `{"a":"\x"}`,
	`{"a":"` + "\x01" + `"}`, `{"a":"\ud83d"}`, `{"a":"\udc00\ud83d"}`, `{"a":"\ud83d\u0041"}`, `{"a":[1,]}`, `{'a':1}`, `{a:1}`,
	`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	// Nesting at encoding/json's bound of 10000 and one past it.
	`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`, `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	// Escapes, surrogates and strings not ended.
	`{"SessionId":"\"\\\/\b\f\n\r\t\u00e9\u4E2D\u2028<>&","Chunk":"\ud83d\ude00\uD83D\uDE00"}`, `{"\u0053essionId":"s","Chunk":"c"}`,
	`{"SessionId":"\ud83d\ud83d\ude00","Chunk":"\udfff\ud800x"}`, `{"SessionId":"a\ud83d","Chunk":"\ud83d\"}`, `{"a":"\u00"}`, `{"a":"\u+123"}`,
	`{"a":"\u 123"}`, `{"a":"\u00g0"}`, `{"a":"\'"}`, `{"a":"\U0041"}`, `{"a":"x`, `{"a":"x\`, `{"a\":1}`, `{"a":"` + "\t" + `"}`, `{"a":"\` + "\n" + `"}`,
	// Duplicates: the last wins, an object or array replaces the first.
	`{"":"","":""}`, `{"x":1,"x":2}`, `{"SessionId":1,"SessionId":"s","Chunk":"c"}`, `{"SessionId":"s","Chunk":"c","SessionId":null}`,
	`{"SessionId":"s","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"CompatibleText":"a","Chunks":[{"EventType":"data","Index":1,"Markdown":"m"}],` +
		`"Chunks":[{"EventType":"data","Index":2,"Markdown":"n","IsLast":true,"IsLast":false}]},"MsgContent":{"Chunks":[{"EventType":"data","Index":3,"Markdown":"o"}]}}],` +
		`"MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":4,"Markdown":"p"}]}},{"MsgType":"x"}],"MsgBody":[]}`,
	// Numbers, literals and what may follow a value.
	`{"a":-0}`, `{"a":-0.0e-0}`, `{"a":1.5e3}`, `{"a":1E+2}`, `{"a":0e0}`, `{"a":-01}`, `{"a":00}`, `{"a":1e+}`, `{"a":-a}`, `{"a":1.e1}`, `{"a":0x1}`,
	`{"a":1_0}`, `{"a":Infinity}`, `{"a":NaN}`, `{"a":1 2}`, `{"a":tru}`, `{"a":True}`, `{"a":nullx}`, `{"a":true false}`, `{"a":[1,2}`, `{"a":{"b":1]}`,
	`{"a":[}`, `{"a":{]}`, `{"a":[1 2]}`, `{"a":{"b" "c"}}`, `{}]`, `{}}`, "{}\f", "\v{}", "{}\u00a0", `{"a":1}{`,
	" { \"SessionId\" :\t\"s\" ,\r\n\"Chunk\"\n:\"c\" , \"Finish\" : 1 , \"MsgKey\" : \"k\" } \n",
}

// values are member values around every keyword of the schemas.
var values = []string{`"s"`, `""`, `"TIMStreamElem"`, `"data"`, `"timstreamelem"`, `"中"`, `"\ud83d"`, `"\u0000"`, `"a\"b"`, `"\ud83d\ude00"`,
	`"\u00e9\n\/"`, `"\udc00\ud83d"`, `"\ud83d\u0041"`, `"\u0054IMStreamElem"`,
	strconv.Quote(strings.Repeat("中", 100)), strconv.Quote(strings.Repeat("中", 101)), strconv.Quote(strings.Repeat("a", 500)), strconv.Quote(strings.Repeat("a", 501)),
	`0`, `1`, `2`, `3`, `9`, `10`, `-1`, `-0`, `-0.0`, `1.5e3`, `1E+2`, `1.0`, `1e0`, `10e-1`, `0.5`, `100`, `101`, `4294967295`, `4294967296`, `9223372036854775807`, `9223372036854775808`,
	`-9223372036854775809`, `1e400`, `1e999999999`, strings.Repeat("9", 70), `true`, `false`, `null`, `[]`, `["a"]`, `[1]`, `{}`, `{"Text":"x"}`, `{"Text":1}`,
	`[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"m"}]}}]`,
	`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`, `[{"EventType":"data","Index":1,"Markdown":"m","IsLast":true}]`}

// decodeAny is what the library sees: encoding/json with UseNumber, one
// value and nothing after it.
func decodeAny(s string) (any, error) {
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

// libraryVerdict validates v with the JSON Schema library, reporting a
// panic of the library's rather than dying of it.
func libraryVerdict(schema string, v any) (panicked bool, err error) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return false, schemas.Must(schema).Validate(v)
}

// plainNumbers reports whether every number in v is an integer of 64
// bits written plainly, which the pipeline's number check passes.
func plainNumbers(v any) bool {
	switch v := v.(type) {
	case json.Number:
		_, err := strconv.ParseInt(string(v), 10, 64)
		return err == nil
	case map[string]any:
		for _, x := range v {
			if !plainNumbers(x) {
				return false
			}
		}
	case []any:
		for _, x := range v {
			if !plainNumbers(x) {
				return false
			}
		}
	}
	return true
}

// agrees fails when Decode and Valid answer otherwise than encoding/json
// and the library on text: Decode reads only what encoding/json reads,
// Valid says yes only to what the library accepts, and the struct is the
// one the library's view, written again, decodes to.
func agrees(t *testing.T, schema, text string) (valid bool) {
	t.Helper()
	if !utf8.ValidString(text) {
		return false // the caller refuses it first
	}
	b, ok := Decode(schema, text)
	v, err := decodeAny(text)
	if ok && err != nil { // the pipeline would read a body it refuses as no JSON
		t.Fatalf("%s: %.200q: Decode reads it, encoding/json says %v", schema, text, err)
	}
	if ok && Valid(b) {
		panicked, lib := libraryVerdict(schema, v)
		if err != nil || panicked || lib != nil || !plainNumbers(v) {
			t.Fatalf("%s: %.200q: Valid says yes; encoding/json: %v; the library: %v (panicked: %v)", schema, text, err, lib, panicked)
		}
		valid = true
	}
	if m, isObject := v.(map[string]any); ok && isObject {
		if d := sameAs(reflect.ValueOf(b).Elem(), m); d != "" {
			t.Fatalf("%s: %.200q: %s is not what encoding/json read", schema, text, d)
		}
	}
	if m, isObject := v.(map[string]any); err == nil && isObject {
		again, _ := json.Marshal(m)
		b2, ok2 := Decode(schema, string(again))
		if !ok2 || ok && !reflect.DeepEqual(b, b2) {
			t.Fatalf("%s: %.200q: decodes to %+v (%v); what encoding/json read, to %+v (%v)", schema, text, b, ok, b2, ok2)
		}
	}
	return valid
}

// sameAs returns where v, a body's struct or one of its fields, differs
// from x, what encoding/json read for it; "" when nowhere. A field whose
// member is there is Set, Bad unless x has its type, and then holds x.
func sameAs(v reflect.Value, x any) string {
	if u := v.FieldByName("Unknown"); u.IsValid() {
		m, unknown := x.(map[string]any), uint64(0)
		for k := range m {
			if _, named := v.Type().FieldByName(k); !named || k == "Unknown" {
				unknown = 1
			}
		}
		if u.Uint() != unknown {
			return "Unknown"
		}
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			y, there := m[name]
			switch {
			case name == "Unknown":
			case !there && !v.Field(i).IsZero():
				return name + " (not in the body)"
			case there && sameAs(v.Field(i), y) != "":
				return name + "." + sameAs(v.Field(i), y)
			}
		}
		return ""
	}
	val, good := v.FieldByName("V"), false
	switch y := x.(type) {
	case string:
		good = v.Type() == reflect.TypeFor[Text]() && val.String() == y
	case json.Number:
		good = v.Type() == reflect.TypeFor[Number]() && val.String() == string(y)
	case bool:
		good = v.Type() == reflect.TypeFor[Bool]() && val.Bool() == y
	case map[string]any:
		good = val.Kind() == reflect.Struct && sameAs(val, y) == ""
	case []any:
		good = val.Kind() == reflect.Slice && val.Len() == len(y)
		for i := 0; good && i < len(y); i++ {
			good = sameAs(val.Index(i), y[i]) == ""
		}
	}
	if !v.FieldByName("Set").Bool() || v.FieldByName("Bad").Bool() == good || !good && !val.IsZero() {
		return fmt.Sprintf("%+v", v.Interface())
	}
	return ""
}

// mutants are the texts around a sample: each member renamed in another
// case, escaped, null, given twice, and each value of values at each
// member, with one unknown member more.
func mutants(sample string) []string {
	v, _ := decodeAny(sample)
	m := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rest := sample[strings.Index(sample, "{")+1:]
	with := func(member string) string { // sample with member first
		if strings.TrimSpace(rest) == "}" {
			return "{" + member + rest
		}
		return "{" + member + "," + rest
	}
	out := []string{sample, with(`"Unknown":1`), with(`"Unknown":1e999999999`), with(`"x":null`)}
	for _, k := range keys {
		val, _ := json.Marshal(m[k])
		out = append(out,
			with(strconv.Quote(strings.ToLower(k))+`:`+string(val)), with(strconv.Quote(strings.ToUpper(k))+`:`+string(val)),
			with(fmt.Sprintf(`"\u%04x%s":null`, k[0], k[1:])), with(strconv.Quote(k)+`:null`),
			strings.TrimSuffix(strings.TrimSpace(sample), "}")+`,`+strconv.Quote(k)+`:null}`)
		for _, x := range values {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(sample), "}")+`,`+strconv.Quote(k)+`:`+x+`}`)
		}
	}
	return out
}

// randomBody returns a sample with members of its tree replaced, removed
// or added at random.
func randomBody(rng *rand.Rand, sample string) string {
	v, _ := decodeAny(sample)
	var nodes []map[string]any
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			nodes = append(nodes, x)
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	for range 1 + rng.IntN(3) {
		node := nodes[rng.IntN(len(nodes))]
		keys := []string{"Unknown"}
		for k := range node {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(4) == 0 {
			delete(node, k)
			continue
		}
		x, _ := decodeAny(values[rng.IntN(len(values))])
		node[k] = x
	}
	out, _ := json.Marshal(v)
	return string(out)
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
	for _, name := range schemas.Names() {
		if _, ok := bodies[name]; !ok && strings.HasPrefix(name, "request") {
			t.Errorf("no body for %s", name)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for schema := range bodies {
		t.Run(schema, func(t *testing.T) {
			fast := 0
			for _, s := range texts {
				agrees(t, schema, s)
			}
			for _, sample := range samples[schema] {
				if !agrees(t, schema, sample) {
					t.Errorf("%s takes the slow path", sample)
				}
				for _, s := range mutants(sample) {
					if agrees(t, schema, s) {
						fast++
					}
				}
				for range 3000 {
					agrees(t, schema, randomBody(rng, sample))
				}
			}
			if fast < 2 && schema != schemas.RequestGetAllRobotsFile {
				t.Errorf("only %d mutants take the fast path", fast)
			}
		})
	}
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
	if !QueryAccepted("1400000001", "administrator", "eJyr*Vgrx-CdYr_") {
		t.Error("the default app's query takes the slow path")
	}
}

// FuzzAgreement checks every shortcut on any body, for every schema, and
// query parameters.
func FuzzAgreement(f *testing.F) {
	for i, s := range texts {
		if len(s) < 4096 { // the deeply nested ones would make every input slow
			f.Add(s, strconv.Itoa(i), "administrator")
		}
	}
	for _, list := range samples {
		for _, s := range list {
			f.Add(s, "1400000001", "administrator")
		}
	}
	f.Fuzz(func(t *testing.T, body, sdkappid, identifier string) {
		for schema := range bodies {
			agrees(t, schema, body)
		}
		agreesAccepted(t, sdkappid, identifier, body)
	})
}

// BenchmarkDecode measures each schema's first sample read both ways:
// fastpath (Decode and Valid), and encoding/json into an any with the JSON
// Schema library, which is what the pipeline pays when Valid says no.
func BenchmarkDecode(b *testing.B) {
	names := make([]string, 0, len(samples))
	for name := range samples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		text := samples[name][0]
		b.Run(strings.TrimSuffix(name, ".schema.json")+"/fastpath", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if body, ok := Decode(name, text); !ok || !Valid(body) {
					b.Fatal("not valid")
				}
			}
		})
		b.Run(strings.TrimSuffix(name, ".schema.json")+"/library", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := decodeAny(text)
				if err != nil || schemas.Must(name).Validate(v) != nil {
					b.Fatal("not valid")
				}
			}
		})
	}
}
