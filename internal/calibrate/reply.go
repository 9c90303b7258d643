package calibrate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// envelope is the vendor's reply; pointers tell a missing field.
type envelope struct {
	ActionStatus *string `json:"ActionStatus"`
	ErrorCode    *int    `json:"ErrorCode"`
	ErrorInfo    *string `json:"ErrorInfo"`
	MsgKey       string  `json:"MsgKey"`
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
	return a
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
	return clip(s, 120)
}
