package mockserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// reply is what the endpoint answers: HTTP 200 and the vendor's envelope.
type reply struct {
	code   int
	info   string
	msgKey string
}

// appendReply writes the vendor's envelope, fields in the vendor's order:
// {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"..."}.
func appendReply(b []byte, r reply) []byte {
	if r.code == 0 {
		b = append(b, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0`...)
		if r.msgKey != "" {
			b = append(b, `,"MsgKey":`...)
			b = appendJSONString(b, r.msgKey)
		}
		return append(b, '}')
	}
	b = append(b, `{"ActionStatus":"FAIL","ErrorInfo":`...)
	b = appendJSONString(b, r.info)
	b = append(b, `,"ErrorCode":`...)
	b = strconv.AppendInt(b, int64(r.code), 10)
	return append(b, '}')
}

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

// replyOK is the envelope of a success that opened no stream.
const replyOK = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// replyWithKeyPrefix starts the envelope of a success that opened a
// stream; the MsgKey (which needs no escaping) and `"}` follow.
const replyWithKeyPrefix = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"`

// replyTexts holds the envelopes of the errors a server answers most: those
// of its check table and of the catalogue, made once.
type replyTexts map[reply]string

func newReplyTexts(t *codes.Table) replyTexts {
	m := replyTexts{}
	for _, e := range codes.Catalogue() {
		r := reply{code: e.Code, info: e.Info}
		m[r] = string(appendReply(nil, r))
	}
	for _, rule := range t.Rules() {
		r := reply{code: rule.Code, info: rule.Info}
		m[r] = string(appendReply(nil, r))
	}
	return m
}

// replyText returns the envelope of a reply.
func (s *Server) replyText(r reply) string {
	if r.msgKey == "" {
		if r.code == 0 {
			return replyOK
		}
		if t, ok := s.replies[r]; ok {
			return t
		}
	}
	return string(appendReply(make([]byte, 0, 128), r))
}

// contentLengths are the Content-Length values of replies shorter than
// 1 KiB, made once.
var contentLengths = func() (t [1024]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// writeReplyText sends an envelope with status 200 and a JSON content type.
func writeReplyText(w http.ResponseWriter, body string) {
	var n string
	if len(body) < len(contentLengths) {
		n = contentLengths[len(body)]
	} else {
		n = strconv.Itoa(len(body))
	}
	// One allocation for both header values; each reply has its own.
	values := []string{"application/json", n}
	h := w.Header()
	h["Content-Type"] = values[0:1:1]
	h["Content-Length"] = values[1:2:2]
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, body)
}

// writeStatus answers an HTTP status as a gateway in front of the service
// would: body when given, else a short HTML error page.
func writeStatus(w http.ResponseWriter, status int, body *string) []byte {
	var b []byte
	if body != nil {
		b = []byte(*body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		b = []byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
		w.Header().Set("Content-Type", "text/html")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return b
}

// dropConnection closes the client's connection with no reply; on TCP it
// sends a reset (SO_LINGER 0) as a crashed peer would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection quietly
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// writeTruncated sends the headers of a full reply and the first half of
// its body, then closes the connection. It returns what was sent of the body.
func writeTruncated(w http.ResponseWriter, body []byte) []byte {
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
	rw.Write(half)
	rw.Flush()
	return half
}
