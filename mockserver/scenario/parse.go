package scenario

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deskmock/deskmock/internal/yamlline"
	"github.com/deskmock/deskmock/schemas"
)

// Error is why a scenario file was refused: the file, the line (0 when the
// fault is the whole file), the field's path (such as steps/2/after) and
// what is wrong.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

// Error writes "scenario FILE: line N: PATH: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scenario " + e.File + ": ")
	if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1)) // one byte past the limit at most
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return Parse(path, b)
}

// Parse reads and validates a scenario from its text, YAML or JSON; name
// names it in errors and is its name when the file gives none. The error
// is an *Error.
func Parse(name string, b []byte) (*Scenario, error) {
	p := &parser{file: name}
	if len(b) > MaxBytes {
		return nil, p.fail(nil, "", "more than %d bytes, the most a scenario may have", MaxBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		msg := yamlline.Error(b, err).Error()
		line := 0
		if m := yamlAt.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, &Error{File: name, Line: line, Msg: "not valid YAML: " + msg}
	}
	if len(doc.Content) == 0 {
		return nil, p.fail(nil, "", "empty: a scenario has sessions and steps")
	}
	sc, err := p.scenario(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if sc.Name == "" {
		sc.Name = filepath.Base(name)
	}
	return sc, nil
}

// yamlAt splits the error of yamlline.Error into its line and message.
var yamlAt = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parser walks a scenario's YAML nodes, refusing what the schema refuses
// and what it cannot say (order, references, bounds of durations).
type parser struct {
	file string
}

// fail returns an *Error at a node (nil: the whole file).
func (p *parser) fail(n *yaml.Node, path, format string, args ...any) error {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// mapping returns the keys of a mapping node and their values, refusing
// another kind of node, a key given twice and a key not in allowed. A null
// value is an empty mapping when nullOK.
func (p *parser) mapping(n *yaml.Node, path string, nullOK bool, allowed ...string) (map[string]*yaml.Node, error) {
	if err := p.plain(n, path); err != nil {
		return nil, err
	}
	if nullOK && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return map[string]*yaml.Node{}, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, path, "%s where a mapping of %s is expected", kindOf(n), strings.Join(allowed, ", "))
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := p.plain(k, path); err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return nil, p.fail(k, path, "a key must be a string")
		}
		switch {
		case len(allowed) == 0:
			return nil, p.fail(k, path, "takes nothing: leave it empty")
		case !slices.Contains(allowed, k.Value):
			return nil, p.fail(k, join(path, k.Value), "unknown key%s; the keys here are %s", closest(k.Value, allowed), strings.Join(allowed, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.fail(k, join(path, k.Value), "given twice")
		}
		out[k.Value] = v
	}
	return out, nil
}

// plain refuses anchors and aliases, which a scenario has no use for and
// which could make a small file stand for a large one.
func (p *parser) plain(n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return p.fail(n, path, "anchors and aliases (& and *) are not read in a scenario")
	}
	return nil
}

// closest suggests the allowed keys closest to an unknown one, or "".
func closest(key string, allowed []string) string {
	best := schemas.Closest(key, allowed)
	if len(best) == 0 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", strings.Join(best, `" or "`))
}

// kindOf words a node's kind for an error.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the text %s", quoteCut(n.Value))
	case "!!int", "!!float":
		return "the number " + quoteCut(n.Value)
	case "!!bool":
		return n.Value
	}
	return "a " + strings.TrimPrefix(n.Tag, "!!")
}

// quoteCut quotes a value for an error, cut to 40 bytes.
func quoteCut(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// join appends a key or an index to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
}

// str reads a string of 1..max bytes.
func (p *parser) str(n *yaml.Node, path string, max int) (string, error) {
	if err := p.plain(n, path); err != nil {
		return "", err
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", p.fail(n, path, "%s where a string is expected (quote it)", kindOf(n))
	}
	if n.Value == "" || len(n.Value) > max {
		return "", p.fail(n, path, "%d bytes: give 1 to %d", len(n.Value), max)
	}
	return n.Value, nil
}

// integer reads a whole number in [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int) (int, error) {
	if err := p.plain(n, path); err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v < lo || v > hi {
		return 0, p.fail(n, path, "%s where a whole number from %d to %d is expected", kindOf(n), lo, hi)
	}
	return v, nil
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, error) {
	if err := p.plain(n, path); err != nil {
		return false, err
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, p.fail(n, path, "%s where true or false is expected", kindOf(n))
	}
	return n.Value == "true", nil
}

// durationForm is the schema's pattern of a duration: Go's form, no sign.
var durationForm = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)

// duration reads a Go duration such as "1.5s", at most max.
func (p *parser) duration(n *yaml.Node, path string, max time.Duration) (time.Duration, error) {
	if err := p.plain(n, path); err != nil {
		return 0, err
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || !durationForm.MatchString(n.Value) {
		return 0, p.fail(n, path, "%s where a duration such as \"1.5s\" or \"500ms\" is expected", kindOf(n))
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d > max {
		return 0, p.fail(n, path, "%s is longer than %s, the most it may be", n.Value, max)
	}
	return d, nil
}

// list reads a list of at most max items.
func (p *parser) list(n *yaml.Node, path string, lo, max int) ([]*yaml.Node, error) {
	if err := p.plain(n, path); err != nil {
		return nil, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.fail(n, path, "%s where a list is expected", kindOf(n))
	}
	if len(n.Content) < lo || len(n.Content) > max {
		return nil, p.fail(n, path, "%d items: give %d to %d", len(n.Content), lo, max)
	}
	return n.Content, nil
}

// sessionName is the form of a session's name.
var sessionName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func (p *parser) scenario(root *yaml.Node) (*Scenario, error) {
	top, err := p.mapping(root, "", false, "name", "sessions", "steps")
	if err != nil {
		return nil, err
	}
	sc := &Scenario{}
	if n, ok := top["name"]; ok {
		if sc.Name, err = p.str(n, "name", maxNameBytes); err != nil {
			return nil, err
		}
	}
	for _, key := range []string{"sessions", "steps"} {
		if _, ok := top[key]; !ok {
			return nil, p.fail(root, "", "missing key %q", key)
		}
	}
	if err := p.sessions(top["sessions"], sc); err != nil {
		return nil, err
	}
	if err := p.steps(top["steps"], sc); err != nil {
		return nil, err
	}
	return sc, nil
}

func (p *parser) sessions(n *yaml.Node, sc *Scenario) error {
	items, err := p.list(n, "sessions", 1, MaxSessions)
	if err != nil {
		return err
	}
	names, ids := map[string]bool{}, map[string]bool{}
	for i, item := range items {
		path := "sessions/" + strconv.Itoa(i)
		m, err := p.mapping(item, path, false, "name", "id", "user", "customer_service", "channel")
		if err != nil {
			return err
		}
		var s Session
		for _, f := range []struct {
			key string
			to  *string
			max int
		}{{"name", &s.Name, maxNameBytes}, {"id", &s.ID, 36}, {"user", &s.User, MaxAccountBytes},
			{"customer_service", &s.CustomerService, MaxAccountBytes}, {"channel", &s.Channel, MaxAccountBytes}} {
			if v, ok := m[f.key]; ok {
				if *f.to, err = p.str(v, join(path, f.key), f.max); err != nil {
					return err
				}
			}
		}
		switch {
		case s.User == "":
			return p.fail(item, path, "missing key \"user\" (the user's ClientUserId)")
		case s.Name == "" && len(items) > 1:
			return p.fail(item, path, "missing key \"name\": steps name the session they act on when there are several")
		case s.Name != "" && !sessionName.MatchString(s.Name):
			return p.fail(m["name"], join(path, "name"), "%s: letters, digits, '_', '.' and '-' only", quoteCut(s.Name))
		case s.ID != "" && !validSessionID(s.ID):
			return p.fail(m["id"], join(path, "id"), "%s is not a SessionId (a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427); leave it out for a new one each play", quoteCut(s.ID))
		case names[s.Name]:
			return p.fail(m["name"], join(path, "name"), "%q names another session too", s.Name)
		case s.ID != "" && ids[strings.ToLower(s.ID)]:
			return p.fail(m["id"], join(path, "id"), "another session has this id too")
		}
		if s.Name == "" {
			s.Name = "main"
		}
		names[s.Name], ids[strings.ToLower(s.ID)] = true, s.ID != ""
		sc.Sessions = append(sc.Sessions, s)
	}
	return nil
}

// validSessionID reports whether id is a UUID as 8-4-4-4-12 hexadecimal
// digits, the server's form of a SessionId.
func validSessionID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stepKeys are the keys a step may have: when, on which session, and one
// action.
var stepKeys = append([]string{"at", "after", "session"}, actionNames()...)

func actionNames() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}

func (p *parser) steps(n *yaml.Node, sc *Scenario) error {
	items, err := p.list(n, "steps", 1, MaxSteps)
	if err != nil {
		return err
	}
	var planned time.Duration // the step's time from the start, waits counted as nothing
	for i, item := range items {
		path := "steps/" + strconv.Itoa(i)
		m, err := p.mapping(item, path, false, stepKeys...)
		if err != nil {
			return err
		}
		st := Step{Line: item.Line}
		if err := p.when(m, path, &st, &planned); err != nil {
			return err
		}
		if st.Session, err = p.stepSession(item, m, path, sc); err != nil {
			return err
		}
		var found []string
		for _, a := range actions {
			if v, ok := m[string(a)]; ok {
				found = append(found, string(a))
				st.Action = a
				if err := p.action(v, join(path, string(a)), &st); err != nil {
					return err
				}
			}
		}
		switch len(found) {
		case 0:
			return p.fail(item, path, "no action: a step has one of %s", strings.Join(actionNames(), ", "))
		case 1:
		default:
			return p.fail(item, path, "%s: a step has one action, not %d", strings.Join(found, " and "), len(found))
		}
		sc.Steps = append(sc.Steps, st)
	}
	return nil
}

// when reads a step's at or after, and checks it comes no earlier than
// the step before it.
func (p *parser) when(m map[string]*yaml.Node, path string, st *Step, planned *time.Duration) error {
	at, hasAt := m["at"]
	after, hasAfter := m["after"]
	var err error
	switch {
	case hasAt && hasAfter:
		return p.fail(at, path, "at and after: a step has one of them, or neither (right after the step before)")
	case hasAt:
		if st.At, err = p.duration(at, join(path, "at"), MaxDelay); err != nil {
			return err
		}
		if st.At < *planned {
			return p.fail(at, join(path, "at"), "%s is before the step before it (at %s): steps are in the order they are played", st.At, *planned)
		}
		st.HasAt, *planned = true, st.At
	case hasAfter:
		if st.After, err = p.duration(after, join(path, "after"), MaxDelay); err != nil {
			return err
		}
		*planned += st.After
	}
	return nil
}

// stepSession resolves a step's session: named, or the only one.
func (p *parser) stepSession(item *yaml.Node, m map[string]*yaml.Node, path string, sc *Scenario) (int, error) {
	n, ok := m["session"]
	if !ok {
		if len(sc.Sessions) > 1 {
			return 0, p.fail(item, path, "missing key \"session\": the scenario has %d sessions", len(sc.Sessions))
		}
		return 0, nil
	}
	name, err := p.str(n, join(path, "session"), maxNameBytes)
	if err != nil {
		return 0, err
	}
	for i, s := range sc.Sessions {
		if s.Name == name {
			return i, nil
		}
	}
	return 0, p.fail(n, join(path, "session"), "no session is named %s", quoteCut(name))
}

// action reads an action's argument.
func (p *parser) action(v *yaml.Node, path string, st *Step) error {
	var err error
	switch st.Action {
	case Begin, AgentEnd, End, Silent:
		_, err = p.mapping(v, path, true)
	case User, Agent:
		st.Text, err = p.str(v, path, MaxTextBytes)
	case Rate:
		st.Stars, err = p.integer(v, path, 1, 5)
	case Accept:
		var m map[string]*yaml.Node
		if m, err = p.mapping(v, path, true, "agent"); err == nil && m["agent"] != nil {
			st.AgentID, err = p.str(m["agent"], join(path, "agent"), MaxAccountBytes)
		}
	case Transfer:
		st.Transfer, err = p.transfer(v, path)
	case WaitFor:
		st.Wait, err = p.wait(v, path)
	}
	return err
}

func (p *parser) transfer(v *yaml.Node, path string) (*TransferOptions, error) {
	m, err := p.mapping(v, path, true, "agent_ids", "agent_group_id", "check_working_hours",
		"end_session_when_no_member_online", "disable_queuing", "allow_assign_busy_member",
		"send_tip_if_no_agent_online", "send_prompt_not_during_working_hours", "priority", "queue_timeout")
	if err != nil {
		return nil, err
	}
	t := &TransferOptions{}
	if n, ok := m["priority"]; ok {
		if t.Priority, err = p.integer(n, join(path, "priority"), 0, 9); err != nil {
			return nil, err
		}
	}
	if n, ok := m["queue_timeout"]; ok {
		if t.QueueTimeout, err = p.duration(n, join(path, "queue_timeout"), MaxQueueTimeout); err != nil {
			return nil, err
		}
	}
	if n, ok := m["agent_ids"]; ok {
		items, err := p.list(n, join(path, "agent_ids"), 1, MaxAgentIDs)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			id, err := p.str(it, join(path, "agent_ids/"+strconv.Itoa(i)), MaxAccountBytes)
			if err != nil {
				return nil, err
			}
			t.AgentIDs = append(t.AgentIDs, id)
		}
	}
	if n, ok := m["agent_group_id"]; ok {
		g, err := p.integer(n, join(path, "agent_group_id"), 0, 1<<31-1)
		if err != nil {
			return nil, err
		}
		t.AgentGroupID = &g
	}
	for _, f := range []struct {
		key string
		to  *bool
	}{{"check_working_hours", &t.CheckWorkingHours}, {"end_session_when_no_member_online", &t.EndSessionWhenNoMemberOnline},
		{"disable_queuing", &t.DisableQueuing}, {"allow_assign_busy_member", &t.AllowAssignBusyMember},
		{"send_tip_if_no_agent_online", &t.SendTipIfNoAgentOnline},
		{"send_prompt_not_during_working_hours", &t.SendPromptNotDuringWorkingHours}} {
		if n, ok := m[f.key]; ok {
			if *f.to, err = p.boolean(n, join(path, f.key)); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

func (p *parser) wait(v *yaml.Node, path string) (*Wait, error) {
	m, err := p.mapping(v, path, false, "reply", "state", "timeout")
	if err != nil {
		return nil, err
	}
	w := &Wait{Timeout: DefaultWait}
	reply, hasReply := m["reply"]
	state, hasState := m["state"]
	switch {
	case hasReply == hasState:
		return nil, p.fail(v, path, "give reply: true (the bot's finished answer) or a state, one of them")
	case hasReply:
		if w.Reply, err = p.boolean(reply, join(path, "reply")); err != nil {
			return nil, err
		}
		if !w.Reply {
			return nil, p.fail(reply, join(path, "reply"), "false: give reply: true, or leave the wait out")
		}
	default:
		if w.State, err = p.str(state, join(path, "state"), 64); err != nil {
			return nil, err
		}
		if !slices.Contains(States, w.State) {
			return nil, p.fail(state, join(path, "state"), "%s is not a state; the states are %s", quoteCut(w.State), strings.Join(States, ", "))
		}
	}
	if n, ok := m["timeout"]; ok {
		if w.Timeout, err = p.duration(n, join(path, "timeout"), MaxWait); err != nil {
			return nil, err
		}
		if w.Timeout == 0 {
			return nil, p.fail(n, join(path, "timeout"), "0: a wait needs time")
		}
	}
	return w, nil
}
