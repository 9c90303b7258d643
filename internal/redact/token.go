package redact

import (
	"compress/zlib"
	"io"
	"strings"
	"sync"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

// MinToken is the shortest run of UserSig characters Text examines. It is
// well below the shortest token that decodes (about 100 characters: the
// zlib of the six claims the decoder requires), so that no UserSig is
// missed, and high enough that ordinary text (words, UUIDs, MsgKeys) is
// passed over after a glance at one byte in MinToken.
const MinToken = 64

// maxAttempts bounds the candidate starts of one run that are decoded as
// far as their zlib stream goes (each at most a token's length). Past it
// the rest of the run is redacted whole: a run with that many zlib headers
// in it was made to cost, not written by a client, and redacting it is
// cheaper than reading it.
const maxAttempts = 16

// maxJSON is the most decompressed bytes a candidate may give, the
// decoder's own limit.
const maxJSON = 64 << 10

// sixBits maps a byte of the token alphabet (A-Z a-z 0-9 * -, base64 with
// '*' and '-' for '+' and '/') to its value plus one; 0 for other bytes.
var sixBits = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i + 1)
	}
	return t
}()

// maybe marks the bytes a run of token characters can hold as the client
// wrote them: the alphabet, the padding '_', and '%' of an escaped one.
var maybe = func() (t [256]bool) {
	for i := range t {
		t[i] = sixBits[i] != 0
	}
	t['_'], t['%'] = true, true
	return t
}()

// headStart marks the characters a zlib header can begin with: those whose
// six bits end in 10 and are below 32 (the compression method 8 and a
// window of at most 32 KiB): C G K O S W a e. It spares zlibHeader seven
// positions in eight.
var headStart = func() (t [256]bool) {
	for b := range t {
		v := sixBits[b]
		t[b] = v != 0 && (v-1)&3 == 2 && v-1 < 32
	}
	return t
}()

// isTokenByte reports whether b is a character of a token.
func isTokenByte(b byte) bool { return sixBits[b] != 0 || b == '_' }

// escaped returns the token character that s[i:i+3] percent-encodes
// (%2A, %2D, %5F in either case), or 0.
func escaped(s string, i int) byte {
	if i+3 > len(s) || s[i] != '%' {
		return 0
	}
	switch strings.ToUpper(s[i+1 : i+3]) {
	case "2A":
		return '*'
	case "2D":
		return '-'
	case "5F":
		return '_'
	}
	return 0
}

// Text returns s with every UserSig in it replaced by Placeholder: any run
// of token characters (the alphabet, its padding, or these percent-encoded)
// of which a part decodes as a UserSig, wherever the run is (a query, a
// path, a body, a reply, an echo of any of them). Only the token is
// replaced; what surrounds it in the run ("3D" of a "%3D" before it) stays.
// Text returns s itself when there is nothing to redact, and reads one byte
// in MinToken of text that has no run that long.
func Text(s string) string {
	var b []byte
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		start, end, ok := next(s, i)
		if !ok {
			break
		}
		b = append(b, s[done:start]...)
		b = append(b, Placeholder...)
		done, i = end, end
	}
	if b == nil {
		return s
	}
	return string(append(b, s[done:]...))
}

// Bytes is Text for a byte slice. It redacts in place (the placeholder is
// shorter than any token) and returns p cut to its new length: p itself,
// untouched, when there is nothing to redact.
func Bytes(p []byte) []byte {
	if !hasRun(string(p)) {
		return p
	}
	s := string(p) // p is rewritten below
	w, done := 0, 0
	for i := 0; i < len(s); {
		start, end, ok := next(s, i)
		if !ok {
			break
		}
		w += copy(p[w:], s[done:start])
		w += copy(p[w:], Placeholder)
		done, i = end, end
	}
	w += copy(p[w:], s[done:])
	return p[:w]
}

// hasRun reports whether s holds a run of MinToken bytes that may be token
// characters, reading one byte in MinToken where there is none.
func hasRun(s string) bool {
	lo, _ := nextRun(s, 0)
	return lo >= 0
}

// nextRun returns the next run, at or after i, of at least MinToken bytes
// that may be token characters; lo is -1 when there is none. It reads
// every MinToken-th byte, and around those that may be in a run.
func nextRun(s string, i int) (lo, hi int) {
	for p := i + MinToken - 1; p < len(s); {
		if !maybe[s[p]] {
			p += MinToken
			continue
		}
		lo, hi = p, p+1
		for lo > i && maybe[s[lo-1]] {
			lo--
		}
		for hi < len(s) && maybe[s[hi]] {
			hi++
		}
		if hi-lo >= MinToken {
			return lo, hi
		}
		p = hi + MinToken
	}
	return -1, -1
}

// next returns the span of the first UserSig in s at or after i.
func next(s string, i int) (start, end int, ok bool) {
	for {
		lo, hi := nextRun(s, i)
		if lo < 0 {
			return 0, 0, false
		}
		if start, end, ok := inRun(s, lo, hi); ok {
			return start, end, true
		}
		i = hi
	}
}

// inRun finds the first UserSig in s[lo:hi], a run of bytes that may be
// token characters. The run is cut into segments where a '%' escapes no
// token character; each segment is read decoded.
func inRun(s string, lo, hi int) (start, end int, ok bool) {
	for k := lo; k < hi; {
		seg, pos, next := segment(s, k, hi)
		if len(seg) >= MinToken {
			if a, b, ok := find(seg); ok {
				if pos == nil {
					return k + a, k + b, true
				}
				return pos[a], pos[b], true
			}
		}
		k = next
	}
	return 0, 0, false
}

// segment reads the token characters of s from k up to hi, decoding
// escapes, up to the first byte that is none. pos maps each character of
// seg to its offset in s, plus the end (nil when seg is s[k:...] as is);
// next is where the following segment starts.
func segment(s string, k, hi int) (seg string, pos []int, next int) {
	j := k
	for j < hi && isTokenByte(s[j]) {
		j++
	}
	if j == hi || escaped(s, j) == 0 {
		if j == k { // a '%' that escapes nothing of a token
			j++
		}
		return s[k:j], nil, j
	}
	var b []byte
	for j = k; j < hi; {
		switch {
		case isTokenByte(s[j]):
			b = append(b, s[j])
			pos = append(pos, j)
			j++
		case escaped(s, j) != 0:
			b = append(b, escaped(s, j))
			pos = append(pos, j)
			j += 3
		default:
			return string(b), append(pos, j), j + 1
		}
	}
	return string(b), append(pos, j), j
}

// find returns the span of the first UserSig in seg, a string of token
// characters. A candidate starts where four characters decode to a zlib
// header; its zlib stream, read to its end, says how long the token is,
// and usersig.Decode has the last word.
func find(seg string) (start, end int, ok bool) {
	attempts := 0
	for c := 0; c+MinToken <= len(seg); c++ {
		if !headStart[seg[c]] || !zlibHeader(seg[c:]) {
			continue
		}
		if attempts++; attempts > maxAttempts {
			return c, len(seg), true
		}
		n := streamLen(seg[c:])
		if n == 0 {
			continue
		}
		if _, err := usersig.Decode(seg[c : c+n]); err == nil {
			return c, c + n, true
		}
	}
	return 0, 0, false
}

// zlibHeader reports whether s begins with the token characters of a
// zlib header: deflate, a window of at most 32 KiB, no dictionary, and the
// check bits right.
func zlibHeader(s string) bool {
	v0, v1, v2 := sixBits[s[0]], sixBits[s[1]], sixBits[s[2]]
	if v0 == 0 || v1 == 0 || v2 == 0 {
		return false
	}
	v0, v1, v2 = v0-1, v1-1, v2-1
	cmf := v0<<2 | v1>>4
	flg := (v1&15)<<4 | v2>>2
	return cmf&0x0f == 8 && cmf>>4 <= 7 && flg&0x20 == 0 && (uint(cmf)<<8|uint(flg))%31 == 0
}

// maxTokenLen is the longest token the decoder takes, in characters.
const maxTokenLen = 8 << 10

// inflater is a zlib reader with the groups it reads, kept for reuse: a
// new one costs tens of KiB.
type inflater struct {
	g  groups
	zr io.ReadCloser
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// streamLen returns how many characters of s the zlib stream at its start
// takes, padding included, or 0 when no whole stream is there within the
// longest token.
func streamLen(s string) int {
	in := inflaters.Get().(*inflater)
	defer inflaters.Put(in)
	in.g = groups{s: s[:min(len(s), maxTokenLen)]}
	var err error
	if in.zr == nil {
		in.zr, err = zlib.NewReader(&in.g)
	} else {
		err = in.zr.(zlib.Resetter).Reset(&in.g, nil)
	}
	if err != nil {
		return 0
	}
	var buf [512]byte
	for total := 0; ; {
		n, err := in.zr.Read(buf[:])
		if total += n; total > maxJSON {
			return 0
		}
		if err == io.EOF {
			return (in.g.read + 2) / 3 * 4
		}
		if err != nil {
			return 0
		}
	}
}

// groups reads the bytes that s encodes, four characters at a time, up to
// a group that is not base64 or the group that ends with padding. It is an
// io.ByteReader, so that zlib reads no byte past its stream.
type groups struct {
	s    string
	i    int // next group of s
	buf  [3]byte
	n, k int // buf[k:n] not yet read
	end  bool
	read int // bytes read
}

func (g *groups) ReadByte() (byte, error) {
	if g.k == g.n && !g.fill() {
		return 0, io.EOF
	}
	g.k++
	g.read++
	return g.buf[g.k-1], nil
}

func (g *groups) Read(p []byte) (int, error) {
	for i := range p {
		b, err := g.ReadByte()
		if err != nil {
			if i == 0 {
				return 0, err
			}
			return i, nil
		}
		p[i] = b
	}
	return len(p), nil
}

// fill decodes the next group into buf.
func (g *groups) fill() bool {
	if g.end || g.i+4 > len(g.s) {
		return false
	}
	q := g.s[g.i : g.i+4]
	g.i += 4
	var v [4]byte
	n := 3
	for j := 0; j < 4; j++ {
		switch {
		case sixBits[q[j]] != 0:
			if n < 3 { // a character after padding
				return false
			}
			v[j] = sixBits[q[j]] - 1
		case q[j] == '_' && j >= 2:
			if n == 3 {
				n = j - 1
			}
			g.end = true
		default:
			return false
		}
	}
	g.buf = [3]byte{v[0]<<2 | v[1]>>4, v[1]<<4 | v[2]>>2, v[2]<<6 | v[3]}
	g.n, g.k = n, 0
	return true
}
