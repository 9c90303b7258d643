package usersig

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// Differential tests against the official Go library, which signs with
// time.Now: each official call is bracketed by two clock readings and
// retried until both fall in the same second.

// errUserBuf stands for the official library's userbuf errors, which have
// no counterpart here.
var errUserBuf = errors.New("official: userbuf mismatch")

// officialKind maps an error of the official verifier to ours.
func officialKind(err error) error {
	switch err {
	case nil:
		return nil
	case tencentyun.ErrSdkAppIDNotMatch:
		return ErrAppMismatch
	case tencentyun.ErrIdentifierNotMatch:
		return ErrIdentifierMismatch
	case tencentyun.ErrExpired:
		return ErrExpired
	case tencentyun.ErrSigNotMatch:
		return ErrBadSignature
	case tencentyun.ErrUserBufTypeNotMatch, tencentyun.ErrUserBufNotMatch:
		return errUserBuf
	}
	return ErrUndecodable // base64 and zlib errors
}

// ourKind returns the sentinel err wraps.
func ourKind(err error) error {
	for _, k := range []error{ErrUndecodable, ErrAppMismatch, ErrIdentifierMismatch, ErrExpired, ErrBadSignature} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

func kindName(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

// official calls gen within one second of the clock and returns its token
// and that second.
func official(t testing.TB, gen func() (string, error)) (string, time.Time) {
	t.Helper()
	for i := 0; i < 100; i++ {
		before := time.Now().Unix()
		tok, err := gen()
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().Unix() == before {
			return tok, time.Unix(before, 0)
		}
	}
	t.Fatal("clock kept crossing a second")
	return "", time.Time{}
}

func TestOfficialByteIdentical(t *testing.T) {
	ids := []string{vecID, "administrator", "user_1-2", "a/b", "<script>&amp;", "中文用户", `quote"back\slash`, "\u2028\u2029", trickyID, strings.Repeat("long", 200)}
	for _, app := range []uint64{vecApp, 1, math.MaxUint32} {
		for _, expire := range []int64{1, 86400, vecExpire, 1 << 40} {
			for _, id := range ids {
				theirs, now := official(t, func() (string, error) {
					return tencentyun.GenUserSig(int(app), vecKey, id, int(expire))
				})
				ours, err := Generate(vecKey, app, id, expire, now)
				if err != nil {
					t.Fatal(err)
				}
				if ours != theirs {
					t.Fatalf("app %d expire %d id %q:\nours   %s\ntheirs %s", app, expire, id, ours, theirs)
				}
				c, err := Verify(vecKey, app, id, theirs, now)
				if err != nil {
					t.Fatalf("official token refused: %v", err)
				}
				if c.Time != now.Unix() || c.Expire != expire || c.UserBuf != nil {
					t.Fatalf("claims %+v", *c)
				}
				if err := tencentyun.VerifyUserSig(app, vecKey, id, ours, now.Add(time.Duration(expire)*time.Second)); err != nil {
					t.Fatalf("ours refused by the official verifier: %v", err)
				}
			}
		}
	}
}

func TestOfficialUserBuf(t *testing.T) {
	for _, buf := range [][]byte{{5}, []byte("abc"), bytes.Repeat([]byte{0xff, 0xfe}, 40)} {
		theirs, now := official(t, func() (string, error) {
			return tencentyun.GenUserSigWithBuf(vecApp, vecKey, vecID, 300, buf)
		})
		ours, err := Sign(vecKey, Claims{Identifier: vecID, SDKAppID: vecApp, Time: now.Unix(), Expire: 300, UserBuf: buf})
		if err != nil {
			t.Fatal(err)
		}
		if ours != theirs {
			t.Fatalf("userbuf %x:\nours   %s\ntheirs %s", buf, ours, theirs)
		}
		if c, err := Verify(vecKey, vecApp, vecID, theirs, now); err != nil || !bytes.Equal(c.UserBuf, buf) {
			t.Fatalf("Verify = %+v, %v", c, err)
		}
		if err := tencentyun.VerifyUserSigWithBuf(vecApp, vecKey, vecID, ours, now, buf); err != nil {
			t.Fatal(err)
		}
	}
	// Private map keys carry a userbuf built from the clock; they verify here.
	for _, gen := range []func() (string, error){
		func() (string, error) { return tencentyun.GenPrivateMapKey(vecApp, vecKey, vecID, 300, 10000, 255) },
		func() (string, error) {
			return tencentyun.GenPrivateMapKeyWithStringRoomID(vecApp, vecKey, vecID, 300, "room-1", 42)
		},
	} {
		theirs, now := official(t, gen)
		c, err := Verify(vecKey, vecApp, vecID, theirs, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.UserBuf) == 0 || c.UserBuf[3] != 'x' {
			t.Fatalf("userbuf %x", c.UserBuf)
		}
	}
}

// rewrite inflates tok, applies edit to its JSON and deflates it at level 0.
func rewrite(t testing.TB, tok string, edit func(string) string) string {
	t.Helper()
	return tokenOf(t, edit(string(inflate(t, tok))), 0)
}

func TestOfficialAgreement(t *testing.T) {
	tok, now := official(t, func() (string, error) { return tencentyun.GenUserSig(vecApp, vecKey, vecID, 3600) })
	iss := now.Unix()
	c, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(c.Sig)
	// Change one base64 digit to another digit of the alphabet.
	if flipped[5] == 'A' {
		flipped[5] = 'B'
	} else {
		flipped[5] = 'A'
	}
	forged, err := Sign("attacker", Claims{Identifier: "admin", SDKAppID: vecApp, Time: iss, Expire: 3600})
	if err != nil {
		t.Fatal(err)
	}
	claims := Claims{Identifier: vecID, SDKAppID: vecApp, Time: iss, Expire: 3600}
	styled := func(st Style) string {
		s, err := Sign(vecKey, claims, WithStyle(st), WithLevel(6))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		token  string
		app    uint64
		id     string
		key    string
		now    int64
		want   error // ours
		theirs error // the official verifier's, mapped; same as want unless noted
	}{
		{name: "valid", token: tok, want: nil},
		{name: "valid at the last second", token: tok, now: iss + 3600, want: nil},
		{name: "wrong app", token: tok, app: vecApp + 1, want: ErrAppMismatch},
		{name: "wrong identifier", token: tok, id: "admin", want: ErrIdentifierMismatch},
		{name: "expired", token: tok, now: iss + 3601, want: ErrExpired},
		{name: "wrong key", token: tok, key: "x", want: ErrBadSignature},
		{name: "tampered sig field", token: rewrite(t, tok, func(s string) string { return strings.Replace(s, c.Sig, string(flipped), 1) }), want: ErrBadSignature},
		{name: "identifier re-signed with another key", token: forged, id: "admin", want: ErrBadSignature},
		{name: "identifier edited, not re-signed", token: rewrite(t, tok, func(s string) string { return strings.Replace(s, `"xiaojun"`, `"admin"`, 1) }), id: "admin", want: ErrBadSignature},
		{name: "truncated token", token: tok[:len(tok)-10], want: ErrUndecodable},
		{name: "truncated to a whole base64 group", token: tok[:len(tok)-len(tok)%4-8], want: ErrUndecodable},
		{name: "garbage", token: "!!!!@@@@", want: ErrUndecodable},
		{name: "empty string", token: "", want: ErrUndecodable},
		{name: "bad base64", token: "eAE", want: ErrUndecodable},
		{name: "non-zlib data", token: tokenEncoding.EncodeToString([]byte("hello, world")), want: ErrUndecodable},
		// The official library drops JSON errors (newUserSig returns nil on
		// a json.Unmarshal failure) and goes on with zero claims, so the
		// first check, sdkappid, fails.
		{name: "zlib of non-JSON", token: tokenOf(t, "hello", 6), want: ErrUndecodable, theirs: ErrAppMismatch},
		{name: "zlib of a JSON array", token: tokenOf(t, "[1,2]", 6), want: ErrUndecodable, theirs: ErrAppMismatch},
		{name: "sdkappid as a string", token: rewrite(t, tok, func(s string) string { return strings.Replace(s, "1400000000", `"1400000000"`, 1) }), want: ErrUndecodable, theirs: ErrAppMismatch},
		{name: "extra whitespace", token: rewrite(t, tok, func(s string) string {
			return strings.NewReplacer(":", " :\t", ",", "\n, ", "{", " { ").Replace(s)
		}), want: nil},
		{name: "unknown key", token: rewrite(t, tok, func(s string) string { return strings.Replace(s, "{", `{"x":[{}],`, 1) }), want: nil},
		{name: "python layout", token: styled(StylePython), want: nil},
		{name: "node layout", token: styled(StyleNode), want: nil},
		{name: "php layout", token: styled(StylePHP), want: nil},
		{name: "level 9", token: tokenOf(t, string(inflate(t, tok)), 9), want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, id, key, at := uint64(vecApp), vecID, vecKey, iss
			if tc.app != 0 {
				app = tc.app
			}
			if tc.id != "" {
				id = tc.id
			}
			if tc.key != "" {
				key = tc.key
			}
			if tc.now != 0 {
				at = tc.now
			}
			theirsWant := tc.theirs
			if theirsWant == nil {
				theirsWant = tc.want
			}
			_, err := Verify(key, app, id, tc.token, time.Unix(at, 0))
			got := ourKind(err)
			off := officialKind(tencentyun.VerifyUserSig(app, key, id, tc.token, time.Unix(at, 0)))
			if got != tc.want || off != theirsWant {
				t.Fatalf("ours %s (%v), official %s; want ours %s, official %s",
					kindName(got), err, kindName(off), kindName(tc.want), kindName(theirsWant))
			}
		})
	}
}

// TestOfficialDivergences records where the official verifier accepts or
// classifies differently, and what this package does instead.
func TestOfficialDivergences(t *testing.T) {
	tok, now := official(t, func() (string, error) { return tencentyun.GenUserSig(vecApp, vecKey, vecID, 3600) })
	raw, err := tokenEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Decode(tok)
	gen := func(app int, id string, expire int, buf []byte) string {
		t.Helper()
		var s string
		s, now = official(t, func() (string, error) {
			if buf != nil {
				return tencentyun.GenUserSigWithBuf(app, vecKey, id, expire, buf)
			}
			return tencentyun.GenUserSig(app, vecKey, id, expire)
		})
		return s
	}
	std := strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(tok)
	for _, tc := range []struct {
		name   string
		token  func() string
		app0   bool    // verify for sdkappid 0
		id     *string // verify for this identifier instead of vecID
		buf    []byte  // passed to VerifyUserSigWithBuf when non-nil
		want   error
		theirs error
	}{
		{name: "standard base64 alphabet", token: func() string { return std }, want: ErrUndecodable, theirs: nil},
		{name: "line break inside the token", token: func() string { return tok[:20] + "\r\n" + tok[20:] }, want: ErrUndecodable, theirs: nil},
		{name: "bytes after the zlib stream", token: func() string {
			return tokenEncoding.EncodeToString(append(append([]byte(nil), raw...), "junk"...))
		}, want: ErrUndecodable, theirs: nil},
		{name: "TLS.ver 3.0", token: func() string {
			return rewrite(t, tok, func(s string) string { return strings.Replace(s, `"2.0"`, `"3.0"`, 1) })
		}, want: ErrUndecodable, theirs: nil},
		{name: "TLS.ver missing", token: func() string {
			return rewrite(t, tok, func(s string) string { return strings.Replace(s, `"TLS.ver":"2.0",`, "", 1) })
		}, want: ErrUndecodable, theirs: nil},
		{name: "keys in lower case", token: func() string {
			return rewrite(t, tok, func(s string) string { return strings.ReplaceAll(s, `"TLS.`, `"tls.`) })
		}, want: ErrUndecodable, theirs: nil},
		{name: "duplicate identifier, last one signed", token: func() string {
			return rewrite(t, tok, func(s string) string { return strings.Replace(s, "{", `{"TLS.identifier":"admin",`, 1) })
		}, want: ErrUndecodable, theirs: nil},
		{name: "TLS.sig non-canonical base64", token: func() string {
			last := c.Sig[len(c.Sig)-2]
			alt := tokenAlphabet[strings.IndexByte(tokenAlphabet, last)^1] // differs in a dropped bit
			return rewrite(t, tok, func(s string) string {
				return strings.Replace(s, c.Sig, c.Sig[:len(c.Sig)-2]+string(alt)+"=", 1)
			})
		}, want: ErrUndecodable, theirs: nil},
		{name: "TLS.sig with an escaped line break", token: func() string {
			return rewrite(t, tok, func(s string) string { return strings.Replace(s, c.Sig, c.Sig[:4]+`\n`+c.Sig[4:], 1) })
		}, want: ErrUndecodable, theirs: nil},
		{name: "negative expire from GenUserSig", token: func() string { return gen(vecApp, vecID, -1, nil) }, want: ErrUndecodable, theirs: ErrExpired},
		{name: "expire overflowing time+expire", token: func() string { return gen(vecApp, vecID, math.MaxInt64, nil) }, want: ErrUndecodable, theirs: ErrExpired},
		{name: "expire 0 from GenUserSig (key omitted)", token: func() string { return gen(vecApp, vecID, 0, nil) }, want: ErrUndecodable, theirs: nil},
		{name: "empty identifier from GenUserSig (key omitted)", token: func() string { return gen(vecApp, "", 60, nil) }, id: ptr(""), want: ErrUndecodable, theirs: nil},
		{name: "sdkappid 0 from GenUserSig (key omitted)", token: func() string { return gen(0, vecID, 60, nil) }, app0: true, want: ErrUndecodable, theirs: nil},
		{name: "userbuf token, verifier without userbuf", token: func() string { return gen(vecApp, vecID, 60, []byte("abc")) }, want: nil, theirs: errUserBuf},
		// GenUserSigWithBuf with an empty buf signs "TLS.userbuf:\n" but its
		// omitempty tag drops the key: the token fails everywhere.
		{name: "empty userbuf from GenUserSigWithBuf", token: func() string { return gen(vecApp, vecID, 60, []byte{}) }, want: ErrBadSignature, theirs: ErrBadSignature},
		{name: "empty userbuf from GenUserSigWithBuf, verified with it", token: func() string { return gen(vecApp, vecID, 60, []byte{}) }, buf: []byte{}, want: ErrBadSignature, theirs: errUserBuf},
		{name: "empty userbuf from Sign, verified with it", token: func() string {
			s, err := Sign(vecKey, Claims{Identifier: vecID, SDKAppID: vecApp, Time: now.Unix(), Expire: 60, UserBuf: []byte{}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, buf: []byte{}, want: nil, theirs: nil},
		// Invalid UTF-8 is signed raw but written as U+FFFD by encoding/json.
		{name: "invalid UTF-8 identifier from GenUserSig", token: func() string { return gen(vecApp, "x\xff", 60, nil) }, id: ptr("x\xff"), want: ErrIdentifierMismatch, theirs: ErrIdentifierMismatch},
		{name: "invalid UTF-8 identifier, verified as U+FFFD", token: func() string { return gen(vecApp, "x\xff", 60, nil) }, id: ptr("x\ufffd"), want: ErrBadSignature, theirs: ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token()
			app, id := uint64(vecApp), vecID
			if tc.app0 {
				app = 0
			}
			if tc.id != nil {
				id = *tc.id
			}
			_, err := Verify(vecKey, app, id, token, now)
			got := ourKind(err)
			var offErr error
			if tc.buf != nil {
				offErr = tencentyun.VerifyUserSigWithBuf(app, vecKey, id, token, now, tc.buf)
			} else {
				offErr = tencentyun.VerifyUserSig(app, vecKey, id, token, now)
			}
			off := officialKind(offErr)
			if got != tc.want || off != tc.theirs {
				t.Fatalf("ours %s (%v), official %s (%v); want ours %s, official %s",
					kindName(got), err, kindName(off), offErr, kindName(tc.want), kindName(tc.theirs))
			}
			if err != nil {
				t.Logf("ours: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestOfficialClaimsAgree decodes official tokens of many shapes and checks
// that the claims are the ones the official library was given.
func TestOfficialClaimsAgree(t *testing.T) {
	for _, id := range []string{"u", trickyID, "😀", "a b"} {
		tok, now := official(t, func() (string, error) { return tencentyun.GenUserSig(7, "k", id, 5) })
		c, err := Verify("k", 7, id, tok, now)
		if err != nil {
			t.Fatal(err)
		}
		want := Claims{Version: "2.0", Identifier: id, SDKAppID: 7, Time: now.Unix(), Expire: 5, Sig: c.Sig}
		if !reflect.DeepEqual(*c, want) {
			t.Fatalf("claims %+v, want %+v", *c, want)
		}
	}
}

func BenchmarkOfficialVerify(b *testing.B) {
	tok, err := Generate(vecKey, vecApp, vecID, vecExpire, time.Unix(vecTime, 0))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(vecTime+1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := tencentyun.VerifyUserSig(vecApp, vecKey, vecID, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOfficialGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tencentyun.GenUserSig(vecApp, vecKey, vecID, vecExpire); err != nil {
			b.Fatal(err)
		}
	}
}
