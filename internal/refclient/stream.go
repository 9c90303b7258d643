package refclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// endpointPath is the API's path; the client does not import the mock.
const endpointPath = "/v4/desk_http_svc/send_stream_msg"

// maxReplyBytes bounds the reply read.
const maxReplyBytes = 64 << 10

// body is one call's request body.
type body struct {
	SessionID string `json:"SessionId"`
	Chunk     string `json:"Chunk"`
	MsgKey    string `json:"MsgKey,omitempty"`
	Finish    int    `json:"Finish,omitempty"`
}

// reply is the vendor's envelope.
type reply struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    *int   `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
	MsgKey       string `json:"MsgKey"`
}

// failure is why one attempt did not succeed.
type failure struct {
	code      int // the vendor code; 0 for a transport failure
	info      string
	retryable bool
}

// Error says what failed, with the vendor code when there is one.
func (f *failure) Error() string {
	if f.code != 0 {
		return fmt.Sprintf("ErrorCode %d: %s", f.code, f.info)
	}
	return f.info
}

// client streams one case.
type client struct {
	in   Input
	opts Options
	http *http.Client
	sig  string
}

// Stream sends in.Chunks as one message on in.SessionID and returns the
// answer to print. It never panics on a bad server; ctx ends it early.
func Stream(ctx context.Context, in Input, opts Options) Answer {
	opts = opts.withDefaults()
	c := &client{in: in, opts: opts, http: &http.Client{Timeout: opts.RequestTimeout}, sig: in.UserSig}
	if !opts.GivenUserSig {
		sig, err := usersig.Generate(in.SecretKey, in.SDKAppID, in.Identifier, int64(UserSigLifetime/time.Second), time.Now())
		if err != nil {
			return Answer{ErrorInfo: "signing a UserSig: " + err.Error()}
		}
		c.sig = sig
	}
	return c.stream(ctx)
}

func (c *client) stream(ctx context.Context) Answer {
	chunks := c.in.Chunks
	if len(chunks) == 0 {
		return Answer{ErrorInfo: "no chunks to send"}
	}
	var key string
	for i := 0; i < len(chunks); i++ {
		last := i == len(chunks)-1
		b := body{SessionID: c.in.SessionID, Chunk: chunks[i]}
		if !c.opts.Bugs.ForgetMsgKey {
			b.MsgKey = key
		}
		if last && !c.opts.Bugs.NeverFinish {
			b.Finish = 1
		}
		got, err := c.send(ctx, b, i)
		if err != nil {
			var f *failure
			if errors.As(err, &f) {
				return Answer{ErrorCode: f.code, ErrorInfo: f.info}
			}
			return Answer{ErrorInfo: err.Error()}
		}
		if key == "" {
			key = got
		}
		if c.opts.Bugs.DoubleMiddleChunk && i == 1 && len(chunks) >= 3 {
			if _, err := c.send(ctx, b, i); err != nil {
				return Answer{ErrorInfo: err.Error()}
			}
		}
	}
	return Answer{OK: true, MsgKey: key}
}

// send makes the attempts of one call and returns the MsgKey of its reply.
func (c *client) send(ctx context.Context, b body, index int) (string, error) {
	payload, err := marshal(b)
	if err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		key, f := c.post(ctx, payload)
		if f == nil {
			c.opts.Logf("chunk %d attempt %d: ok", index+1, attempt)
			return key, nil
		}
		c.opts.Logf("chunk %d attempt %d: %v", index+1, attempt, f)
		forever := f.code != 0 && slices.Contains(c.opts.Bugs.RetryForever, f.code)
		retry := f.retryable && !slices.Contains(c.opts.Bugs.NeverRetry, f.code)
		if !forever && (!retry || attempt >= c.opts.MaxAttempts) {
			return "", f
		}
		t := time.NewTimer(c.opts.pause(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// post sends one request with a fresh random and reads the reply.
func (c *client) post(ctx context.Context, payload []byte) (string, *failure) {
	url := c.in.BaseURL + endpointPath +
		"?sdkappid=" + strconv.FormatUint(c.in.SDKAppID, 10) +
		"&identifier=" + queryEscape(c.in.Identifier) +
		"&usersig=" + queryEscape(c.sig) +
		"&random=" + strconv.FormatUint(uint64(rand.Uint32()), 10) +
		"&contenttype=json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return "", &failure{info: "building the request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", &failure{info: "transport: " + err.Error(), retryable: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return "", &failure{info: "reading the reply: " + err.Error(), retryable: true}
	}
	if resp.StatusCode != http.StatusOK {
		return "", &failure{info: "HTTP " + resp.Status, retryable: resp.StatusCode >= 500}
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil || r.ErrorCode == nil {
		return "", &failure{info: "the reply is not the vendor's envelope: " + clip(string(raw)), retryable: true}
	}
	if *r.ErrorCode != 0 || r.ActionStatus != "OK" {
		code := *r.ErrorCode
		return "", &failure{code: code, info: r.ErrorInfo, retryable: codes.Retryable(code)}
	}
	return r.MsgKey, nil
}

// marshal writes a body as compact JSON with UTF-8 left as is.
func marshal(b body) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("encoding the body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// queryEscape escapes a query value, keeping the characters of a UserSig
// (letters, digits, '*', '-', '_') as they are.
func queryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '*', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
