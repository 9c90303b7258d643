package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Bounds of the callbacks waiting to be sent: past either a new callback
// is dropped, and counted (CallbackStatus.Dropped). A request never waits
// for the bot.
const (
	maxCalloutsQueued     = 10_000
	maxCalloutQueuedBytes = 16 << 20
	// calloutSenders bounds the callbacks in flight at once, each of its
	// own conversation (a conversation's go one at a time, in order).
	calloutSenders = 32
	// maxCallbackAnswerBytes is how much of an answer is read and kept.
	maxCallbackAnswerBytes = 4 << 10
	// swapWait is how long a callback held to be swapped with the next of
	// its conversation waits for one; then it goes alone.
	swapWait = 2 * time.Second
)

// Outcomes of a callback, as the journal records them.
const (
	// CallbackOK: answered 200 with {"ActionStatus":"OK","ErrorCode":0}.
	CallbackOK = "ok"
	// CallbackRefused: answered 200 with JSON that is not that success; not
	// retried (inferred).
	CallbackRefused = "refused"
	// CallbackFailed: every attempt timed out, failed, or was answered
	// with another status than 200 or with a body that is not JSON.
	CallbackFailed = "failed"
	// CallbackDropped: the queue was full; never sent.
	CallbackDropped = "dropped"
)

// callout is one callback on its way.
type callout struct {
	seq, gen     uint64
	command      string
	event        string // Desk's Event as sent; "" for the chatbot callbacks
	conversation string // its queue: a SessionId, "c2c:FROM:TO", "group:GROUP:FROM"
	sessionID    string
	sdkappid     uint64
	cfg          Callbacks // defaults filled
	desk         *deskNotify
	body         []byte // the chatbot callbacks' body
	requestID    string
	fault        calloutFault
	queued       time.Time
	size         int
}

// calloutQueue is one conversation's callbacks, sent in order by one
// goroutine at a time.
type calloutQueue struct {
	items   []*callout
	running bool
	wake    chan struct{}
}

// callbacks sends the callbacks: the settings in force, the queues, the
// one HTTP client (keep-alive) and the journal.
type callbacks struct {
	srv    *Server
	client *http.Client
	slots  chan struct{}

	mu          sync.Mutex
	top         Callbacks
	apps        map[uint64]*Callbacks
	queues      map[string]*calloutQueue
	queued      int
	queuedBytes int
	gen         uint64
	// maxQueued and maxQueuedBytes are maxCalloutsQueued and
	// maxCalloutQueuedBytes, but in tests.
	maxQueued, maxQueuedBytes int
	// lateDelay and swapWait are triggerLateDelay and swapWait, but in
	// tests.
	lateDelay, swapWait time.Duration

	seq                                atomic.Uint64
	inFlight                           atomic.Int64
	sent, ok, failed, refused, dropped atomic.Uint64

	log *calloutJournal
}

func newCallbacks(s *Server) *callbacks {
	c := &callbacks{
		srv:   s,
		slots: make(chan struct{}, calloutSenders),
		client: &http.Client{
			Transport: &http.Transport{
				Proxy:               nil, // a callback goes where it is configured to
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConns:        128,
				MaxIdleConnsPerHost: calloutSenders,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: 5 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:       newCalloutJournal(),
		maxQueued: maxCalloutsQueued, maxQueuedBytes: maxCalloutQueuedBytes, lateDelay: triggerLateDelay, swapWait: swapWait,
	}
	c.settle()
	return c
}

// settle puts the settings back as configured; c.mu is held or c is new.
func (c *callbacks) settle() {
	c.top = c.srv.cfg.Callbacks.own()
	c.apps = map[uint64]*Callbacks{}
	for _, a := range c.srv.cfg.Apps {
		if a.Callbacks != nil {
			own := a.Callbacks.own()
			c.apps[a.SDKAppID] = &own
		}
	}
	c.queues, c.queued, c.queuedBytes = map[string]*calloutQueue{}, 0, 0
}

// reset forgets the queued callbacks (those being sent finish unjournaled),
// the journal, the counts and any change of the settings.
func (c *callbacks) reset() {
	c.mu.Lock()
	c.gen++
	c.settle()
	c.mu.Unlock()
	for _, n := range []*atomic.Uint64{&c.seq, &c.sent, &c.ok, &c.failed, &c.refused, &c.dropped} {
		n.Store(0)
	}
	c.log.clear()
}

// settings returns the callbacks in force for an app, defaults filled.
func (c *callbacks) settings(sdkappid uint64) Callbacks {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.top.over(c.apps[sdkappid]).withDefaults()
}

// deskApp is the app whose callbacks a Desk session's events go to: the
// first Desk app of the configuration (inferred: deskmock's sessions
// belong to no app).
func (s *Server) deskApp() uint64 {
	for _, a := range s.cfg.Apps {
		if a.IsDesk() {
			return a.SDKAppID
		}
	}
	return s.cfg.Apps[0].SDKAppID
}

// deskEvent queues the callback of a Desk session's event; the life's
// lock is held. n's strings and pointers may be the caller's: they are
// copied.
func (c *callbacks) deskEvent(n deskNotify) {
	app := c.srv.deskApp()
	cfg := c.settings(app)
	own := n.Event
	if name, ok := c.srv.cfg.Desk.EventNames[n.Event]; ok {
		n.Event = name
	}
	if !cfg.sends(n.Event, own) {
		return
	}
	n.names = [2]string{n.Event, own}
	for _, p := range []*string{&n.SessionID, &n.ChannelType, &n.ClientUserID, &n.CustomerServiceID, &n.AgentID, &n.MsgKey, &n.streamKey} {
		*p = strings.Clone(*p)
	}
	n.MsgBody = bytes.Clone(n.MsgBody)
	if n.CloudCustomData != nil {
		v := strings.Clone(*n.CloudCustomData)
		n.CloudCustomData = &v
	}
	if n.SatisfactionSelected != nil {
		v := *n.SatisfactionSelected
		n.SatisfactionSelected = &v
	}
	if n.MsgBody != nil && n.MsgKey == "" {
		n.MsgKey = c.msgKey(n.EventTime / 1000)
	}
	c.enqueue(&callout{command: CommandDeskEvent, event: n.Event, conversation: n.SessionID, sessionID: n.SessionID,
		sdkappid: app, cfg: cfg, desk: &n, size: n.size()}, n.ClientUserID)
}

// msgKey makes up a MsgKey shaped like the vendor's (sequence, unix
// seconds, random hexadecimal digits) for a message that has none.
func (c *callbacks) msgKey(unix int64) string {
	return strconv.FormatUint(c.seq.Load()+1, 10) + "_" + strconv.FormatInt(unix, 10) + "_" + strconv.FormatUint(rand.Uint64()|1<<63, 16)
}

// enqueue numbers a callback, applies the fault rules and triggers (user
// names the trigger's account), and queues it behind its conversation's;
// a callback past the queue's bounds is dropped and counted.
func (c *callbacks) enqueue(it *callout, user string) {
	it.seq = c.seq.Add(1)
	it.queued = c.srv.now()
	it.requestID = strconv.FormatUint(rand.Uint64()|1<<63, 16) + "-" + strconv.FormatUint(it.seq, 10)
	it.fault = c.srv.calloutFault(it, user)
	c.mu.Lock()
	it.gen = c.gen
	if c.queued+1 > c.maxQueued || c.queuedBytes+it.size > c.maxQueuedBytes {
		c.mu.Unlock()
		c.dropped.Add(1)
		c.record(it, c.entry(it, "", nil), CallbackDropped)
		return
	}
	q := c.queues[it.conversation]
	if q == nil {
		q = &calloutQueue{wake: make(chan struct{}, 1)}
		c.queues[it.conversation] = q
	}
	q.items = append(q.items, it)
	c.queued++
	c.queuedBytes += it.size
	start := !q.running
	q.running = true
	c.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	if start {
		go c.work(it.conversation, q)
	}
}

// work sends a conversation's callbacks in order until none is left.
func (c *callbacks) work(conv string, q *calloutQueue) {
	waited := false
	for {
		c.mu.Lock()
		if c.queues[conv] != q || len(q.items) == 0 { // reset, or done
			q.running = false
			if c.queues[conv] == q {
				delete(c.queues, conv)
			}
			c.mu.Unlock()
			return
		}
		it := q.items[0]
		swap := it.fault.swap && !it.fault.swapped
		if swap && !waited && len(q.items) == 1 {
			c.mu.Unlock()
			select { // wait for the next callback of the conversation
			case <-q.wake:
			case <-time.After(c.swapWait):
				waited = true
			}
			continue
		}
		if swap && len(q.items) > 1 {
			q.items[0], q.items[1] = q.items[1], it
			it.fault.swapped = true
			it = q.items[0]
		}
		waited = false
		q.items = q.items[1:]
		c.queued--
		c.queuedBytes -= it.size
		c.inFlight.Add(1)
		c.mu.Unlock()
		c.slots <- struct{}{}
		c.deliver(it)
		<-c.slots
		c.inFlight.Add(-1)
	}
}

// deliver sends one callback: late, forged, retried, twice, as its fault
// says; and journals each delivery.
func (c *callbacks) deliver(it *callout) {
	if it.fault.delay > 0 {
		time.Sleep(it.fault.delay)
	}
	body := it.body
	if it.desk != nil {
		n := *it.desk
		if n.streamKey != "" {
			st, _ := c.srv.streams.get(n.streamKey, c.srv.now())
			n.MsgBody = []byte(textBody(st.Text))
		}
		body, _ = json.Marshal(&n) // plain strings and numbers always encode
	}
	appid := it.sdkappid
	if it.fault.wrongApp {
		appid = c.srv.otherApp(appid)
	}
	entry := c.entry(it, string(body), nil)
	entry.SDKAppID = appid
	var target string
	outcome := CallbackFailed
	retries := *it.cfg.Retries
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(it.cfg.RetryBackoff))
		}
		target = c.target(it, appid, &entry)
		a, verdict := c.attempt(it, target, body)
		entry.Attempts = append(entry.Attempts, a)
		if verdict != CallbackFailed {
			outcome = verdict
			break
		}
	}
	entry.URL = redactSign(target)
	c.record(it, entry, outcome)
	if it.fault.twice {
		again := c.entry(it, string(body), nil)
		again.SDKAppID, again.URL, again.Sign, again.Delivery = appid, entry.URL, entry.Sign, 2
		a, verdict := c.attempt(it, target, body) // the same request again, RequestID, Sign and all
		again.Attempts = []CallbackAttempt{a}
		c.record(it, again, verdict)
	}
}

// otherApp returns the SdkAppid a forged callback names: another app of
// the configuration, or one no app has.
func (s *Server) otherApp(app uint64) uint64 {
	for _, a := range s.cfg.Apps {
		if a.SDKAppID != app {
			return a.SDKAppID
		}
	}
	if app == 4294967295 {
		return 1
	}
	return app + 1
}

// target returns the URL of an attempt, signing it now (or as the fault
// forges), and notes in e how it is signed.
func (c *callbacks) target(it *callout, appid uint64, e *Callback) string {
	cfg := &it.cfg
	rt := time.Now().Unix() // the bot checks RequestTime against its own clock
	sign, token := "", cfg.Token
	switch {
	case it.fault.badSign:
		sign, e.Sign = CallbackSign(token+"-forged", rt), SignBad
	case it.fault.stale:
		rt -= int64(staleRequestTime / time.Second)
		sign, e.Sign = CallbackSign(token, rt), SignStale
	case token != "":
		sign, e.Sign = CallbackSign(token, rt), SignValid
	}
	return callbackURL(cfg.URL, callbackQuery(appid, it.command, cfg.ClientIP, cfg.OptPlatform, it.requestID, sign, rt))
}

// staleRequestTime is how old the RequestTime of a stale callback is: past
// the vendor's 60 s window.
const staleRequestTime = 120 * time.Second

// attempt POSTs a callback once and judges the answer: CallbackOK,
// CallbackRefused (JSON that is not the success answer), or
// CallbackFailed (worth a retry).
func (c *callbacks) attempt(it *callout, target string, body []byte) (CallbackAttempt, string) {
	a := CallbackAttempt{Time: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(it.cfg.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		c.failed.Add(1)
		return a, CallbackFailed
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deskmock-callbacks")
	c.sent.Add(1)
	resp, err := c.client.Do(req)
	if err == nil {
		var answer []byte
		answer, err = io.ReadAll(io.LimitReader(resp.Body, maxCallbackAnswerBytes+1))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be kept
		resp.Body.Close()
		a.Status, a.Answer = resp.StatusCode, textcut.Cut(string(answer), maxCallbackAnswerBytes)
	}
	a.LatencyMS = float64(time.Since(a.Time).Microseconds()) / 1000
	if err != nil {
		a.Error = attemptError(err)
		if errors.Is(err, context.DeadlineExceeded) {
			a.Error = "no answer within " + time.Duration(it.cfg.Timeout).String()
		}
		c.failed.Add(1)
		return a, CallbackFailed
	}
	verdict := judgeAnswer(a.Status, []byte(a.Answer))
	a.Outcome = verdict
	switch verdict {
	case CallbackOK:
		c.ok.Add(1)
	case CallbackRefused:
		c.refused.Add(1)
	default:
		c.failed.Add(1)
	}
	return a, verdict
}

// judgeAnswer judges a bot's answer: a status other than 200, or a body
// that is not a JSON object, is a failure (the vendor's rule for IM
// callbacks); a JSON object is success only as the vendor's answer,
// ActionStatus "OK" and ErrorCode 0 (inferred: Desk's page does not show
// its answer), else refused.
func judgeAnswer(status int, body []byte) string {
	if status != http.StatusOK {
		return CallbackFailed
	}
	var v struct {
		ActionStatus *string
		ErrorCode    *json.Number
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return CallbackFailed
	}
	if v.ActionStatus == nil || *v.ActionStatus != "OK" || v.ErrorCode == nil || *v.ErrorCode != "0" {
		return CallbackRefused
	}
	return CallbackOK
}

// attemptError is the text of a failed attempt's error, the Sign of the
// URL that net/http's errors quote redacted.
func attemptError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		redacted := *ue
		redacted.URL = redactSign(ue.URL)
		return redacted.Error()
	}
	return err.Error()
}

// redactSign replaces the Sign of a callback's URL with REDACTED: with
// RequestTime it would let anyone replay the callback within its minute.
func redactSign(u string) string {
	i := strings.Index(u, "&Sign=")
	if i < 0 {
		return u
	}
	end := strings.IndexByte(u[i+1:], '&')
	if end < 0 {
		return u[:i] + "&Sign=" + tokenPlaceholder
	}
	return u[:i] + "&Sign=" + tokenPlaceholder + u[i+1+end:]
}
