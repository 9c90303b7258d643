// Package rawhttp is a minimal HTTP/1.1 keep-alive client for load runs: it
// writes a request built once and reads the reply without allocating, so
// that the CPU a request costs beyond the kernel's is nearly all the
// server's. It speaks only what the mock and a bare handler answer: a 200
// with a Content-Length.
package rawhttp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
)

// MaxBody is the longest reply body a Conn reads.
const MaxBody = 1 << 20

// Request returns an HTTP/1.1 POST of a JSON body to target (path and
// query) on host.
func Request(host, target, body string) []byte {
	return []byte("POST " + target + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// Conn is one keep-alive client connection. It is not safe for concurrent
// use. The caller should call Close when finished.
type Conn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

// Dial connects to addr over TCP.
func Dial(addr string) (*Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rawhttp: %w", err)
	}
	return &Conn{c: c, r: bufio.NewReaderSize(c, 4096), buf: make([]byte, 0, 4096)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Do sends req, made by Request, and returns the reply's body, valid until
// the next call. A reply that is not a 200 with a Content-Length of at most
// MaxBody is an error.
func (c *Conn) Do(req []byte) ([]byte, error) {
	if _, err := c.c.Write(req); err != nil {
		return nil, fmt.Errorf("rawhttp: %w", err)
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, fmt.Errorf("rawhttp: reading the reply: %w", err)
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return nil, fmt.Errorf("rawhttp: status line %q", bytes.TrimRight(status, "\r\n"))
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("rawhttp: reading the reply: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil {
				return nil, fmt.Errorf("rawhttp: Content-Length %q", value)
			}
			length = n
		}
	}
	if length < 0 || length > MaxBody {
		return nil, fmt.Errorf("rawhttp: a reply without a usable Content-Length (%d)", length)
	}
	c.buf = c.buf[:0]
	if cap(c.buf) < length {
		c.buf = make([]byte, 0, length)
	}
	c.buf = c.buf[:length]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return nil, fmt.Errorf("rawhttp: reading the reply: %w", err)
	}
	return c.buf, nil
}
