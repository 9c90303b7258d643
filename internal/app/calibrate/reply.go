package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// envelope is the vendor's reply; pointers tell a missing field.
type envelope struct {
	ActionStatus *string `json:"ActionStatus"`
	ErrorCode    *int    `json:"ErrorCode"`
	ErrorInfo    *string `json:"ErrorInfo"`
	MsgKey       string  `json:"MsgKey"`
	// StreamMsgID is the native streams' MsgKey.
	StreamMsgID string `json:"StreamMsgID"`
}

// parseReply reads the envelope of a reply; an HTTP status other than 200
// or a body that is not the envelope is an Answer with Error set.
func parseReply(resp *http.Response, body []byte) *Answer {
	a := &Answer{Status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		a.Error = fmt.Sprintf("HTTP %s (%s): %s", resp.Status, contentType(resp), excerpt(body))
		return a
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		a.Error = fmt.Sprintf("the reply is not JSON (%s): %s", contentType(resp), excerpt(body))
		return a
	}
	if env.ActionStatus == nil || env.ErrorCode == nil {
		a.Error = "the reply lacks ActionStatus or ErrorCode: " + excerpt(body)
		return a
	}
	a.Code = *env.ErrorCode
	if env.ErrorInfo != nil {
		a.Info = *env.ErrorInfo
	}
	a.MsgKey = env.MsgKey
	if a.MsgKey == "" {
		a.MsgKey = env.StreamMsgID
	}
	a.Members = members(body)
	return a
}

// members lists the members of a reply's object besides the envelope's
// (ActionStatus, ErrorCode, ErrorInfo, RequestId), as NAME:TYPE, sorted
// and joined with spaces.
func members(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	var out []string
	for name, v := range m {
		switch name {
		case "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId":
			continue
		}
		out = append(out, name+":"+jsonType(v))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// jsonType names the JSON type of a value.
func jsonType(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no Content-Type"
}

// excerpt is the start of a body, on one line, for an error message.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return "empty body"
	}
	return textcut.Cut(s, 120)
}

// send makes one HTTP request, bounded by timeout, and reads the envelope
// of its reply; it also returns the reply's text. Both have the request's
// UserSig, and any other, hidden, wherever the server echoed it.
func (r *runner) send(ctx context.Context, base string, req Request, timeout time.Duration) (*Answer, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, base+req.Target, body)
	if err != nil {
		return &Answer{Error: "cannot make the request: " + withoutURL(err)}, ""
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := r.opts.Client.Do(hr)
	if err != nil {
		a := &Answer{Error: describeError(ctx, err, timeout)}
		a.Millis = millis(time.Since(start))
		return a, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	text := hideSig(string(b), req.sig) // before an excerpt could cut a token
	a := parseReply(resp, []byte(text))
	a.Millis = millis(time.Since(start))
	if err != nil && a.Error == "" {
		a.Error = "reading the reply: " + describeError(ctx, err, timeout)
	}
	hideAnswer(a, req.sig) // and after JSON unescaped the ErrorInfo
	return a, text
}

// describeError words a transport error.
func describeError(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timeout: no whole reply within %s", timeout)
	}
	return withoutURL(err)
}

// withoutURL returns an error's text without the URL that net/http quotes
// in it, which holds the UserSig.
func withoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
