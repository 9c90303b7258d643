package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The test vector of the UserSig v2 notes.
const (
	vecKey    = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	vecApp    = 1400000000
	vecID     = "xiaojun"
	vecTime   = 1600000000
	vecExpire = 15552000
	vecSig    = "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="
	vecToken  = "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNjAwMDAwMDAwLCJUTFMuc2lnIjoiMVo1UG5nRGpHYXVmZVNpUG9CdXhkSFk3RUszSlRkQWpNUDkzUzRLdlYzTT0ifQrbyDHF"
	vecJSON   = `{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1600000000,"TLS.sig":"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="}` + "\n"
)

var vecClaims = Claims{Version: "2.0", Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire, Sig: vecSig}

// tokenOf compresses raw at level and encodes it as a token.
func tokenOf(t testing.TB, raw string, level int) string {
	t.Helper()
	return tokenOfBytes(t, []byte(raw), level)
}

func tokenOfBytes(t testing.TB, raw []byte, level int) string {
	t.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return tokenEncoding.EncodeToString(b.Bytes())
}

// inflate returns the JSON inside token.
func inflate(t testing.TB, token string) []byte {
	t.Helper()
	raw, err := tokenEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	r, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unsigned returns a token carrying c as it stands, c.Sig included, without
// signing anything.
func unsigned(t testing.TB, c Claims, st Style, level int) string {
	t.Helper()
	return tokenOfBytes(t, appendJSON(nil, &c, []byte(c.Sig), st), level)
}

// wantErr fails unless err wraps want (nil meaning no error).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestVector(t *testing.T) {
	c, err := Decode(vecToken)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*c, vecClaims) {
		t.Fatalf("Decode = %+v, want %+v", *c, vecClaims)
	}
	if got, want := c.ExpiresAt(), time.Unix(1615552000, 0); !got.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name string
		key  string
		app  uint64
		id   string
		now  int64
		want error
	}{
		{"valid after issue", vecKey, vecApp, vecID, 1600000001, nil},
		{"valid at issue", vecKey, vecApp, vecID, vecTime, nil},
		{"valid at the last second", vecKey, vecApp, vecID, 1615552000, nil},
		{"expired one second later", vecKey, vecApp, vecID, 1615552001, ErrExpired},
		{"other sdkappid", vecKey, 1400000001, vecID, 1600000001, ErrAppMismatch},
		{"other identifier", vecKey, vecApp, "admin", 1600000001, ErrIdentifierMismatch},
		{"wrong key", "x", vecApp, vecID, 1600000001, ErrBadSignature},
		{"sdkappid checked before identifier", vecKey, 1, "admin", 1615552001, ErrAppMismatch},
		{"identifier checked before expiry", vecKey, vecApp, "admin", 1615552001, ErrIdentifierMismatch},
		{"expiry checked before signature", "x", vecApp, vecID, 1615552001, ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Verify(tc.key, tc.app, tc.id, vecToken, time.Unix(tc.now, 0))
			wantErr(t, err, tc.want)
			if tc.want == nil && !reflect.DeepEqual(*c, vecClaims) {
				t.Fatalf("claims = %+v", *c)
			}
			if tc.want != nil && c != nil {
				t.Fatalf("claims %+v returned with error", *c)
			}
		})
	}
}

func TestVectorJSONMatchesGenerate(t *testing.T) {
	// The vector is zlib level 0 as C zlib writes it (one final stored
	// block); Go's compress/flate writes a non-final stored block then an
	// empty final one. The JSON inside is the same bytes.
	got, err := Generate(vecKey, vecApp, vecID, vecExpire, time.Unix(vecTime, 0))
	if err != nil {
		t.Fatal(err)
	}
	if j := string(inflate(t, vecToken)); j != vecJSON {
		t.Fatalf("vector JSON = %q", j)
	}
	if j := string(inflate(t, got)); j != vecJSON {
		t.Fatalf("Generate JSON = %q, want %q", j, vecJSON)
	}
	if !strings.HasPrefix(got, "eAE") {
		t.Fatalf("Generate = %q, want prefix eAE", got)
	}
}

func TestVerifyMessages(t *testing.T) {
	for _, tc := range []struct {
		app  uint64
		id   string
		now  int64
		key  string
		want string
	}{
		{vecApp, vecID, 1615552001, vecKey, "usersig: expired: issued 2020-09-13T12:26:40Z for 15552000s, expired at 2021-03-12T12:26:40Z; now 2021-03-12T12:26:41Z"},
		{1, vecID, vecTime, vecKey, "usersig: sdkappid mismatch: token is for sdkappid 1400000000, request is for 1"},
		{vecApp, "admin", vecTime, vecKey, `usersig: identifier mismatch: token is for identifier "xiaojun", request is for "admin"`},
		{vecApp, vecID, vecTime, "x", "usersig: signature mismatch: TLS.sig is not the HMAC-SHA256 of the claims under this key (wrong key, or the token was altered)"},
	} {
		_, err := Verify(tc.key, tc.app, tc.id, vecToken, time.Unix(tc.now, 0))
		if err == nil || err.Error() != tc.want {
			t.Errorf("error = %v\nwant    %s", err, tc.want)
		}
	}
}

const trickyID = "a/é<>&\"\\\x7f😀\n\x01\u2028"

func TestStyles(t *testing.T) {
	c := Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire}
	tricky := Claims{Identifier: trickyID, SDKAppID: vecApp, Time: 1700000000, Expire: 86400, UserBuf: []byte{0xff, 0xff}}
	for _, tc := range []struct {
		name   string
		c      Claims
		style  Style
		level  int
		prefix string
		json   string // "" to skip
	}{
		{"go level 0", c, StyleGo, 0, "eAE", vecJSON},
		{"go level 9", c, StyleGo, 9, "eN", ""},
		{"go default level", c, StyleGo, zlib.DefaultCompression, "eJ", ""},
		{"go huffman only", c, StyleGo, zlib.HuffmanOnly, "eAE", ""},
		{"python level 6", c, StylePython, 6, "eJ",
			`{"TLS.ver": "2.0", "TLS.identifier": "xiaojun", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1600000000, "TLS.sig": "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="}`},
		{"node level 6", c, StyleNode, 6, "eJ",
			`{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1600000000,"TLS.expire":15552000,"TLS.sig":"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="}`},
		{"php level 6", c, StylePHP, 6, "eJ",
			`{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1600000000,"TLS.sig":"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="}`},
		{"python level 0", c, StylePython, 0, "eAE", ""},
		{"go tricky", tricky, StyleGo, 6, "eJ",
			`{"TLS.ver":"2.0","TLS.identifier":"a/é\u003c\u003e\u0026\"\\` + "\x7f😀" + `\n\u0001\u2028","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.userbuf":"//8=","TLS.sig":"T6SafLUxORbWYQzcBVYRDuB34pQzGOeUJevb4TWSf2o="}` + "\n"},
		{"python tricky", tricky, StylePython, 6, "eJ",
			`{"TLS.ver": "2.0", "TLS.identifier": "a/\u00e9<>&\"\\\u007f\ud83d\ude00\n\u0001\u2028", "TLS.sdkappid": 1400000000, "TLS.expire": 86400, "TLS.time": 1700000000, "TLS.userbuf": "//8=", "TLS.sig": "T6SafLUxORbWYQzcBVYRDuB34pQzGOeUJevb4TWSf2o="}`},
		{"node tricky", tricky, StyleNode, 6, "eJ",
			`{"TLS.ver":"2.0","TLS.identifier":"a/é<>&\"\\` + "\x7f😀" + `\n\u0001` + "\u2028" + `","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.expire":86400,"TLS.userbuf":"//8=","TLS.sig":"T6SafLUxORbWYQzcBVYRDuB34pQzGOeUJevb4TWSf2o="}`},
		{"php tricky", tricky, StylePHP, 6, "eJ",
			`{"TLS.ver":"2.0","TLS.identifier":"a\/\u00e9<>&\"\\` + "\x7f" + `\ud83d\ude00\n\u0001\u2028","TLS.sdkappid":1400000000,"TLS.expire":86400,"TLS.time":1700000000,"TLS.userbuf":"\/\/8=","TLS.sig":"T6SafLUxORbWYQzcBVYRDuB34pQzGOeUJevb4TWSf2o="}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Sign(vecKey, tc.c, WithStyle(tc.style), WithLevel(tc.level))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, tc.prefix) {
				t.Errorf("token %.12s..., want prefix %s", tok, tc.prefix)
			}
			if tc.json != "" {
				if got := string(inflate(t, tok)); got != tc.json {
					t.Errorf("JSON\n got %s\nwant %s", got, tc.json)
				}
			}
			got, err := Verify(vecKey, tc.c.SDKAppID, tc.c.Identifier, tok, time.Unix(tc.c.Time, 0))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.c
			want.Version = "2.0"
			want.Sig = got.Sig
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("claims %+v, want %+v", *got, want)
			}
		})
	}
}

func TestGenerateSignDefaults(t *testing.T) {
	a, err := Generate(vecKey, vecApp, vecID, vecExpire, time.Unix(vecTime, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Sign(vecKey, Claims{Version: "2.0", Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire, Sig: "ignored"},
		WithStyle(StyleGo), WithLevel(0))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("Generate %s\nSign     %s", a, b)
	}
}

func TestSignRefuses(t *testing.T) {
	ok := Claims{Identifier: "u", SDKAppID: 1, Time: 1, Expire: 1}
	mod := func(f func(*Claims)) Claims { c := ok; f(&c); return c }
	for _, tc := range []struct {
		name string
		c    Claims
		opts []Option
		want string
	}{
		{"version", mod(func(c *Claims) { c.Version = "1.0" }), nil, `version "1.0"`},
		{"empty identifier", mod(func(c *Claims) { c.Identifier = "" }), nil, "empty identifier"},
		{"invalid UTF-8", mod(func(c *Claims) { c.Identifier = "\xff" }), nil, "UTF-8"},
		{"sdkappid 0", mod(func(c *Claims) { c.SDKAppID = 0 }), nil, "sdkappid 0"},
		{"time 0", mod(func(c *Claims) { c.Time = 0 }), nil, "time 0"},
		{"negative time", mod(func(c *Claims) { c.Time = -5 }), nil, "time -5"},
		{"expire 0", mod(func(c *Claims) { c.Expire = 0 }), nil, "expire 0"},
		{"negative expire", mod(func(c *Claims) { c.Expire = -1 }), nil, "expire -1"},
		{"overflow", mod(func(c *Claims) { c.Time, c.Expire = math.MaxInt64, 1 }), nil, "overflows"},
		{"too long", mod(func(c *Claims) { c.Identifier = strings.Repeat("x", 7000) }), nil, "more than the 8192"},
		{"level 10", ok, []Option{WithLevel(10)}, "level 10"},
		{"level -3", ok, []Option{WithLevel(-3)}, "level -3"},
		{"style", ok, []Option{WithStyle(StylePHP + 1)}, "unknown style"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Sign("k", tc.c, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "usersig: ") {
				t.Fatalf("Sign = %q, %v; want error containing %q", tok, err, tc.want)
			}
		})
	}
	// A long identifier compresses well enough at level 9.
	if _, err := Sign("k", mod(func(c *Claims) { c.Identifier = strings.Repeat("x", 7000) }), WithLevel(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := Sign("k", ok, nil, WithLevel(9), nil); err != nil {
		t.Fatalf("nil options: %v", err)
	}
	if _, err := Generate("k", 1, "u", 60, time.Unix(0, 0)); err == nil {
		t.Fatal("Generate at the epoch succeeded")
	}
}

func TestDecodeAccepts(t *testing.T) {
	sig := `"` + vecSig + `"`
	for _, tc := range []struct {
		name string
		json string
		want Claims
	}{
		{"any order and spacing",
			" {\n\t\"TLS.sig\" : " + sig + " ,\r\n \"TLS.time\":1600000000,\"TLS.expire\" :15552000, \"TLS.sdkappid\":1400000000 ,\"TLS.identifier\":\"xiaojun\",\"TLS.ver\":\"2.0\"}\n\n ",
			vecClaims},
		{"escaped keys and values",
			`{"TLS\u002ever":"2\u002e0","TLS.identifier":"xiao\u006aun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1600000000,"TLS.sig":"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M\u003d"}`,
			vecClaims},
		{"PHP slashes",
			`{"TLS.ver":"2.0","TLS.identifier":"a\/b","TLS.sdkappid":1,"TLS.expire":2,"TLS.time":3,"TLS.userbuf":"\/\/8=","TLS.sig":"\/\/\/\/"}`,
			Claims{Version: "2.0", Identifier: "a/b", SDKAppID: 1, Expire: 2, Time: 3, UserBuf: []byte{0xff, 0xff}, Sig: "////"}},
		{"unknown keys of any type ignored",
			`{"x":{"a":[1,{"}":"]"}],"b":null},"y":[],"TLS.ver":"2.0","z":"\"}","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"w":-1.5e3,"TLS.expire":15552000,"TLS.time":1600000000,"v":true,"TLS.sig":` + sig + `,"u":false}`,
			vecClaims},
		{"zero values", `{"TLS.ver":"2.0","TLS.identifier":"","TLS.sdkappid":0,"TLS.expire":0,"TLS.time":0,"TLS.sig":""}`,
			Claims{Version: "2.0"}},
		{"empty userbuf", `{"TLS.ver":"2.0","TLS.identifier":"u","TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1,"TLS.userbuf":"","TLS.sig":""}`,
			Claims{Version: "2.0", Identifier: "u", SDKAppID: 1, Expire: 1, Time: 1, UserBuf: []byte{}}},
		{"largest numbers", `{"TLS.ver":"2.0","TLS.identifier":"u","TLS.sdkappid":18446744073709551615,"TLS.expire":0,"TLS.time":9223372036854775807,"TLS.sig":""}`,
			Claims{Version: "2.0", Identifier: "u", SDKAppID: math.MaxUint64, Time: math.MaxInt64}},
		{"lone surrogate escape becomes U+FFFD as in encoding/json", `{"TLS.ver":"2.0","TLS.identifier":"\ud800","TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1,"TLS.sig":""}`,
			Claims{Version: "2.0", Identifier: "\ufffd", SDKAppID: 1, Expire: 1, Time: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, level := range []int{0, 1, 6, 9, zlib.HuffmanOnly} {
				c, err := Decode(tokenOf(t, tc.json, level))
				if err != nil {
					t.Fatalf("level %d: %v", level, err)
				}
				if !reflect.DeepEqual(*c, tc.want) {
					t.Fatalf("level %d: claims %+v, want %+v", level, *c, tc.want)
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	const (
		head = `{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,`
		tail = `"TLS.expire":15552000,"TLS.time":1600000000,"TLS.sig":"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="}`
	)
	good := tokenOf(t, head+tail, 0)
	raw, _ := tokenEncoding.DecodeString(good)
	bomb := tokenOf(t, head+`"x":"`+strings.Repeat("a", 70000)+`",`+tail, 9)
	trailing := tokenEncoding.EncodeToString(append(append([]byte(nil), raw...), 0))
	badSum := append([]byte(nil), raw...)
	badSum[len(badSum)-1] ^= 1
	std := base64.StdEncoding.EncodeToString(raw)
	for _, tc := range []struct {
		name  string
		token string
		want  string
	}{
		{"empty", "", "empty token"},
		{"too long", strings.Repeat("A", maxTokenLen+1), "8193 bytes"},
		{"standard alphabet", std, "standard base64?"},
		{"URL-encoded", "eAE%2A", "URL-encoded?"},
		{"line break", good[:10] + "\n" + good[10:], `'\n'`},
		{"space", " " + good, `' '`},
		{"garbage", "!!!!", `'!'`},
		{"bad base64 length", "eAE", "bad base64"},
		{"padding in the middle", "eA__eAE_", "bad base64"},
		{"canonical base64 reaches zlib", "eAE_", "bad zlib data: unexpected EOF"},
		{"non-canonical base64", "eAF_", "bad base64"}, // E and F differ in bits the padding drops
		{"not zlib", tokenEncoding.EncodeToString([]byte("hello, world")), "bad zlib header"},
		{"truncated zlib", tokenEncoding.EncodeToString(raw[:len(raw)-9]), "bad zlib data"},
		{"truncated token", good[:len(good)-8], "bad "},
		{"bad checksum", tokenEncoding.EncodeToString(badSum), "checksum"},
		{"trailing data", trailing, "1 bytes after the end of the zlib stream"},
		{"zlib bomb", bomb, "exceeds 65536"},
		{"zlib of non-JSON", tokenOf(t, "hello", 6), "bad JSON: invalid character 'h'"},
		{"empty JSON", tokenOf(t, "", 6), "bad JSON"},
		{"JSON array", tokenOf(t, "[1]", 6), "JSON is an array, want an object"},
		{"JSON string", tokenOf(t, `"x"`, 6), "JSON is a string"},
		{"JSON two objects", tokenOf(t, head+tail+"{}", 6), "bad JSON"},
		{"empty object", tokenOf(t, "{}", 6), "missing TLS.ver"},
		{"missing sig", tokenOf(t, head+`"TLS.expire":1,"TLS.time":1}`, 6), "missing TLS.sig"},
		{"missing expire", tokenOf(t, head+`"TLS.time":1,"TLS.sig":"AAAA"}`, 6), "missing TLS.expire"},
		{"missing time", tokenOf(t, head+`"TLS.expire":1,"TLS.sig":"AAAA"}`, 6), "missing TLS.time"},
		{"missing identifier", tokenOf(t, `{"TLS.ver":"2.0","TLS.sdkappid":1,`+tail, 6), "missing TLS.identifier"},
		{"missing sdkappid", tokenOf(t, `{"TLS.ver":"2.0","TLS.identifier":"x",`+tail, 6), "missing TLS.sdkappid"},
		{"missing ver", tokenOf(t, `{"TLS.identifier":"x","TLS.sdkappid":1,`+tail, 6), "missing TLS.ver"},
		{"version 3.0", tokenOf(t, strings.Replace(head, "2.0", "3.0", 1)+tail, 6), `TLS.ver is "3.0"`},
		{"version as number", tokenOf(t, strings.Replace(head, `"2.0"`, "2.0", 1)+tail, 6), "TLS.ver is a number, want a string"},
		{"sdkappid as string", tokenOf(t, strings.Replace(head, "1400000000", `"1400000000"`, 1)+tail, 6), "TLS.sdkappid is a string, want an integer"},
		{"identifier as number", tokenOf(t, strings.Replace(head, `"xiaojun"`, "7", 1)+tail, 6), "TLS.identifier is a number"},
		{"identifier null", tokenOf(t, strings.Replace(head, `"xiaojun"`, "null", 1)+tail, 6), "TLS.identifier is null"},
		{"time as bool", tokenOf(t, head+strings.Replace(tail, "1600000000", "true", 1), 6), "TLS.time is a boolean"},
		{"expire as object", tokenOf(t, head+strings.Replace(tail, "15552000", "{}", 1), 6), "TLS.expire is an object"},
		{"sig as array", tokenOf(t, head+strings.Replace(tail, `"1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M="`, "[]", 1), 6), "TLS.sig is an array"},
		{"fractional", tokenOf(t, head+strings.Replace(tail, "15552000", "15552000.5", 1), 6), "TLS.expire is 15552000.5, want an integer"},
		{"integral fraction", tokenOf(t, head+strings.Replace(tail, "15552000", "15552000.0", 1), 6), "want an integer"},
		{"exponent", tokenOf(t, head+strings.Replace(tail, "1600000000", "16e8", 1), 6), "TLS.time is 16e8, want an integer"},
		{"negative expire", tokenOf(t, head+strings.Replace(tail, "15552000", "-1", 1), 6), "TLS.expire is -1, want a non-negative integer"},
		{"minus zero", tokenOf(t, head+strings.Replace(tail, "15552000", "-0", 1), 6), "TLS.expire is -0"},
		{"negative sdkappid", tokenOf(t, strings.Replace(head, "1400000000", "-1400000000", 1)+tail, 6), "TLS.sdkappid is -1400000000"},
		{"sdkappid overflow", tokenOf(t, strings.Replace(head, "1400000000", "18446744073709551616", 1)+tail, 6), "TLS.sdkappid 18446744073709551616 is out of range"},
		{"time overflow", tokenOf(t, head+strings.Replace(tail, "1600000000", "9223372036854775808", 1), 6), "TLS.time 9223372036854775808 is out of range"},
		{"time plus expire overflow", tokenOf(t, head+strings.Replace(tail, "1600000000", "9223372036854775807", 1), 6), "overflows int64"},
		{"duplicate key", tokenOf(t, head+`"TLS.identifier":"admin",`+tail, 6), `duplicate key "TLS.identifier"`},
		{"duplicate escaped key", tokenOf(t, head+`"TLS.identifie\u0072":"admin",`+tail, 6), `duplicate key "TLS.identifier"`},
		{"key differing in case", tokenOf(t, `{"tls.ver":"2.0",`+head[1:]+tail, 6), `key "tls.ver" differs from "TLS.ver" only in case`},
		{"key with Unicode folding", tokenOf(t, head+`"TLS.\u017fig":"AAAA",`+tail, 6), `differs from "TLS.sig" only in case`},
		{"identifier invalid UTF-8", tokenOf(t, strings.Replace(head, "xiaojun", "xiao\xffjun", 1)+tail, 6), "TLS.identifier is not valid UTF-8"},
		{"userbuf not base64", tokenOf(t, head+`"TLS.userbuf":"!!",`+tail, 6), "TLS.userbuf is not standard base64"},
		{"userbuf unpadded", tokenOf(t, head+`"TLS.userbuf":"//8",`+tail, 6), "TLS.userbuf is not standard base64"},
		{"sig not base64", tokenOf(t, head+strings.Replace(tail, "1Z5P", "1Z5*", 1), 6), "TLS.sig is not standard base64"},
		{"sig with a newline escape", tokenOf(t, head+strings.Replace(tail, "1Z5P", `1Z\n5P`, 1), 6), "TLS.sig is not standard base64"},
		{"userbuf with a newline escape", tokenOf(t, head+`"TLS.userbuf":"//\n8=",`+tail, 6), "TLS.userbuf is not standard base64"},
		{"sig non-canonical", tokenOf(t, head+strings.Replace(tail, "V3M=", "V3N=", 1), 6), "TLS.sig is not standard base64"},
		{"long value clipped", tokenOf(t, head+strings.Replace(tail, "15552000", strings.Repeat("9", 5000), 1), 6), "TLS.expire " + strings.Repeat("9", 40) + "...[cut: 5000 bytes] is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Decode(tc.token)
			if !errors.Is(err, ErrUndecodable) {
				t.Fatalf("Decode = %+v, %v; want ErrUndecodable", c, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if _, verr := Verify(vecKey, vecApp, vecID, tc.token, time.Unix(vecTime, 0)); !errors.Is(verr, ErrUndecodable) {
				t.Fatalf("Verify error %v, want ErrUndecodable", verr)
			}
		})
	}
}

// TestTamperFlip replaces every character of valid tokens by every other
// character of the alphabet: each variant must be refused, or decode to
// the very same claims.
func TestTamperFlip(t *testing.T) {
	c := Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire, UserBuf: []byte("room")}
	for _, tc := range []struct {
		name  string
		style Style
		level int
	}{{"go level 0", StyleGo, 0}, {"python level 6", StylePython, 6}, {"node level 9", StyleNode, 9}} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Sign(vecKey, c, WithStyle(tc.style), WithLevel(tc.level))
			if err != nil {
				t.Fatal(err)
			}
			orig, err := Verify(vecKey, vecApp, vecID, tok, time.Unix(vecTime, 0))
			if err != nil {
				t.Fatal(err)
			}
			json := inflate(t, tok)
			kinds := map[error]int{}
			same := 0
			alphabet := tokenAlphabet + "_"
			b := []byte(tok)
			for i := range b {
				for j := 0; j < len(alphabet); j++ {
					if alphabet[j] == tok[i] {
						continue
					}
					b[i] = alphabet[j]
					got, err := Verify(vecKey, vecApp, vecID, string(b), time.Unix(vecTime, 0))
					if err == nil {
						// Only bits that zlib ignores changed (the padding of a
						// stored block header): the JSON must be the same bytes.
						if !reflect.DeepEqual(got, orig) || !bytes.Equal(inflate(t, string(b)), json) {
							t.Fatalf("variant %d/%c verifies with other claims %+v", i, alphabet[j], *got)
						}
						same++
						b[i] = tok[i]
						continue
					}
					b[i] = tok[i]
					found := false
					for _, k := range []error{ErrUndecodable, ErrAppMismatch, ErrIdentifierMismatch, ErrExpired, ErrBadSignature} {
						if errors.Is(err, k) {
							kinds[k]++
							found = true
						}
					}
					if !found {
						t.Fatalf("variant %d/%c: error %v wraps no sentinel", i, alphabet[j], err)
					}
				}
			}
			t.Logf("%d characters, %d variants accepted with identical claims, refusals by kind: %v", len(tok), same, kinds)
		})
	}
}

// TestTamperClaims changes each claim and writes the token again without
// signing it anew: the signature no longer matches.
func TestTamperClaims(t *testing.T) {
	base := Claims{Version: "2.0", Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire, UserBuf: []byte("room")}
	tok, err := Sign(vecKey, base)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	flipSig := func(s string) string {
		raw, _ := base64.StdEncoding.DecodeString(s)
		raw[7] ^= 0x10
		return base64.StdEncoding.EncodeToString(raw)
	}
	for _, tc := range []struct {
		name   string
		change func(*Claims)
		want   error
	}{
		{"unchanged", func(*Claims) {}, nil},
		{"identifier", func(c *Claims) { c.Identifier = "admin" }, ErrBadSignature},
		{"identifier case", func(c *Claims) { c.Identifier = "Xiaojun" }, ErrBadSignature},
		{"sdkappid", func(c *Claims) { c.SDKAppID++ }, ErrBadSignature},
		{"time", func(c *Claims) { c.Time++ }, ErrBadSignature},
		{"expire", func(c *Claims) { c.Expire *= 2 }, ErrBadSignature},
		{"userbuf changed", func(c *Claims) { c.UserBuf = []byte("rooM") }, ErrBadSignature},
		{"userbuf removed", func(c *Claims) { c.UserBuf = nil }, ErrBadSignature},
		{"userbuf emptied", func(c *Claims) { c.UserBuf = []byte{} }, ErrBadSignature},
		{"sig bit", func(c *Claims) { c.Sig = flipSig(c.Sig) }, ErrBadSignature},
		{"sig truncated", func(c *Claims) { c.Sig = c.Sig[:40] }, ErrBadSignature},
		{"sig empty", func(c *Claims) { c.Sig = "" }, ErrBadSignature},
		{"sig lengthened", func(c *Claims) {
			raw, _ := base64.StdEncoding.DecodeString(c.Sig)
			c.Sig = base64.StdEncoding.EncodeToString(append(raw, 0))
		}, ErrBadSignature},
		{"sig of other key", func(c *Claims) {
			var sum [macLen]byte
			mac(&sum, "x", c)
			c.Sig = base64.StdEncoding.EncodeToString(sum[:])
		}, ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *signed
			tc.change(&c)
			for _, st := range []Style{StyleGo, StylePython, StyleNode, StylePHP} {
				_, err := Verify(vecKey, c.SDKAppID, c.Identifier, unsigned(t, c, st, 6), time.Unix(c.Time, 0))
				wantErr(t, err, tc.want)
			}
		})
	}
	// Removing userbuf from a token also changes the signed content.
	noBuf := base
	noBuf.UserBuf = nil
	tok2, _ := Sign(vecKey, noBuf)
	c, _ := Decode(tok2)
	c.UserBuf = []byte{}
	_, err = Verify(vecKey, vecApp, vecID, unsigned(t, *c, StyleGo, 0), time.Unix(vecTime, 0))
	wantErr(t, err, ErrBadSignature)
}

func TestNeverPanicsOnShortInputs(t *testing.T) {
	// Every token of up to three characters, and all prefixes of a valid one.
	alphabet := tokenAlphabet + "_+/=% \n"
	var b []byte
	var rec func(n int)
	rec = func(n int) {
		if _, err := Verify("k", 1, "u", string(b), time.Unix(0, 0)); err == nil {
			t.Fatalf("%q verified", b)
		}
		if n == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			b = append(b, alphabet[i])
			rec(n - 1)
			b = b[:len(b)-1]
		}
	}
	rec(3)
	for i := range vecToken {
		if _, err := Decode(vecToken[:i]); err == nil {
			t.Fatalf("prefix %d decoded", i)
		}
	}
}

func TestConcurrent(t *testing.T) {
	// Pools are shared between goroutines; run with -race.
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func(g int) {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				id := strings.Repeat("u", 1+(g*7+i)%50)
				var tok string
				tok, err = Sign(vecKey, Claims{Identifier: id, SDKAppID: vecApp, Time: vecTime, Expire: 60}, WithLevel(i%10), WithStyle(Style(i%4)))
				if err == nil {
					_, err = Verify(vecKey, vecApp, id, tok, time.Unix(vecTime+60, 0))
				}
				if err == nil {
					_, err = Verify("other", vecApp, id, tok, time.Unix(vecTime, 0))
					if errors.Is(err, ErrBadSignature) {
						err = nil
					}
				}
			}
			done <- err
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	tok, err := Generate(vecKey, vecApp, vecID, vecExpire, time.Unix(vecTime, 0))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(vecTime+1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(vecKey, vecApp, vecID, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyLevel6(b *testing.B) {
	tok, err := Sign(vecKey, Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire}, WithStyle(StylePython), WithLevel(6))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(vecTime+1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(vecKey, vecApp, vecID, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	now := time.Unix(vecTime, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(vecKey, vecApp, vecID, vecExpire, now); err != nil {
			b.Fatal(err)
		}
	}
}
