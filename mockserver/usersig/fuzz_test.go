package usersig

import (
	"encoding/base64"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// fuzzSeeds returns valid tokens of every style and level, and a few broken ones.
func fuzzSeeds(t testing.TB) []string {
	seeds := []string{vecToken, "", "eAE_", "!!!!", "eAEBAAD--wAAAAE_", strings.NewReplacer("*", "+", "-", "/").Replace(vecToken)}
	c := Claims{Identifier: vecID, SDKAppID: vecApp, Time: vecTime, Expire: vecExpire}
	for _, st := range []Style{StyleGo, StylePython, StyleNode, StylePHP} {
		for _, level := range []int{0, 6, 9} {
			for _, buf := range [][]byte{nil, {}, []byte("room")} {
				c.UserBuf = buf
				c.Identifier = vecID
				if st == StylePHP {
					c.Identifier = trickyID
				}
				tok, err := Sign(vecKey, c, WithStyle(st), WithLevel(level))
				if err != nil {
					t.Fatal(err)
				}
				seeds = append(seeds, tok)
			}
		}
	}
	for _, j := range []string{
		`{"TLS.ver":"2.0","TLS.identifier":"\u0078","TLS.sdkappid":1,"TLS.expire":1,"TLS.time":1,"TLS.sig":""}`,
		`{"TLS.ver":"2.0","x":[{"y":"}"}],"TLS.identifier":"a","TLS.sdkappid":1e3}`,
		`[{"TLS.ver":"2.0"}]`,
	} {
		seeds = append(seeds, tokenOf(t, j, 1))
	}
	return seeds
}

// FuzzDecode checks that Decode never panics, fails only with
// ErrUndecodable, and that what it decodes can be written again in every
// style and decodes to the same claims.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Decode(token)
		if err != nil {
			if c != nil || !errors.Is(err, ErrUndecodable) || !strings.HasPrefix(err.Error(), "usersig: undecodable: ") {
				t.Fatalf("Decode = %v, %v", c, err)
			}
			return
		}
		if c.Version != "2.0" || c.Time < 0 || c.Expire < 0 || c.Time+c.Expire < c.Time || !utf8.ValidString(c.Identifier) {
			t.Fatalf("claims out of bounds: %+v", *c)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(c.Sig); err != nil {
			t.Fatalf("TLS.sig %q kept: %v", c.Sig, err)
		}
		for _, st := range []Style{StyleGo, StylePython, StyleNode, StylePHP} {
			again := unsigned(t, *c, st, 6)
			if len(again) > maxTokenLen {
				continue
			}
			c2, err := Decode(again)
			if err != nil {
				t.Fatalf("style %d: rewritten token refused: %v", st, err)
			}
			if !reflect.DeepEqual(c, c2) {
				t.Fatalf("style %d: %+v became %+v", st, *c, *c2)
			}
		}
	})
}

// FuzzVerify checks that Verify never panics, that each failure wraps
// exactly one of the sentinels, and that on success the token decodes to
// the same claims, the signature recomputes, the claims match the request,
// and the official verifier accepts the token too.
func FuzzVerify(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, vecKey, uint64(vecApp), vecID, int64(vecTime+i))
		f.Add(s, vecKey, uint64(vecApp), trickyID, int64(vecTime+vecExpire))
	}
	f.Add(vecToken, "x", uint64(vecApp), vecID, int64(vecTime))
	f.Add(vecToken, vecKey, uint64(vecApp+1), vecID, int64(vecTime))
	f.Add(vecToken, vecKey, uint64(vecApp), vecID, int64(vecTime+vecExpire+1))
	f.Fuzz(func(t *testing.T, token, key string, app uint64, id string, now int64) {
		at := time.Unix(now, 0)
		c, err := Verify(key, app, id, token, at)
		if err != nil {
			n := 0
			for _, k := range []error{ErrUndecodable, ErrAppMismatch, ErrIdentifierMismatch, ErrExpired, ErrBadSignature} {
				if errors.Is(err, k) {
					n++
				}
			}
			if n != 1 || c != nil {
				t.Fatalf("Verify = %v, %v", c, err)
			}
			return
		}
		d, err := Decode(token)
		if err != nil || !reflect.DeepEqual(c, d) {
			t.Fatalf("Verify claims %+v, Decode %+v, %v", *c, d, err)
		}
		if c.SDKAppID != app || c.Identifier != id || now > c.Time+c.Expire {
			t.Fatalf("claims %+v accepted for %d %q at %d", *c, app, id, now)
		}
		var sum [macLen]byte
		mac(&sum, key, c)
		if got := base64.StdEncoding.EncodeToString(sum[:]); got != c.Sig {
			t.Fatalf("sig %s recomputes as %s", c.Sig, got)
		}
		var off error
		if c.UserBuf != nil {
			off = tencentyun.VerifyUserSigWithBuf(app, key, id, token, at, c.UserBuf)
		} else {
			off = tencentyun.VerifyUserSig(app, key, id, token, at)
		}
		if off != nil {
			t.Fatalf("accepted here, refused by the official verifier: %v", off)
		}
	})
}

// FuzzSign checks that every token Sign makes verifies to the claims it
// was given, and that its default output verifies in the official library.
func FuzzSign(f *testing.F) {
	f.Add(vecKey, uint64(vecApp), vecID, int64(vecTime), int64(vecExpire), []byte(nil), false, uint8(0), int8(2))
	f.Add("k", uint64(1), trickyID, int64(1), int64(1), []byte("room"), true, uint8(3), int8(8))
	f.Add("", uint64(1<<63), "<&>\u2028", int64(1<<62), int64(1<<62), []byte{}, true, uint8(1), int8(11))
	f.Add("key", uint64(2), "é", int64(5), int64(-1), []byte{1}, false, uint8(2), int8(-5))
	f.Fuzz(func(t *testing.T, key string, app uint64, id string, iat, expire int64, buf []byte, hasBuf bool, style uint8, level int8) {
		c := Claims{Identifier: id, SDKAppID: app, Time: iat, Expire: expire}
		if hasBuf {
			if buf == nil {
				buf = []byte{}
			}
			c.UserBuf = buf
		}
		st, lv := Style(style%4), int(uint8(level))%12-2
		tok, err := Sign(key, c, WithStyle(st), WithLevel(lv))
		if err != nil {
			if checkClaims(&c) == nil && !strings.Contains(err.Error(), "Decode accepts") {
				t.Fatalf("Sign refused valid claims: %v", err)
			}
			return
		}
		got, err := Verify(key, app, id, tok, time.Unix(iat+expire, 0))
		if err != nil {
			t.Fatalf("style %d level %d: own token refused: %v", st, lv, err)
		}
		want := c
		want.Version = "2.0"
		want.Sig = got.Sig
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("claims %+v, want %+v", *got, want)
		}
		if _, err := Verify(key, app, id, tok, time.Unix(iat+expire+1, 0)); iat+expire < math.MaxInt64 && !errors.Is(err, ErrExpired) {
			t.Fatalf("one second late: %v", err)
		}
		if st == StyleGo && lv == 0 {
			var off error
			if hasBuf {
				off = tencentyun.VerifyUserSigWithBuf(app, key, id, tok, time.Unix(iat, 0), c.UserBuf)
			} else {
				off = tencentyun.VerifyUserSig(app, key, id, tok, time.Unix(iat, 0))
			}
			if off != nil {
				t.Fatalf("refused by the official verifier: %v", off)
			}
		}
	})
}
