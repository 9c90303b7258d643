// Package schemas holds deskmock's JSON Schemas (draft 2020-12) and compiles
// each of them once, on first use.
//
// The schemas are registered under the fixed base URL mem://deskmock/, so
// relative references never depend on the working directory.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Base is the URL under which every schema is registered.
const Base = "mem://deskmock/"

// File names of the schemas, as embedded.
const (
	// RequestFile describes a send_stream_msg request body.
	RequestFile = "request.schema.json"
	// RequestV2File describes a send_stream_msg_v2 request body.
	RequestV2File = "request-v2.schema.json"
	// RequestC2CFile describes a send_c2c_stream_msg request body.
	RequestC2CFile = "request-c2c.schema.json"
	// RequestGroupFile describes a send_group_stream_msg request body.
	RequestGroupFile = "request-group.schema.json"
	// RequestChatbotFile describes an openim_robot_http_svc/send_stream_msg
	// request body.
	RequestChatbotFile = "request-chatbot.schema.json"
	// RequestCreateRobotFile describes a create_robot request body.
	RequestCreateRobotFile = "request-create-robot.schema.json"
	// RequestDeleteRobotFile describes a delete_robot request body.
	RequestDeleteRobotFile = "request-delete-robot.schema.json"
	// RequestGetAllRobotsFile describes a get_all_robots request body.
	RequestGetAllRobotsFile = "request-get-all-robots.schema.json"
	// Request bodies of Desk's endpoints around a stream.
	RequestTransferFile     = "request-transfer-to-human.schema.json"
	RequestEndSessionFile   = "request-end-session.schema.json"
	RequestEndQueuingFile   = "request-end-queuing.schema.json"
	RequestSessionStateFile = "request-get-session-state.schema.json"
	RequestSendMsgFile      = "request-send-msg.schema.json"
	RequestChatMessagesFile = "request-describe-chat-messages.schema.json"
	RequestCDRListFile      = "request-describe-im-cdr-list.schema.json"
	// StreamChunksFile describes the Chunks of a TIMStreamElem, which the
	// v2, C2C and group request schemas refer to.
	StreamChunksFile = "stream-chunks.schema.json"
	// ReplyOKFile describes a success reply.
	ReplyOKFile = "reply-ok.schema.json"
	// ReplyErrorFile describes an error reply.
	ReplyErrorFile = "reply-error.schema.json"
	// QueryFile describes the query string, as an object of its single values.
	QueryFile = "query.schema.json"
	// ConfigFile describes the configuration file.
	ConfigFile = "config.schema.json"
	// ScenarioFile describes a scenario file.
	ScenarioFile = "scenario.schema.json"
)

//go:embed *.schema.json
var files embed.FS

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// Names lists the embedded schema files.
func Names() []string {
	return []string{RequestFile, RequestV2File, RequestC2CFile, RequestGroupFile, RequestChatbotFile,
		RequestCreateRobotFile, RequestDeleteRobotFile, RequestGetAllRobotsFile, StreamChunksFile,
		RequestTransferFile, RequestEndSessionFile, RequestEndQueuingFile, RequestSessionStateFile,
		RequestSendMsgFile, RequestChatMessagesFile, RequestCDRListFile, ReplyOKFile, ReplyErrorFile, QueryFile, ConfigFile, ScenarioFile}
}

// Source returns the text of an embedded schema file.
func Source(name string) ([]byte, error) {
	return files.ReadFile(name)
}

func compileAll() {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	for _, name := range Names() {
		src, err := files.ReadFile(name)
		if err != nil {
			compileErr = fmt.Errorf("schemas: %w", err)
			return
		}
		if err := c.AddResource(Base+name, bytes.NewReader(src)); err != nil {
			compileErr = fmt.Errorf("schemas: %s: %w", name, err)
			return
		}
	}
	compiled = make(map[string]*jsonschema.Schema, len(Names()))
	for _, name := range Names() {
		s, err := c.Compile(Base + name)
		if err != nil {
			compileErr = fmt.Errorf("schemas: %s: %w", name, err)
			return
		}
		compiled[name] = s
	}
}

// Get returns the compiled schema of an embedded file. The schemas are
// compiled together on the first call; an error means an embedded schema is
// broken.
func Get(name string) (*jsonschema.Schema, error) {
	compileOnce.Do(compileAll)
	if compileErr != nil {
		return nil, compileErr
	}
	s, ok := compiled[name]
	if !ok {
		return nil, fmt.Errorf("schemas: no schema %q", name)
	}
	return s, nil
}

// Must returns the compiled schema of an embedded file and panics if it
// cannot; the embedded schemas are tested, so a panic means a broken build.
func Must(name string) *jsonschema.Schema {
	s, err := Get(name)
	if err != nil {
		panic(err)
	}
	return s
}

// Problem is one leaf error of a validation: where in the document, and what.
type Problem struct {
	// Location is the JSON pointer of the value at fault; "" for the root.
	Location string
	// Message says what is wrong with it.
	Message string
}

// Problems flattens a validation error into its leaf errors, sorted by
// location and without repeats. An error that is not a validation error
// gives one Problem at the root with the error's text.
func Problems(err error) []Problem {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Message: err.Error()}}
	}
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Problem{Location: e.InstanceLocation, Message: e.Message})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Location != out[j].Location {
			return out[i].Location < out[j].Location
		}
		return out[i].Message < out[j].Message
	})
	return slices.Compact(out)
}

// Describe writes the problems of a validation error as
// "location: message" joined by sep, naming the root as root.
func Describe(err error, root, sep string) string {
	var parts []string
	for _, p := range Problems(err) {
		loc := p.Location
		if loc == "" {
			loc = root
		}
		parts = append(parts, loc+": "+p.Message)
	}
	return strings.Join(parts, sep)
}
