package refclient

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/deskmock/deskmock/internal/cmdline"
)

// The reference bot: a web server that gets Desk's callbacks and answers
// each user message by streaming into its session with the reference
// client's streaming code. It is what conformance/README.md's bot
// protocol asks of a bot, and passes every bot case.

// Bot defaults.
const (
	// SignWindow is how far RequestTime may be from the bot's clock: the
	// vendor's minute.
	SignWindow = 60 * time.Second
	// dedupKept is how long a RequestID is remembered, and dedupMax how
	// many at most.
	dedupKept = 10 * time.Minute
	dedupMax  = 10_000
	// maxCallbackBody bounds a callback's body.
	maxCallbackBody = 1 << 20
	// slowAck is how late the SlowAck bug acknowledges: past Desk's 2 s.
	slowAck = 2500 * time.Millisecond
)

// botConfig is what a bot is told, by its environment.
type botConfig struct {
	BaseURL    string
	SDKAppID   uint64
	Identifier string
	UserSig    string
	Token      string
	Version    string
	Addr       string
}

// BotBugs are deliberate mistakes, for building broken bots.
type BotBugs struct {
	// SlowAck acknowledges each callback 2.5 s late (it streams first).
	SlowAck bool
	// NoSignCheck acts on callbacks whatever their Sign and RequestTime.
	NoSignCheck bool
	// IgnoreSDKAppID acts on callbacks of any SdkAppid.
	IgnoreSDKAppID bool
	// AnswerRetries answers a callback sent again with the same RequestID
	// as if it were new.
	AnswerRetries bool
	// StreamAfterEnd goes on with its answer after a 141005 (v1).
	StreamAfterEnd bool
}

// botConfigFromEnv reads a bot's configuration from its environment.
func botConfigFromEnv(getenv func(string) string) (botConfig, error) {
	cfg := botConfig{BaseURL: getenv("DESKMOCK_BASE_URL"), Identifier: getenv("DESKMOCK_IDENTIFIER"), UserSig: getenv("DESKMOCK_USERSIG"),
		Token: getenv("DESKMOCK_CALLBACK_TOKEN"), Version: getenv("DESKMOCK_VERSION")}
	if cfg.Version == "" {
		cfg.Version = "v1"
	}
	var err error
	if cfg.SDKAppID, err = strconv.ParseUint(getenv("DESKMOCK_SDKAPPID"), 10, 64); err != nil {
		return cfg, errors.New("DESKMOCK_SDKAPPID: not a number")
	}
	port := getenv("PORT")
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return cfg, errors.New("PORT: not a port number")
	}
	cfg.Addr = net.JoinHostPort("127.0.0.1", port)
	switch {
	case cfg.BaseURL == "" || cfg.Identifier == "" || cfg.UserSig == "":
		return cfg, errors.New("DESKMOCK_BASE_URL, DESKMOCK_IDENTIFIER and DESKMOCK_USERSIG are required")
	case cfg.Version != "v1" && cfg.Version != "v2":
		return cfg, fmt.Errorf("DESKMOCK_VERSION: %q, want v1 or v2", cfg.Version)
	}
	return cfg, nil
}

// bot serves the callbacks.
type bot struct {
	cfg  botConfig
	bugs BotBugs
	logf func(string, ...any)
	ctx  context.Context
	wg   sync.WaitGroup

	mu   sync.Mutex
	seen map[string]time.Time // RequestID → when it first came
}

// callbackBody is what the bot reads of a callback.
type callbackBody struct {
	CallbackCommand string
	SessionID       string `json:"SessionId"`
	Event           string
	MsgBody         []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
}

// ServeHTTP acknowledges a callback at once and answers a user message in
// the background.
func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeAck(w, http.StatusMethodNotAllowed, 405, "POST only")
		return
	}
	q := r.URL.Query()
	if err := b.verify(q.Get("SdkAppid"), q.Get("Sign"), q.Get("RequestTime"), time.Now()); err != nil {
		b.logf("refused a callback: %v", err)
		writeAck(w, http.StatusForbidden, 403, err.Error())
		return
	}
	var body callbackBody
	if err := json.NewDecoder(io.LimitReader(r.Body, maxCallbackBody)).Decode(&body); err != nil {
		writeAck(w, http.StatusBadRequest, 400, "the body is not JSON")
		return
	}
	if b.fresh(q.Get("RequestID")) && body.CallbackCommand == "Desk.SessionEventNotify" && body.Event == "ChatBot.UserSendMsg" {
		text := ""
		for _, el := range body.MsgBody {
			text += el.MsgContent.Text
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.answer(body.SessionID, text)
		}()
	}
	if b.bugs.SlowAck {
		time.Sleep(slowAck)
	}
	writeAck(w, http.StatusOK, 0, "")
}

// writeAck writes the vendor's answer: ActionStatus OK and ErrorCode 0 on
// success, FAIL and code otherwise.
func writeAck(w http.ResponseWriter, status, code int, info string) {
	action := "OK"
	if code != 0 {
		action = "FAIL"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"ActionStatus":%q,"ErrorInfo":%q,"ErrorCode":%d}`, action, info, code)
}

// verify checks that the callback is the bot's app's and, with a token,
// that Sign is hex(sha256(token + RequestTime)) and RequestTime within a
// minute of now.
func (b *bot) verify(sdkappid, sign, requestTime string, now time.Time) error {
	if !b.bugs.IgnoreSDKAppID && sdkappid != strconv.FormatUint(b.cfg.SDKAppID, 10) {
		return fmt.Errorf("SdkAppid %q is not this bot's app", sdkappid)
	}
	if b.cfg.Token == "" || b.bugs.NoSignCheck {
		return nil
	}
	rt, err := strconv.ParseInt(requestTime, 10, 64)
	if err != nil {
		return errors.New("RequestTime is missing or not a number")
	}
	sum := sha256.Sum256([]byte(b.cfg.Token + requestTime))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(sign)) != 1 {
		return errors.New("Sign does not match")
	}
	if d := now.Sub(time.Unix(rt, 0)); d > SignWindow || d < -SignWindow {
		return errors.New("RequestTime is outside the minute")
	}
	return nil
}

// fresh reports whether a RequestID is new, and remembers it; the oldest
// are forgotten past dedupKept or dedupMax.
func (b *bot) fresh(id string) bool {
	if b.bugs.AnswerRetries || id == "" {
		return true
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[id]; ok {
		return false
	}
	if len(b.seen) >= dedupMax {
		for k, t := range b.seen {
			if now.Sub(t) > dedupKept || len(b.seen) >= dedupMax {
				delete(b.seen, k)
			}
		}
	}
	b.seen[id] = now
	return true
}

// answer streams the reply to a user's text into the session, on the
// configured version; it stops at a 141005 (the session ended or went to
// a human).
func (b *bot) answer(session, text string) {
	in := Input{BaseURL: b.cfg.BaseURL, SDKAppID: b.cfg.SDKAppID, Identifier: b.cfg.Identifier, UserSig: b.cfg.UserSig,
		SessionID: session, Version: b.cfg.Version, Chunks: replyTo(text)}
	ans := Stream(b.ctx, in, Options{GivenUserSig: true, Logf: b.logf, Bugs: Bugs{StreamAfterSessionEnds: b.bugs.StreamAfterEnd}})
	b.logf("answered session %s: ok=%v error_code=%d", session, ans.OK, ans.ErrorCode)
}

// replyTo is the bot's answer to a text, in chunks.
func replyTo(text string) []string {
	return []string{"You said: ", text, ". Anything else?"}
}

const botDescription = `
The reference bot of Desk's callbacks. It listens on 127.0.0.1:$PORT, checks
each callback's SdkAppid and, with DESKMOCK_CALLBACK_TOKEN, its Sign and
RequestTime (60 s), acknowledges it at once, forgets no RequestID it has
seen, and answers each ChatBot.UserSendMsg by streaming a reply into the
session on DESKMOCK_VERSION's endpoint (v1 send_stream_msg, v2
send_stream_msg_v2), stopping at 141005. It reads DESKMOCK_BASE_URL,
DESKMOCK_SDKAPPID, DESKMOCK_IDENTIFIER, DESKMOCK_USERSIG,
DESKMOCK_CALLBACK_TOKEN, DESKMOCK_VERSION and PORT. Run it under the
conformance runner:

  deskmock conform --bot -- refbot

It runs until SIGTERM or SIGINT.`

// BotMain is the command line of a bot built on this package: it serves
// callbacks until SIGTERM or SIGINT. bugs are the deliberate mistakes of
// a broken bot; the reference bot passes the zero BotBugs.
func BotMain(args []string, getenv func(string) string, stdout, stderr io.Writer, bugs BotBugs) int {
	fs := cmdline.New("refbot", "[flags]", botDescription, "refbot --help", stdout, stderr)
	verbose := fs.Bool("v", false, "log each callback refused and each answer on stderr")
	pos, code, done := fs.Parse(args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return fs.UsageError("unexpected argument %q", pos[0])
	}
	cfg, err := botConfigFromEnv(getenv)
	if err != nil {
		return fs.UsageError("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bot{cfg: cfg, bugs: bugs, ctx: ctx, seen: map[string]time.Time{}, logf: func(string, ...any) {}}
	if *verbose {
		b.logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fs.Failure("%v", err)
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fs.Failure("%v", err)
	}
	b.wg.Wait()
	return cmdline.ExitOK
}
