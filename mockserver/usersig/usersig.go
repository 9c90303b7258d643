// Package usersig decodes, verifies and signs Tencent Cloud IM UserSig v2
// tokens, the credential carried in the usersig query parameter of IM REST
// calls.
//
// A token is the standard base64 of a zlib stream of a JSON object, with the
// characters '+', '/' and '=' replaced by '*', '-' and '_'. The object holds
// TLS.ver ("2.0"), TLS.identifier, TLS.sdkappid, TLS.time, TLS.expire, an
// optional TLS.userbuf and TLS.sig, the HMAC-SHA256 of the claims under the
// application's secret key.
//
// Decoding is stricter than the official libraries in a few places, each of
// which names the offending part of the token in its error: only the token
// alphabet above is accepted (no '+', '/', '=' or line breaks), base64 must be
// canonical, nothing may follow the zlib stream, JSON keys must be unique and
// spelled exactly, numbers must be non-negative integers and TLS.ver must be
// "2.0". Tokens made by the official Go, Python, Node, Java and PHP libraries
// meet all of these.
package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Claims is the content of a decoded UserSig v2.
type Claims struct {
	Version    string // TLS.ver, "2.0"
	Identifier string // TLS.identifier, the user the token was issued to
	SDKAppID   uint64 // TLS.sdkappid
	Time       int64  // TLS.time, unix seconds at issue
	Expire     int64  // TLS.expire, lifetime in seconds
	UserBuf    []byte // TLS.userbuf base64-decoded; nil unless present
	Sig        string // TLS.sig as found (standard base64)
}

// ExpiresAt returns time.Unix(Time+Expire, 0). Verify compares whole
// seconds, so the token stays valid until the end of that second.
func (c *Claims) ExpiresAt() time.Time { return time.Unix(c.Time+c.Expire, 0) }

// Errors returned, wrapped with details, by Decode and Verify.
var (
	// ErrUndecodable: the token is not base64, zlib or JSON of the expected shape.
	ErrUndecodable = errors.New("usersig: undecodable")
	// ErrAppMismatch: TLS.sdkappid differs from the SDKAppID of the request.
	ErrAppMismatch = errors.New("usersig: sdkappid mismatch")
	// ErrIdentifierMismatch: TLS.identifier differs from the identifier of the request.
	ErrIdentifierMismatch = errors.New("usersig: identifier mismatch")
	// ErrExpired: the current time is after TLS.time + TLS.expire.
	ErrExpired = errors.New("usersig: expired")
	// ErrBadSignature: TLS.sig is not the HMAC of the claims under the key.
	ErrBadSignature = errors.New("usersig: signature mismatch")
)

const (
	// maxTokenLen bounds the token Decode accepts, in bytes.
	maxTokenLen = 8 << 10
	// maxJSONLen bounds the decompressed JSON, in bytes.
	maxJSONLen = 64 << 10
	// macLen is the length of an HMAC-SHA256.
	macLen = sha256.Size
	// sigB64Len is the length of the padded standard base64 of an HMAC-SHA256.
	sigB64Len = (macLen + 2) / 3 * 4
)

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-"

// tokenEncoding is the token's base64: standard, with '*', '-' and '_'
// standing for '+', '/' and '='.
var tokenEncoding = base64.NewEncoding(tokenAlphabet).WithPadding('_').Strict()

// b64 is the strict standard encoding used inside the JSON.
var b64 = base64.StdEncoding.Strict()

// tokenChar reports the bytes allowed in a token.
var tokenChar = func() (t [256]bool) {
	for i := 0; i < len(tokenAlphabet); i++ {
		t[tokenAlphabet[i]] = true
	}
	t['_'] = true
	return t
}()

func undecodable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUndecodable}, args...)...)
}

// Decode parses a UserSig without checking its signature, identifier,
// application or expiry. sig must already be URL-decoded. Errors wrap
// ErrUndecodable and say what is wrong.
func Decode(sig string) (*Claims, error) {
	if sig == "" {
		return nil, undecodable("empty token")
	}
	if len(sig) > maxTokenLen {
		return nil, undecodable("token is %d bytes, more than the %d accepted", len(sig), maxTokenLen)
	}
	for i := 0; i < len(sig); i++ {
		if !tokenChar[sig[i]] {
			return nil, undecodable("byte %d is %q, outside the token alphabet A-Z a-z 0-9 * - _%s",
				i, sig[i], alphabetHint(sig[i]))
		}
	}

	raw, err := tokenEncoding.DecodeString(sig)
	if err != nil {
		return nil, undecodable("bad base64: %v", err)
	}
	br := bytes.NewReader(raw)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, undecodable("bad zlib header: %v", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxJSONLen+1))
	if err != nil {
		return nil, undecodable("bad zlib data: %v", err)
	}
	if len(data) > maxJSONLen {
		return nil, undecodable("decompressed JSON exceeds %d bytes", maxJSONLen)
	}
	if br.Len() != 0 {
		return nil, undecodable("%d bytes after the end of the zlib stream", br.Len())
	}
	return parseClaims(data)
}

func alphabetHint(b byte) string {
	switch b {
	case '+', '/', '=':
		return " (standard base64? the token writes + / = as * - _)"
	case '%':
		return " (still URL-encoded?)"
	}
	return ""
}

// Field bits of parseClaims.
const (
	fVer = 1 << iota
	fIdentifier
	fSDKAppID
	fTime
	fExpire
	fUserBuf
	fSig
	fRequired = fVer | fIdentifier | fSDKAppID | fTime | fExpire | fSig
)

var fieldNames = [...]string{"TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.userbuf", "TLS.sig"}

func fieldBit(key []byte) int {
	switch string(key) {
	case "TLS.ver":
		return fVer
	case "TLS.identifier":
		return fIdentifier
	case "TLS.sdkappid":
		return fSDKAppID
	case "TLS.time":
		return fTime
	case "TLS.expire":
		return fExpire
	case "TLS.userbuf":
		return fUserBuf
	case "TLS.sig":
		return fSig
	}
	return 0
}

// parseClaims reads the JSON object of a token. It parses the JSON, so any
// key order and spacing is accepted; unknown keys are ignored.
func parseClaims(data []byte) (*Claims, error) {
	if !json.Valid(data) {
		var raw json.RawMessage
		err := json.Unmarshal(data, &raw)
		if err == nil { // cannot happen; keep a reason anyway
			err = errors.New("invalid JSON")
		}
		return nil, undecodable("bad JSON: %v", err)
	}
	s := scanner{data: data}
	s.ws()
	if s.peek() != '{' {
		return nil, undecodable("JSON is %s, want an object", kind(s.peek()))
	}
	s.i++
	s.ws()
	c := new(Claims)
	seen := 0
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			rawKey, ok := s.str()
			if !ok {
				return nil, undecodable("bad JSON: malformed key")
			}
			key, err := unquote(rawKey)
			if err != nil {
				return nil, undecodable("bad JSON key %s: %v", textcut.Cut(string(rawKey), 40), err)
			}
			s.ws()
			if s.peek() != ':' {
				return nil, undecodable("bad JSON: no colon after key %s", textcut.Cut(string(rawKey), 40))
			}
			s.i++
			s.ws()
			val, ok := s.value()
			if !ok {
				return nil, undecodable("bad JSON: malformed value of %s", textcut.Cut(string(rawKey), 40))
			}
			bit := fieldBit(key)
			if bit == 0 {
				for _, name := range fieldNames {
					if utf8.Valid(key) && bytes.EqualFold(key, []byte(name)) {
						return nil, undecodable("key %q differs from %q only in case", textcut.Cut(string(key), 40), name)
					}
				}
			} else {
				name := fieldNames[bits.TrailingZeros(uint(bit))]
				if seen&bit != 0 {
					return nil, undecodable("duplicate key %q", name)
				}
				seen |= bit
				if err := c.set(bit, name, val); err != nil {
					return nil, err
				}
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
				s.ws()
				continue
			case '}':
				s.i++
			default:
				return nil, undecodable("bad JSON: expected , or } after %s", textcut.Cut(string(rawKey), 40))
			}
			break
		}
	}
	if missing := fRequired &^ seen; missing != 0 {
		for i, name := range fieldNames {
			if missing&(1<<i) != 0 {
				return nil, undecodable("missing %s", name)
			}
		}
	}
	if c.Time > math.MaxInt64-c.Expire {
		return nil, undecodable("TLS.time %d + TLS.expire %d overflows int64", c.Time, c.Expire)
	}
	return c, nil
}

// set stores the JSON value val of the field bit named key.
func (c *Claims) set(bit int, key string, val []byte) error {
	switch bit {
	case fVer, fIdentifier, fUserBuf, fSig:
		if val[0] != '"' {
			return undecodable("%s is %s, want a string", key, kind(val[0]))
		}
		if !utf8.Valid(val) {
			return undecodable("%s is not valid UTF-8", key)
		}
		str, err := unquote(val)
		if err != nil {
			return undecodable("%s: %v", key, err)
		}
		switch bit {
		case fVer:
			if string(str) != "2.0" {
				return undecodable("TLS.ver is %q, want \"2.0\"", textcut.Cut(string(str), 40))
			}
			c.Version = "2.0"
		case fIdentifier:
			c.Identifier = string(str)
		case fUserBuf:
			if bytes.ContainsAny(str, "\r\n") {
				return undecodable("TLS.userbuf is not standard base64: line break")
			}
			buf := make([]byte, b64.DecodedLen(len(str)))
			n, err := b64.Decode(buf, str)
			if err != nil {
				return undecodable("TLS.userbuf is not standard base64: %v", err)
			}
			c.UserBuf = buf[:n]
		case fSig:
			if bytes.ContainsAny(str, "\r\n") {
				return undecodable("TLS.sig is not standard base64: line break")
			}
			var stack [64]byte
			var buf []byte
			if n := b64.DecodedLen(len(str)); n > len(stack) {
				buf = make([]byte, n)
			} else {
				buf = stack[:n]
			}
			if _, err := b64.Decode(buf, str); err != nil {
				return undecodable("TLS.sig is not standard base64: %v", err)
			}
			c.Sig = string(str)
		}
	default:
		if val[0] != '-' && (val[0] < '0' || val[0] > '9') {
			return undecodable("%s is %s, want an integer", key, kind(val[0]))
		}
		if val[0] == '-' {
			return undecodable("%s is %s, want a non-negative integer", key, textcut.Cut(string(val), 40))
		}
		var max uint64 = math.MaxInt64
		if bit == fSDKAppID {
			max = math.MaxUint64
		}
		var v uint64
		for _, ch := range val {
			if ch < '0' || ch > '9' {
				return undecodable("%s is %s, want an integer", key, textcut.Cut(string(val), 40))
			}
			d := uint64(ch - '0')
			if v > (max-d)/10 {
				return undecodable("%s %s is out of range", key, textcut.Cut(string(val), 40))
			}
			v = v*10 + d
		}
		switch bit {
		case fSDKAppID:
			c.SDKAppID = v
		case fTime:
			c.Time = int64(v)
		case fExpire:
			c.Expire = int64(v)
		}
	}
	return nil
}

// kind names the JSON type of a value starting with b.
func kind(b byte) string {
	switch b {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "empty"
	}
	return "a number"
}

// unquote returns the content of the JSON string literal q, unescaped. The
// result aliases q when q has no escapes.
func unquote(q []byte) ([]byte, error) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return nil, errors.New("not a string")
	}
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// scanner walks a JSON text already checked by json.Valid. Its methods
// still check bounds so that a mistake cannot panic.
type scanner struct {
	data []byte
	i    int
}

func (s *scanner) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str consumes a string literal and returns it with its quotes.
func (s *scanner) str() ([]byte, bool) {
	start := s.i
	if s.peek() != '"' {
		return nil, false
	}
	for j := start + 1; j < len(s.data); j++ {
		switch s.data[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return s.data[start:s.i], true
		}
	}
	return nil, false
}

// value consumes any JSON value and returns its text.
func (s *scanner) value() ([]byte, bool) {
	start := s.i
	switch s.peek() {
	case 0:
		return nil, false
	case '"':
		return s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return nil, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.data[start:s.i], true
			}
		}
		return nil, false
	}
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return s.data[start:s.i], s.i > start
		}
		s.i++
	}
	return s.data[start:s.i], s.i > start
}

// Verify decodes sig and checks it against the request, in the order of
// the official verifier: SDKAppID, identifier, expiry (still valid when
// now.Unix() == Time+Expire), then the HMAC under key, compared in
// constant time. It returns the claims when all checks pass; otherwise nil
// and an error wrapping one of the Err values with an explanation. A
// TLS.userbuf is covered by the HMAC and returned, not otherwise checked.
func Verify(key string, sdkappid uint64, identifier, sig string, now time.Time) (*Claims, error) {
	o := verify(key, sdkappid, identifier, sig)
	if err := o.at(now); err != nil {
		return nil, err
	}
	return o.claims, nil
}

// outcome is what Verify finds out about a token, the expiry aside: that is
// the only check whose answer depends on the time.
type outcome struct {
	claims *Claims // nil when before is set
	before error   // undecodable, or another app or identifier: answered at any time
	after  error   // the signature check's, answered only when not expired
}

// verify runs every check of Verify but the expiry, in Verify's order. The
// signature is checked even for an expired token; nothing observable
// depends on it then.
func verify(key string, sdkappid uint64, identifier, sig string) outcome {
	c, err := Decode(sig)
	if err != nil {
		return outcome{before: err}
	}
	if c.SDKAppID != sdkappid {
		return outcome{before: fmt.Errorf("%w: token is for sdkappid %d, request is for %d", ErrAppMismatch, c.SDKAppID, sdkappid)}
	}
	if c.Identifier != identifier {
		return outcome{before: fmt.Errorf("%w: token is for identifier %q, request is for %q", ErrIdentifierMismatch, c.Identifier, identifier)}
	}
	o := outcome{claims: c}
	var got [sigB64Len]byte
	if len(c.Sig) != sigB64Len {
		o.after = fmt.Errorf("%w: TLS.sig has %d characters, an HMAC-SHA256 has %d", ErrBadSignature, len(c.Sig), sigB64Len)
		return o
	}
	var src [sigB64Len]byte
	copy(src[:], c.Sig)
	n, err := b64.Decode(got[:], src[:])
	if err != nil || n != macLen {
		o.after = fmt.Errorf("%w: TLS.sig does not decode to a %d-byte HMAC-SHA256", ErrBadSignature, macLen)
		return o
	}
	var want [macLen]byte
	mac(&want, key, c)
	if !hmac.Equal(want[:], got[:n]) {
		o.after = fmt.Errorf("%w: TLS.sig is not the HMAC-SHA256 of the claims under this key (wrong key, or the token was altered)", ErrBadSignature)
	}
	return o
}

// at returns Verify's error for the outcome at time now, or nil when the
// token is valid then.
func (o *outcome) at(now time.Time) error {
	if o.before != nil {
		return o.before
	}
	c := o.claims
	if now.Unix() > c.Time+c.Expire {
		return fmt.Errorf("%w: issued %s for %ds, expired at %s; now %s", ErrExpired,
			rfc3339(c.Time), c.Expire, rfc3339(c.Time+c.Expire), rfc3339(now.Unix()))
	}
	return o.after
}

func rfc3339(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// mac writes to dst the HMAC-SHA256 under key of the content signed for c:
// TLS.identifier, TLS.sdkappid, TLS.time, TLS.expire and, when present,
// TLS.userbuf, each as "name:value\n".
func mac(dst *[macLen]byte, key string, c *Claims) {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(appendContent(nil, c))
	h.Sum(dst[:0])
}

func appendContent(b []byte, c *Claims) []byte {
	b = append(b, "TLS.identifier:"...)
	b = append(b, c.Identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendUint(b, c.SDKAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, c.Time, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, c.Expire, 10)
	b = append(b, '\n')
	if c.UserBuf != nil {
		b = append(b, "TLS.userbuf:"...)
		b = base64.StdEncoding.AppendEncode(b, c.UserBuf)
		b = append(b, '\n')
	}
	return b
}
