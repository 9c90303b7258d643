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

	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/internal/textcut"
	"github.com/deskmock/deskmock/mockserver/codes"
	"github.com/deskmock/deskmock/mockserver/usersig"
)

// maxReplyBytes bounds the reply read.
const maxReplyBytes = 64 << 10

// object is a JSON object that keeps the order of its members, so that a
// body reads as the vendor's examples write it.
type object []member

// member is one member of an object.
type member struct {
	name  string
	value any
}

// MarshalJSON writes the members in order, UTF-8 and HTML left as they are.
func (o object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		name, err := marshal(m.name)
		if err != nil {
			return nil, err
		}
		value, err := marshal(m.value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, name...), ':'), value...)
	}
	return append(b, '}'), nil
}

// reply is the vendor's envelope; the stream's key is read apart, by the
// endpoint's name of it.
type reply struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    *int   `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
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
	ep   protocol.Endpoint
	opts Options
	http *http.Client
	sig  string
}

// Stream sends in.Chunks as one message in the conversation the input
// names, to the endpoint its Version names, and returns the answer to
// print. It never panics on a bad server; ctx ends it early.
func Stream(ctx context.Context, in Input, opts Options) Answer {
	opts = opts.withDefaults()
	ep, ok := in.Endpoint()
	if !ok {
		return Answer{ErrorInfo: "version " + strconv.Quote(in.Version) + " names no endpoint"}
	}
	c := &client{in: in, ep: ep, opts: opts, http: &http.Client{Timeout: opts.RequestTimeout}, sig: in.UserSig}
	if !opts.GivenUserSig {
		sig, err := usersig.Generate(in.SecretKey, in.SDKAppID, in.Identifier, int64(UserSigLifetime/time.Second), time.Now())
		if err != nil {
			return Answer{ErrorInfo: "signing a UserSig: " + err.Error()}
		}
		c.sig = sig
	}
	ans := c.stream(ctx)
	for _, name := range in.Then {
		if name == protocol.CallTransfer && opts.Bugs.NeverTransfer {
			continue
		}
		ans.Then = append(ans.Then, c.deskCall(ctx, name))
	}
	return ans
}

// deskCall makes one Desk call of Input.Then, retried like a chunk, and
// returns what its last reply said.
func (c *client) deskCall(ctx context.Context, name string) protocol.CallAnswer {
	a := protocol.CallAnswer{Call: name}
	dc, ok := protocol.CallOf(name)
	if !ok {
		a.ErrorInfo = "no Desk call is named " + strconv.Quote(name)
		return a
	}
	payload, err := marshal(object{{"SessionId", c.in.SessionID}})
	if err != nil {
		a.ErrorInfo = err.Error()
		return a
	}
	var reply map[string]any
	if _, err := c.send(ctx, outgoing{path: dc.Path, payload: payload, reply: &reply}); err != nil {
		failed := answerOf(err)
		a.ErrorCode, a.ErrorInfo = failed.ErrorCode, failed.ErrorInfo
		return a
	}
	a.OK = true
	a.AgentID, _ = reply["AgentId"].(string)
	a.CurrentState, _ = reply["CurrentState"].(string)
	if n, ok := reply["IsInQueue"].(float64); ok {
		a.IsInQueue = n == 1
	}
	if name != protocol.CallTransfer {
		a.AgentID = "" // get_session_state's AgentId is not reported
	}
	return a
}

func (c *client) stream(ctx context.Context) Answer {
	chunks := c.in.Chunks
	if len(chunks) == 0 && len(c.in.Then) > 0 {
		return Answer{OK: true} // no stream: the Desk calls instead
	}
	if len(chunks) == 0 {
		return Answer{ErrorInfo: "no chunks to send"}
	}
	if c.ep.Indexed {
		return c.streamIndexed(ctx)
	}
	var key string
	var ignored error // StreamAfterSessionEnds: the refusal it went on after
	for i := 0; i < len(chunks); i++ {
		if err := sleep(ctx, c.in.Pause(i)); err != nil {
			return answerOf(err)
		}
		last := i == len(chunks)-1
		b := append(c.conversation(), member{"Chunk", chunks[i]})
		if key != "" && !c.opts.Bugs.ForgetMsgKey {
			b = append(b, member{c.ep.Key, key})
		}
		if last && !c.opts.Bugs.NeverFinish {
			b = append(b, member{"Finish", 1})
		}
		payload, err := marshal(b)
		if err != nil {
			return answerOf(err)
		}
		got, err := c.send(ctx, outgoing{path: c.ep.Path, payload: payload, index: i})
		var f *failure
		if err != nil && c.opts.Bugs.StreamAfterSessionEnds && errors.As(err, &f) && f.code == 141005 {
			ignored = err
			continue
		}
		if err != nil {
			return answerOf(err)
		}
		if key == "" {
			key = got
		}
		if c.opts.Bugs.DoubleMiddleChunk && i == 1 && len(chunks) >= 3 {
			if _, err := c.send(ctx, outgoing{path: c.ep.Path, payload: payload, index: i}); err != nil {
				return answerOf(err)
			}
		}
	}
	if ignored != nil {
		return answerOf(ignored)
	}
	return Answer{OK: true, MsgKey: key}
}

// conversation returns the members that name the conversation, as the
// endpoint names it: an optional field with an empty value is left out.
func (c *client) conversation() object {
	var o object
	for _, f := range c.ep.Conversation {
		v := c.in.Value(f)
		if v == nil || (f.Optional && *v == "") {
			continue
		}
		o = append(o, member{f.Wire, *v})
	}
	return o
}

// answerOf is the answer that reports err.
func answerOf(err error) Answer {
	var f *failure
	if errors.As(err, &f) {
		return Answer{ErrorCode: f.code, ErrorInfo: f.info}
	}
	return Answer{ErrorInfo: err.Error()}
}

// outgoing is one call to make: its path, its body, the chunk's place
// (from 0), and on an indexed endpoint the stream's pacer and whether the
// call continues a stream (carries a key and an Index the stream may
// already hold).
type outgoing struct {
	path    string
	payload []byte
	index   int
	pace    *pacer
	// indexedContinuation is an indexed call with a key: the endpoint's
	// EndedCode on its retry after a lost reply means the lost attempt
	// was applied.
	indexedContinuation bool
	// reply, when set, receives the members of the reply that succeeded.
	reply *map[string]any
}

// errAppliedEarlier is what send returns when an indexed retry was refused
// with the endpoint's EndedCode after an attempt whose fate was unknown:
// that attempt was applied.
var errAppliedEarlier = errors.New("refclient: an earlier attempt was applied")

// send makes the attempts of one call and returns the key of its reply.
func (c *client) send(ctx context.Context, o outgoing) (string, error) {
	fateUnknown := false
	for attempt := 1; ; attempt++ {
		if err := o.pace.wait(ctx); err != nil {
			return "", err
		}
		key, f := c.post(ctx, o.path, o.payload, o.reply)
		o.pace.done(time.Now())
		if f == nil {
			c.opts.Logf("chunk %d attempt %d: ok", o.index+1, attempt)
			return key, nil
		}
		c.opts.Logf("chunk %d attempt %d: %v", o.index+1, attempt, f)
		if o.indexedContinuation && fateUnknown && f.code == c.ep.EndedCode {
			// The Index makes the retry safe: the mock refuses an Index
			// it holds, so the attempt whose reply was lost was applied.
			return "", errAppliedEarlier
		}
		fateUnknown = fateUnknown || f.code == 0
		forever := f.code != 0 && slices.Contains(c.opts.Bugs.RetryForever, f.code)
		retry := f.retryable && !slices.Contains(c.opts.Bugs.NeverRetry, f.code)
		if !forever && (!retry || attempt >= c.opts.MaxAttempts) {
			return "", f
		}
		if err := sleep(ctx, c.opts.pause(attempt)); err != nil {
			return "", err
		}
	}
}

// post sends one request with a fresh random, reads the reply and returns
// the stream's key it carries, if any; members, when set, receives the
// members of a reply that succeeded.
func (c *client) post(ctx context.Context, path string, payload []byte, members *map[string]any) (string, *failure) {
	url := c.in.BaseURL + path +
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
		return "", &failure{info: "the reply is not the vendor's envelope: " + textcut.Cut(string(raw), 120), retryable: true}
	}
	if *r.ErrorCode != 0 || r.ActionStatus != "OK" {
		code := *r.ErrorCode
		return "", &failure{code: code, info: r.ErrorInfo, retryable: codes.Retryable(code)}
	}
	var got map[string]any
	json.Unmarshal(raw, &got) // it parsed as an object above
	if members != nil {
		*members = got
	}
	key, _ := got[c.ep.Key].(string)
	return key, nil
}

// marshal writes a body as compact JSON with UTF-8 left as is.
func marshal(b any) ([]byte, error) {
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
