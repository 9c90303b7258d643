package mockserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Callbacks are what Desk and IM POST to the app's backend (the bot):
// Desk.SessionEventNotify for every event of a Desk session, and the
// chatbot callbacks Bot.OnC2CMessage and Bot.OnGroupMessage. deskmock
// sends them as the vendor does (desk_callbacks.md, §7 of the chatbot
// notes); what the vendor leaves unsaid is marked inferred.

// The callback commands deskmock sends.
const (
	CommandDeskEvent       = "Desk.SessionEventNotify"
	CommandBotC2CMessage   = "Bot.OnC2CMessage"
	CommandBotGroupMessage = "Bot.OnGroupMessage"
)

// Defaults of a callback configuration.
const (
	// DefaultCallbackTimeout is the vendor's: IM waits 2 s for the answer.
	DefaultCallbackTimeout = 2 * time.Second
	// DefaultCallbackRetries is how often a failed callback is sent again
	// (inferred: the vendor says Desk retries, not how often).
	DefaultCallbackRetries = 2
	// DefaultCallbackBackoff is the wait before a retry (inferred).
	DefaultCallbackBackoff = 500 * time.Millisecond
	// DefaultOptPlatform is the OptPlatform of a callback: the events
	// deskmock reports come from REST calls or its admin API (inferred).
	DefaultOptPlatform = "RESTAPI"
	// DefaultClientIP is the ClientIP of the vendor's example.
	DefaultClientIP = "127.0.0.1"
)

// Bounds of a callback configuration.
const (
	maxCallbackRetries    = 10
	maxCallbackURLBytes   = 2048
	maxCallbackTokenBytes = 256
	maxCallbackEvents     = 100
	maxCallbackTimeout    = time.Minute
	maxCallbackBackoff    = time.Minute
)

// optPlatforms are the vendor's OptPlatform values (desk_callbacks.md §3.3).
var optPlatforms = []string{"RESTAPI", "Web", "Android", "iOS", "IOS", "Windows", "macOS", "Mac", "iPad", "Unknown"}

// Callbacks configures where and how the server sends callbacks: the
// configuration's top-level `callbacks` is every app's default, an app's
// own `callbacks` sets fields over it. Without a URL nothing is sent.
type Callbacks struct {
	// URL receives the callbacks, with the vendor's query string appended.
	URL string `json:"url,omitempty"`
	// Token, when set, signs each callback: Sign=hex(sha256(Token +
	// RequestTime)) and RequestTime are appended to the query. It is never
	// shown: GET /__admin/callbacks writes REDACTED.
	Token string `json:"token,omitempty"`
	// Timeout is how long an answer is awaited; 0 is the vendor's 2 s.
	Timeout Duration `json:"timeout,omitempty"`
	// Retries is how often a callback that timed out, failed or was not
	// answered 200 with JSON is sent again, with the same RequestID; nil is
	// DefaultCallbackRetries (inferred).
	Retries *int `json:"retries,omitempty"`
	// RetryBackoff is the wait before each retry; 0 is
	// DefaultCallbackBackoff (inferred).
	RetryBackoff Duration `json:"retry_backoff,omitempty"`
	// Events are the events sent (Desk's Event names, as configured, or
	// deskmock's; and the commands Bot.OnC2CMessage, Bot.OnGroupMessage);
	// empty sends all.
	Events []string `json:"events,omitempty"`
	// OptPlatform is the query's OptPlatform; "" is RESTAPI (inferred).
	OptPlatform string `json:"opt_platform,omitempty"`
	// ClientIP is the query's ClientIP; "" is 127.0.0.1, the vendor's
	// example.
	ClientIP string `json:"client_ip,omitempty"`
}

// validate checks a callback configuration; errors start with at.
func (c *Callbacks) validate(at string) error {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("%s/url: %q is not an http:// or https:// URL", at, c.URL)
		}
	}
	problems := []struct {
		bad bool
		msg string
	}{
		{len(c.URL) > maxCallbackURLBytes, fmt.Sprintf("url: longer than %d bytes", maxCallbackURLBytes)},
		{len(c.Token) > maxCallbackTokenBytes, fmt.Sprintf("token: longer than %d bytes", maxCallbackTokenBytes)},
		{c.Timeout < 0 || time.Duration(c.Timeout) > maxCallbackTimeout, fmt.Sprintf("timeout: not in 0..%s", maxCallbackTimeout)},
		{c.RetryBackoff < 0 || time.Duration(c.RetryBackoff) > maxCallbackBackoff, fmt.Sprintf("retry_backoff: not in 0..%s", maxCallbackBackoff)},
		{c.Retries != nil && (*c.Retries < 0 || *c.Retries > maxCallbackRetries), fmt.Sprintf("retries: not in 0..%d", maxCallbackRetries)},
		{len(c.Events) > maxCallbackEvents, fmt.Sprintf("events: more than %d", maxCallbackEvents)},
		{c.OptPlatform != "" && !slices.Contains(optPlatforms, c.OptPlatform), fmt.Sprintf("opt_platform: %q is none of %s", c.OptPlatform, strings.Join(optPlatforms, ", "))},
		{len(c.ClientIP) > 64, "client_ip: longer than 64 bytes"},
	}
	for _, p := range problems {
		if p.bad {
			return fmt.Errorf("%s/%s", at, p.msg)
		}
	}
	for i, e := range c.Events {
		if e == "" || len(e) > maxEventNameBytes {
			return fmt.Errorf("%s/events/%d: names are 1..%d bytes", at, i, maxEventNameBytes)
		}
	}
	return nil
}

// over returns c with the fields set in app put over it.
func (c Callbacks) over(app *Callbacks) Callbacks {
	if app == nil {
		return c
	}
	out := c
	out.URL, out.Token = cmp.Or(app.URL, c.URL), cmp.Or(app.Token, c.Token)
	out.Timeout, out.RetryBackoff = cmp.Or(app.Timeout, c.Timeout), cmp.Or(app.RetryBackoff, c.RetryBackoff)
	out.OptPlatform, out.ClientIP = cmp.Or(app.OptPlatform, c.OptPlatform), cmp.Or(app.ClientIP, c.ClientIP)
	if app.Retries != nil {
		out.Retries = app.Retries
	}
	if app.Events != nil {
		out.Events = app.Events
	}
	return out
}

// withDefaults returns c with every default filled in.
func (c Callbacks) withDefaults() Callbacks {
	orDefault(&c.Timeout, Duration(DefaultCallbackTimeout))
	orDefault(&c.RetryBackoff, Duration(DefaultCallbackBackoff))
	orDefault(&c.OptPlatform, DefaultOptPlatform)
	orDefault(&c.ClientIP, DefaultClientIP)
	if c.Retries == nil {
		n := DefaultCallbackRetries
		c.Retries = &n
	}
	return c
}

// redacted returns c with its token replaced by REDACTED.
func (c Callbacks) redacted() Callbacks {
	if c.Token != "" {
		c.Token = tokenPlaceholder
	}
	return c
}

// tokenPlaceholder stands for a token GET /__admin/callbacks does not
// show; PUT with it keeps the token in force.
const tokenPlaceholder = "REDACTED"

// own returns a copy of c that shares no memory with what it was decoded
// from.
func (c Callbacks) own() Callbacks {
	c.URL, c.Token = strings.Clone(c.URL), strings.Clone(c.Token)
	c.OptPlatform, c.ClientIP = strings.Clone(c.OptPlatform), strings.Clone(c.ClientIP)
	if c.Retries != nil {
		n := *c.Retries
		c.Retries = &n
	}
	if c.Events != nil {
		ev := make([]string, len(c.Events))
		for i, e := range c.Events {
			ev[i] = strings.Clone(e)
		}
		c.Events = ev
	}
	return c
}

// sends reports whether the configuration sends an event (or command).
func (c *Callbacks) sends(names ...string) bool {
	if c.URL == "" {
		return false
	}
	if len(c.Events) == 0 {
		return true
	}
	for _, n := range names {
		if n != "" && slices.Contains(c.Events, n) {
			return true
		}
	}
	return false
}

// CallbackSign returns the Sign of a callback: the hexadecimal SHA-256 of
// the token followed by RequestTime in decimal seconds, as the vendor
// states (desk_callbacks.md §3.4).
func CallbackSign(token string, requestTime int64) string {
	sum := sha256.Sum256([]byte(token + strconv.FormatInt(requestTime, 10)))
	return hex.EncodeToString(sum[:])
}

// CallbackQuery is the query string of a callback, as the vendor writes
// it: SdkAppid, CallbackCommand, contenttype=json, ClientIP, OptPlatform,
// RequestID and, with a token, Sign and RequestTime.
func CallbackQuery(sdkappid uint64, command, clientIP, optPlatform, requestID, token string, requestTime int64) string {
	sign := ""
	if token != "" {
		sign = CallbackSign(token, requestTime)
	}
	return callbackQuery(sdkappid, command, clientIP, optPlatform, requestID, sign, requestTime)
}

// callbackQuery is CallbackQuery with the Sign given: "" leaves Sign and
// RequestTime out.
func callbackQuery(sdkappid uint64, command, clientIP, optPlatform, requestID, sign string, requestTime int64) string {
	var b strings.Builder
	b.WriteString("SdkAppid=" + strconv.FormatUint(sdkappid, 10))
	b.WriteString("&CallbackCommand=" + url.QueryEscape(command))
	b.WriteString("&contenttype=json")
	b.WriteString("&ClientIP=" + url.QueryEscape(clientIP))
	b.WriteString("&OptPlatform=" + url.QueryEscape(optPlatform))
	b.WriteString("&RequestID=" + url.QueryEscape(requestID))
	if sign != "" {
		b.WriteString("&Sign=" + sign)
		b.WriteString("&RequestTime=" + strconv.FormatInt(requestTime, 10))
	}
	return b.String()
}

// callbackURL joins the configured URL and a callback's query.
func callbackURL(base, query string) string {
	if strings.Contains(base, "?") {
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			return base + query
		}
		return base + "&" + query
	}
	return base + "?" + query
}

// VerifyCallback checks a callback's query as a bot should: SdkAppid is
// sdkappid, and with a token, Sign matches RequestTime, which is within
// window of now. It returns why a check failed, or nil.
func VerifyCallback(query url.Values, sdkappid uint64, token string, now time.Time, window time.Duration) error {
	if query.Get("SdkAppid") != strconv.FormatUint(sdkappid, 10) {
		return fmt.Errorf("SdkAppid %q is not %d", query.Get("SdkAppid"), sdkappid)
	}
	if token == "" {
		return nil
	}
	rt, err := strconv.ParseInt(query.Get("RequestTime"), 10, 64)
	if err != nil {
		return errors.New("RequestTime is missing or not a number")
	}
	if query.Get("Sign") != CallbackSign(token, rt) {
		return errors.New("Sign does not match the token and RequestTime")
	}
	if d := now.Sub(time.Unix(rt, 0)); d > window || d < -window {
		return fmt.Errorf("RequestTime %d is %s from now, more than %s", rt, d.Round(time.Second), window)
	}
	return nil
}

// calloutTap is what a Desk session hands its events through: its ID and
// the callbacks (nil: none).
type calloutTap struct {
	id   string
	sink *callbacks
}

// calloutMsg is what a message event's callback tells of the message: its
// MsgKey (a stream's, or one made up for the callback when empty), its
// MsgBody as JSON (empty for a stream: the stream's text when sent) and
// CloudCustomData. A rating's stars come with its event.
type calloutMsg struct {
	key, body, cloudData string
}

// noted hands an event of a Desk session to the callbacks; the life's
// lock is held, so it only queues.
func (t calloutTap) noted(s *deskSession, ev DeskEvent) {
	if t.sink == nil {
		return
	}
	n := deskNotify{
		CallbackCommand:   CommandDeskEvent,
		SessionID:         t.id,
		Event:             ev.Event,
		EventTime:         ev.Time.UnixMilli(),
		ChannelType:       s.channel,
		ClientUserID:      s.user,
		CustomerServiceID: s.cs,
		AgentID:           cmp.Or(ev.AgentID, s.agent),
	}
	if ev.Satisfaction > 0 {
		n.SatisfactionSelected = &ev.Satisfaction
	} else if m := s.saying; m != nil {
		n.MsgKey, n.CloudCustomData = m.key, &m.cloudData
		if m.body != "" {
			n.MsgBody = []byte(m.body)
		} else {
			n.streamKey = m.key
		}
	}
	t.sink.deskEvent(n)
}

// deskNotify is the body of Desk.SessionEventNotify (desk_callbacks.md
// §1.3), in the order of the vendor's sample. Every event carries the
// session's fields; MsgKey, MsgBody and CloudCustomData only a message's
// (inferred: the page's table of fields per event could not be read).
type deskNotify struct {
	CallbackCommand      string    `json:"CallbackCommand"`
	SessionID            string    `json:"SessionId"`
	Event                string    `json:"Event"`
	EventTime            int64     `json:"EventTime"`
	ChannelType          string    `json:"ChannelType"`
	ClientUserID         string    `json:"ClientUserId"`
	CustomerServiceID    string    `json:"CustomerServiceId"`
	AgentID              string    `json:"AgentId"`
	MsgKey               string    `json:"MsgKey,omitempty"`
	MsgBody              rawJSON   `json:"MsgBody,omitempty"`
	CloudCustomData      *string   `json:"CloudCustomData,omitempty"`
	IsContactUser        bool      `json:"IsContactUser"`
	SatisfactionSelected *int      `json:"SatisfactionSelected,omitempty"`
	streamKey            string    // a stream's MsgKey: MsgBody is its text when sent
	names                [2]string // the event's names: as sent, and deskmock's
}

// rawJSON is JSON text written as it is.
type rawJSON []byte

// MarshalJSON returns the text itself.
func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// size is what the body counts against the queue's and journal's bytes.
func (n *deskNotify) size() int {
	return 256 + len(n.SessionID) + len(n.Event) + len(n.ChannelType) + len(n.ClientUserID) + len(n.CustomerServiceID) +
		len(n.AgentID) + len(n.MsgKey) + len(n.MsgBody) + len(n.streamKey) + len(n.names[1])
}

// botC2C is the body of Bot.OnC2CMessage (§7.1 of the chatbot notes).
type botC2C struct {
	CallbackCommand string  `json:"CallbackCommand"`
	From            string  `json:"From_Account"`
	To              string  `json:"To_Account"`
	MsgSeq          uint32  `json:"MsgSeq"`
	MsgRandom       uint32  `json:"MsgRandom"`
	MsgTime         int64   `json:"MsgTime"`
	MsgKey          string  `json:"MsgKey"`
	OnlineOnlyFlag  int     `json:"OnlineOnlyFlag"`
	SendMsgResult   int     `json:"SendMsgResult"`
	ErrorInfo       string  `json:"ErrorInfo"`
	MsgBody         rawJSON `json:"MsgBody"`
	CloudCustomData string  `json:"CloudCustomData"`
	EventTime       int64   `json:"EventTime"`
}

// botGroup is the body of Bot.OnGroupMessage (§7.2 of the chatbot notes).
type botGroup struct {
	CallbackCommand string   `json:"CallbackCommand"`
	GroupID         string   `json:"GroupId"`
	Type            string   `json:"Type"`
	From            string   `json:"From_Account"`
	Operator        string   `json:"Operator_Account"`
	Random          uint32   `json:"Random"`
	MsgSeq          uint32   `json:"MsgSeq"`
	MsgTime         int64    `json:"MsgTime"`
	OnlineOnlyFlag  int      `json:"OnlineOnlyFlag"`
	MsgBody         rawJSON  `json:"MsgBody"`
	AtRobots        []string `json:"AtRobots_Account"`
	CloudCustomData string   `json:"CloudCustomData"`
	EventTime       int64    `json:"EventTime"`
}
