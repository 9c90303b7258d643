package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// conn is one keep-alive client connection: it writes a request built once
// and reads the reply without allocating, so that the CPU a request costs
// beyond the kernel's is nearly all the server's.
type conn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

func dial(addr string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 4096), buf: make([]byte, 0, 4096)}, nil
}

// rawRequest is an HTTP/1.1 POST of body to target (path and query).
func rawRequest(host, target, body string) []byte {
	return []byte("POST " + target + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// do sends req and returns the reply's body, valid until the next call.
func (c *conn) do(req []byte) ([]byte, error) {
	if _, err := c.c.Write(req); err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("loadtest: reading the reply: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil {
				return nil, fmt.Errorf("loadtest: Content-Length %q", value)
			}
			length = n
		}
	}
	if length < 0 || length > 1<<20 {
		return nil, fmt.Errorf("loadtest: a reply without a usable Content-Length (%d)", length)
	}
	c.buf = c.buf[:length]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return nil, fmt.Errorf("loadtest: reading the reply: %w", err)
	}
	return c.buf, nil
}

// timedDo is do, adding the round trip's time to h.
func (c *conn) timedDo(req []byte, h *histogram) ([]byte, error) {
	start := time.Now()
	body, err := c.do(req)
	h.add(time.Since(start))
	return body, err
}
