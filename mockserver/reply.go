package mockserver

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// reply is what the endpoint answers: HTTP 200 and the vendor's envelope.
type reply struct {
	code   int
	info   string
	msgKey string
	// keyName is the name msgKey goes by: "MsgKey" when empty, or the
	// native streams' "StreamMsgID". A key order names it MsgKey.
	keyName   string
	requestID string
	// extra is more of a success's members, written last as they are
	// (get_all_robots' "Robot_Account":[...]).
	extra []byte
}

// appendReply writes the vendor's envelope with its keys in order (a
// permutation of defaultKeyOrder; MsgKey only on a success that issued
// one), for example
// {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"...","RequestId":"..."},
// with the RequestId id (appendRequestID's, which needs no escaping), and
// returns where in b the id begins.
func appendReply(b []byte, r reply, order []string, id []byte) ([]byte, int) {
	b = append(b, '{')
	first, at := true, 0
	for _, k := range order {
		if k == "MsgKey" && (r.code != 0 || r.msgKey == "") || k == "RequestId" && len(id) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		if k == "MsgKey" && r.keyName != "" {
			b = append(b, r.keyName...)
		} else {
			b = append(b, k...)
		}
		b = append(b, '"', ':')
		switch k {
		case "ActionStatus":
			if r.code == 0 {
				b = append(b, `"OK"`...)
			} else {
				b = append(b, `"FAIL"`...)
			}
		case "ErrorInfo":
			if r.code == 0 {
				b = append(b, `""`...)
			} else {
				b = appendJSONString(b, r.info)
			}
		case "ErrorCode":
			b = strconv.AppendInt(b, int64(r.code), 10)
		case "MsgKey":
			b = appendJSONString(b, r.msgKey)
		case "RequestId":
			b = append(b, '"')
			at = len(b)
			b = append(append(b, id...), '"')
		}
	}
	if r.code == 0 && len(r.extra) > 0 {
		if !first {
			b = append(b, ',')
		}
		b = append(b, r.extra...)
	}
	return append(b, '}'), at
}

// appendRequestID appends the RequestId of the nth request, shaped like
// the vendor's "Id-70e312f1de024af5a36714b7b71da224-O-Seq-63504": unique
// in the server's life, and opaque.
func appendRequestID(b []byte, nth uint64) []byte {
	b = append(b, "Id-"...)
	b = appendHexDigits(appendHexDigits(b, rand.Uint64(), 16), rand.Uint64(), 16)
	b = append(b, "-O-Seq-"...)
	return strconv.AppendUint(b, nth, 10)
}

// appendHexDigits appends x's n leading hexadecimal digits (n at most
// 16), in lower case.
func appendHexDigits(b []byte, x uint64, n int) []byte {
	const hexDigits = "0123456789abcdef"
	for ; n > 0; n-- {
		b = append(b, hexDigits[x>>60])
		x <<= 4
	}
	return b
}

// requestIDMaxLen is the longest RequestId.
const requestIDMaxLen = 3 + 32 + 7 + 20

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires (no HTML escaping) and replacing invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonContentType is the Content-Type of every envelope. net/http copies a
// header's values before it writes them, so every reply can share it.
var jsonContentType = []string{"application/json"}

// writeReplyText sends an envelope with status 200 and a JSON content type.
// net/http sets the Content-Length of a reply it holds whole, one under
// 2 KiB; a longer one gets it here.
func writeReplyText(w http.ResponseWriter, body string) {
	h := w.Header()
	h["Content-Type"] = jsonContentType[:1:1]
	if len(body) >= 2048 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	io.WriteString(w, body)
}

// statusPage returns the body of an HTTP status answer: body when given,
// else a gateway's short HTML error page.
func statusPage(status int, body *string) string {
	if body != nil {
		return *body
	}
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// writeStatus answers an HTTP status as a gateway in front of the service
// would, with a body made by statusPage: plain text when the rule gave it.
func writeStatus(w http.ResponseWriter, status int, body string, plain bool) {
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// dropConnection closes the client's connection with no reply; on TCP,
// TLS or not, it sends a reset (SO_LINGER 0) as a crashed peer would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	// Over TLS the reset goes to the TCP connection under it, with no TLS
	// close first, as a crashed peer's would.
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = nc.NetConn()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// writeTruncated sends the headers of a full reply and the first half of
// its body, then closes the connection.
func writeTruncated(w http.ResponseWriter, body string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	half := body[:len(body)/2]
	fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	rw.WriteString(half)
	rw.Flush()
}
