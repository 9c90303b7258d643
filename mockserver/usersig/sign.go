package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Style selects the JSON layout written by one of the official libraries.
// Verification does not depend on it: Decode parses the JSON.
type Style int

const (
	// StyleGo is tls-sig-api-v2-golang (encoding/json): keys ver,
	// identifier, sdkappid, expire, time, userbuf, sig; compact; <, > and &
	// escaped; a trailing newline.
	StyleGo Style = iota
	// StylePython is tls-sig-api-v2-python (json.dumps): StyleGo's key order,
	// ", " and ": " separators, everything outside printable ASCII as \uXXXX.
	StylePython
	// StyleNode is tls-sig-api-v2-node (JSON.stringify): time before expire,
	// compact, non-ASCII written as UTF-8.
	StyleNode
	// StylePHP is tls-sig-api-v2-php (json_encode): StyleGo's key order,
	// compact, "/" as "\/", non-ASCII as \uXXXX.
	StylePHP
)

type signOptions struct {
	level int
	style Style
}

// Option changes how Sign writes a token.
type Option func(*signOptions)

// WithLevel sets the zlib level: zlib.HuffmanOnly (-2),
// zlib.DefaultCompression (-1) or 0 to 9. The default is 0 (no
// compression), as in the official Go library; the other official
// libraries use 6.
func WithLevel(level int) Option { return func(o *signOptions) { o.level = level } }

// WithStyle sets the JSON layout. The default is StyleGo.
func WithStyle(s Style) Option { return func(o *signOptions) { o.style = s } }

// Generate returns the UserSig that tls-sig-api-v2-golang's GenUserSig
// returns for the same arguments when its clock reads now (byte for byte).
// expire is the lifetime in seconds and must be positive.
func Generate(key string, sdkappid uint64, identifier string, expire int64, now time.Time) (string, error) {
	return Sign(key, Claims{Identifier: identifier, SDKAppID: sdkappid, Time: now.Unix(), Expire: expire})
}

// Sign returns a UserSig for c signed with key. It uses c.Identifier,
// c.SDKAppID, c.Time, c.Expire and c.UserBuf (written when non-nil, even if
// empty); it computes TLS.sig itself, ignoring c.Sig. c.Version must be ""
// or "2.0". It refuses claims that the official Go library would leave out
// of the JSON or that Decode would reject: an empty or non-UTF-8
// identifier, a zero SDKAppID, Time or Expire not positive, Time+Expire
// overflowing int64, or a token over 8 KiB. Without options it writes what
// the official Go library writes: StyleGo at zlib level 0.
func Sign(key string, c Claims, opts ...Option) (string, error) {
	o := signOptions{level: zlib.NoCompression, style: StyleGo}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.level < zlib.HuffmanOnly || o.level > zlib.BestCompression {
		return "", fmt.Errorf("usersig: zlib level %d out of range -2..9", o.level)
	}
	if o.style < StyleGo || o.style > StylePHP {
		return "", fmt.Errorf("usersig: unknown style %d", int(o.style))
	}
	if err := checkClaims(&c); err != nil {
		return "", err
	}

	var sum [macLen]byte
	mac(&sum, key, &c)
	var sig [sigB64Len]byte
	base64.StdEncoding.Encode(sig[:], sum[:])

	var z bytes.Buffer
	zw := zlibWriter(&z, o.level)
	_, err := zw.Write(appendJSON(nil, &c, sig[:], o.style))
	if err == nil {
		err = zw.Close()
	}
	zlibWriters[o.level-zlib.HuffmanOnly].Put(zw)
	if err != nil {
		return "", fmt.Errorf("usersig: zlib: %w", err)
	}
	if n := tokenEncoding.EncodedLen(z.Len()); n > maxTokenLen {
		return "", fmt.Errorf("usersig: token would be %d bytes, more than the %d Decode accepts", n, maxTokenLen)
	}
	return tokenEncoding.EncodeToString(z.Bytes()), nil
}

// zlibWriters pool the zlib writers of each level (index: level+2): a
// new one allocates about a megabyte, which signing many UserSigs (a
// calibration, a test) would otherwise clear each time.
var zlibWriters [zlib.BestCompression - zlib.HuffmanOnly + 1]sync.Pool

// zlibWriter returns a writer of the level (checked by the caller) onto w,
// from the pool when it has one.
func zlibWriter(w io.Writer, level int) *zlib.Writer {
	if zw, ok := zlibWriters[level-zlib.HuffmanOnly].Get().(*zlib.Writer); ok {
		zw.Reset(w)
		return zw
	}
	zw, _ := zlib.NewWriterLevel(w, level)
	return zw
}

func checkClaims(c *Claims) error {
	switch {
	case c.Version != "" && c.Version != "2.0":
		return fmt.Errorf("usersig: cannot sign version %q, only \"2.0\"", c.Version)
	case c.Identifier == "":
		return errors.New("usersig: cannot sign an empty identifier")
	case !utf8.ValidString(c.Identifier):
		return errors.New("usersig: cannot sign an identifier that is not valid UTF-8")
	case c.SDKAppID == 0:
		return errors.New("usersig: cannot sign sdkappid 0")
	case c.Time <= 0:
		return fmt.Errorf("usersig: cannot sign time %d, want > 0", c.Time)
	case c.Expire <= 0:
		return fmt.Errorf("usersig: cannot sign expire %d, want > 0", c.Expire)
	case c.Time > math.MaxInt64-c.Expire:
		return fmt.Errorf("usersig: cannot sign time %d + expire %d, overflows int64", c.Time, c.Expire)
	}
	return nil
}

// appendJSON appends the JSON object of c, with TLS.sig set to sig, in the
// layout of style st.
func appendJSON(b []byte, c *Claims, sig []byte, st Style) []byte {
	sep := ":"
	if st == StylePython {
		sep = ": "
	}
	comma := func(b []byte) []byte {
		if st == StylePython {
			return append(b, ", "...)
		}
		return append(b, ',')
	}
	b = append(b, `{"TLS.ver"`...)
	b = append(b, sep...)
	b = append(b, `"2.0"`...)
	b = comma(b)
	b = append(b, `"TLS.identifier"`...)
	b = append(b, sep...)
	b = appendString(b, c.Identifier, st)
	b = comma(b)
	b = append(b, `"TLS.sdkappid"`...)
	b = append(b, sep...)
	b = appendUint(b, c.SDKAppID)
	b = comma(b)
	if st == StyleNode {
		b = append(b, `"TLS.time"`...)
		b = append(b, sep...)
		b = appendUint(b, uint64(c.Time))
		b = comma(b)
		b = append(b, `"TLS.expire"`...)
		b = append(b, sep...)
		b = appendUint(b, uint64(c.Expire))
	} else {
		b = append(b, `"TLS.expire"`...)
		b = append(b, sep...)
		b = appendUint(b, uint64(c.Expire))
		b = comma(b)
		b = append(b, `"TLS.time"`...)
		b = append(b, sep...)
		b = appendUint(b, uint64(c.Time))
	}
	if c.UserBuf != nil {
		b = comma(b)
		b = append(b, `"TLS.userbuf"`...)
		b = append(b, sep...)
		mark := len(b)
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, c.UserBuf)
		b = append(b, '"')
		if st == StylePHP {
			b = escapeSlashes(b, mark)
		}
	}
	b = comma(b)
	b = append(b, `"TLS.sig"`...)
	b = append(b, sep...)
	mark := len(b)
	b = append(b, '"')
	b = append(b, sig...)
	b = append(b, '"')
	if st == StylePHP {
		b = escapeSlashes(b, mark)
	}
	b = append(b, '}')
	if st == StyleGo {
		b = append(b, '\n')
	}
	return b
}

func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// escapeSlashes rewrites each "/" in b[from:] as "\/". b[from:] holds
// base64 text, which has no other character PHP escapes.
func escapeSlashes(b []byte, from int) []byte {
	n := bytes.Count(b[from:], []byte{'/'})
	if n == 0 {
		return b
	}
	tail := append([]byte(nil), b[from:]...)
	b = b[:from]
	for _, ch := range tail {
		if ch == '/' {
			b = append(b, '\\')
		}
		b = append(b, ch)
	}
	return b
}

const hexDigits = "0123456789abcdef"

// goPlain reports bytes that encoding/json writes unescaped.
func goPlain(ch byte) bool {
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '<' && ch != '>' && ch != '&'
}

// appendString appends s as a JSON string literal escaped as the library
// of style st escapes it. s is valid UTF-8.
func appendString(b []byte, s string, st Style) []byte {
	if st == StyleGo {
		for i := 0; i < len(s); i++ {
			if !goPlain(s[i]) {
				q, _ := json.Marshal(s) // a string always marshals
				return append(b, q...)
			}
		}
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '/':
			if st == StylePHP {
				b = append(b, `\/`...)
			} else {
				b = append(b, '/')
			}
		default:
			switch {
			case r < 0x20:
				b = appendU(b, r)
			case r < 0x7f:
				b = append(b, byte(r))
			case r == 0x7f && st != StylePython:
				b = append(b, byte(r))
			case st == StyleNode:
				b = utf8.AppendRune(b, r)
			case r >= 0x10000:
				r1, r2 := utf16.EncodeRune(r)
				b = appendU(appendU(b, r1), r2)
			default:
				b = appendU(b, r)
			}
		}
	}
	return append(b, '"')
}

// appendU appends the escape \uXXXX of the UTF-16 code unit r, lowercase.
func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
