package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/deskmock/deskmock/conformance/protocol"
	"github.com/deskmock/deskmock/internal/textcut"
	"io"
)

// Answer is the JSON object a client prints on stdout when it is done.
type Answer = protocol.Answer

// rawAnswer is an Answer with its fields' presence and types kept.
type rawAnswer struct {
	OK        *bool            `json:"ok"`
	MsgKey    *json.RawMessage `json:"msg_key"`
	ErrorCode *json.RawMessage `json:"error_code"`
	ErrorInfo *json.RawMessage `json:"error_info"`
	Then      *json.RawMessage `json:"then"`
}

// parseAnswer reads the one JSON object a client must print. Surrounding
// white space is allowed; anything else is an error that says what is
// wrong.
func parseAnswer(stdout string) (Answer, error) {
	trimmed := bytes.TrimSpace([]byte(stdout))
	if len(trimmed) == 0 {
		return Answer{}, errors.New("stdout is empty")
	}
	if trimmed[0] != '{' {
		return Answer{}, fmt.Errorf("stdout does not start with a JSON object: %s", textcut.Cut(string(trimmed), 80))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var raw rawAnswer
	if err := dec.Decode(&raw); err != nil {
		return Answer{}, fmt.Errorf("stdout is not one JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Answer{}, errors.New("stdout holds more than one JSON value")
	}
	if raw.OK == nil {
		return Answer{}, errors.New(`the answer has no boolean "ok"`)
	}
	a := Answer{OK: *raw.OK}
	if err := optional(raw.MsgKey, "msg_key", &a.MsgKey); err != nil {
		return Answer{}, err
	}
	if err := optional(raw.ErrorCode, "error_code", &a.ErrorCode); err != nil {
		return Answer{}, err
	}
	if err := optional(raw.ErrorInfo, "error_info", &a.ErrorInfo); err != nil {
		return Answer{}, err
	}
	if err := optional(raw.Then, "then", &a.Then); err != nil {
		return Answer{}, err
	}
	return a, nil
}

// optional decodes a field that may be absent or null.
func optional[T any](raw *json.RawMessage, name string, dst *T) error {
	if raw == nil || string(*raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(*raw, dst); err != nil {
		var zero T
		return fmt.Errorf("the answer's %q is %s, want %T", name, textcut.Cut(string(*raw), 40), zero)
	}
	return nil
}
