package dashboard_test

// The dashboard, tested in a real headless Chromium driven over the Chrome
// DevTools Protocol. One browser serves the whole package; each test opens
// its own tab on its own server. Screenshots go to $DESKMOCK_SCREENSHOTS,
// or to a directory under the system's temporary one.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/deskmock/deskmock/internal/app/refclient"
	"github.com/deskmock/deskmock/mockserver"
)

// browser is the context of the package's one browser; nil when the tests
// are skipped (no Chromium, outside CI).
var browser context.Context

// skipReason says why the browser tests are skipped.
var skipReason string

// liveWithin is how soon the page must show what the server did: under
// the conversations' 3 s reload, so that only a live update meets it, with
// room for a loaded 2-core machine.
const liveWithin = 2500 * time.Millisecond

func TestMain(m *testing.M) {
	path := findChromium()
	if path == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "dashboard: Chromium is not installed, and CI is set: the browser tests must run (apt-get install chromium)")
			os.Exit(1)
		}
		skipReason = "Chromium is not installed (apt-get install chromium); the browser tests are skipped outside CI"
		os.Exit(m.Run())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI containers run as root
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "dashboard: starting %s: %v\n", path, err)
		os.Exit(1)
	}
	browser = ctx
	code := m.Run()
	cancel()
	cancelAlloc()
	os.Exit(code)
}

// findChromium returns the path of a Chromium or Chrome, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is one browser tab on a test server, recording what went wrong in it.
type tab struct {
	t   *testing.T
	ctx context.Context
	ts  *mockserver.TestServer

	mu       sync.Mutex
	problems []string
	allowed  map[int]bool // HTTP statuses that are no problem
}

// openTab opens a tab of width×height on ts's path and waits for it to load.
func openTab(t *testing.T, ts *mockserver.TestServer, path string, width, height int64) *tab {
	t.Helper()
	if browser == nil {
		t.Skip(skipReason)
	}
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, ts: ts, allowed: map[int]bool{}}
	chromedp.ListenTarget(ctx, tb.watch)
	tb.run(network.Enable(), log.Enable(), chromedp.EmulateViewport(width, height),
		chromedp.Navigate(ts.URL+path), chromedp.WaitReady("body"))
	return tb
}

// watch records console errors, exceptions and failed requests.
func (tb *tab) watch(ev any) {
	var p string
	switch e := ev.(type) {
	case *page.EventJavascriptDialogOpening: // the Reset button's confirm: accept it
		go chromedp.Run(tb.ctx, page.HandleJavaScriptDialog(true))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.APITypeError || e.Type == runtime.APITypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p = "console " + string(e.Type) + ": " + strings.Join(args, " ")
		}
	case *runtime.EventExceptionThrown:
		p = "exception: " + e.ExceptionDetails.Error()
	case *log.EventEntryAdded:
		if e.Entry.Level == log.LevelError && !tb.allowedLog(e.Entry.Text) {
			p = "log: " + e.Entry.Text + " " + e.Entry.URL
		}
	case *network.EventLoadingFailed:
		if !e.Canceled {
			p = "request failed: " + e.ErrorText
		}
	case *network.EventResponseReceived:
		tb.mu.Lock()
		allowed := tb.allowed[int(e.Response.Status)]
		tb.mu.Unlock()
		if e.Response.Status >= 400 && !allowed {
			p = fmt.Sprintf("HTTP %d: %s", int(e.Response.Status), e.Response.URL)
		}
	}
	if p != "" {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// allowedLog reports whether a log entry is about an allowed HTTP status
// ("the server responded with a status of 401").
func (tb *tab) allowedLog(text string) bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for status := range tb.allowed {
		if strings.Contains(text, fmt.Sprintf("status of %d ", status)) {
			return true
		}
	}
	return false
}

// allow makes an HTTP status no problem.
func (tb *tab) allow(status int) {
	tb.mu.Lock()
	tb.allowed[status] = true
	tb.mu.Unlock()
}

// noProblems fails the test if the page logged an error or a request failed.
func (tb *tab) noProblems() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("page problem: %s", p)
	}
}

func (tb *tab) run(actions ...chromedp.Action) {
	tb.t.Helper()
	if err := chromedp.Run(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// waitTrue waits until the JavaScript expression is true, at most within.
func (tb *tab) waitTrue(what, expr string, within time.Duration) {
	tb.t.Helper()
	var ok bool
	ctx, cancel := context.WithTimeout(tb.ctx, within+time.Second)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Poll(expr, &ok, chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(10*time.Millisecond)))
	if err != nil || !ok {
		tb.shot("failed-" + tb.t.Name())
		tb.t.Fatalf("waited %s for %s: %v", within, what, err)
	}
}

// eval returns the value of a JavaScript expression.
func (tb *tab) eval(expr string, v any) {
	tb.t.Helper()
	tb.run(chromedp.Evaluate(expr, v))
}

// text returns the visible text of the first element of a selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	var s string
	tb.eval(`(document.querySelector(`+jsString(sel)+`) || {innerText: ""}).innerText`, &s)
	return s
}

// shot writes a screenshot of the page as name.png.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("DESKMOCK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "deskmock-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	var png []byte
	if err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", file)
}

// waitLive waits for the dashboard to follow the server's events.
func (tb *tab) waitLive() {
	tb.t.Helper()
	tb.waitTrue("the event stream", `document.querySelector("#conn").textContent === "live"`, 5*time.Second)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// reply is what the endpoint answered.
type reply struct {
	ErrorCode int
	ErrorInfo string
	MsgKey    string
}

// send posts a body to the endpoint as the app's administrator.
func send(t *testing.T, ts *mockserver.TestServer, body string) reply {
	t.Helper()
	return sendTo(t, ts.EndpointURL(), body)
}

func sendTo(t *testing.T, url, body string) reply {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("reply %q: %v", b, err)
	}
	return r
}

const session = "2f0c8a52-9d7e-4b8a-a1c3-5e6f7a8b9c0d"

func TestDashboardLoadsCleanly(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	for sel, want := range map[string]string{
		"#rules tbody tr:first-child td:nth-child(3)": "inferred",
		"#triggers tbody": "00000000-0000-0000-0000-000000141005",
		"#faults tbody":   "No fault rule",
	} {
		var got string
		tb.eval(`document.querySelector(`+jsString(sel)+`).textContent`, &got)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q does not contain %q", sel, got, want)
		}
	}
	var config string
	tb.eval(`document.querySelector("#config").textContent`, &config)
	if strings.Contains(config, ts.App.SecretKey) || !strings.Contains(config, `"secret_key": "(hidden)"`) {
		t.Errorf("the configuration shows the secret key or lacks it hidden:\n%s", config)
	}
	tb.noProblems()
}

func TestLandingPage(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/", 1280, 800)
	curl := tb.text("#curl")
	if !strings.HasPrefix(curl, "curl -sS -X POST '"+ts.URL+mockserver.EndpointPath+"?") {
		t.Errorf("landing page's command: %q", curl)
	}
	tb.shot("landing")
	tb.run(chromedp.Click(`a.cta`), chromedp.WaitVisible("#streams"))
	tb.waitLive()
	tb.noProblems()
}

func TestStreamGrowsLive(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	chunks := []string{"Hello, ", "this is ", "deskmock."}
	var key string
	for i, c := range chunks {
		r := send(t, ts, mockserver.ChunkBody(session, key, c, i == len(chunks)-1))
		if r.ErrorCode != 0 {
			t.Fatalf("chunk %d: %+v", i+1, r)
		}
		if i == 0 {
			key = r.MsgKey
		}
		want := strings.Join(chunks[:i+1], "")
		sel := jsString(`.stream[data-msg-key="` + key + `"] .stream-text`)
		tb.waitTrue(fmt.Sprintf("chunk %d on the page", i+1),
			`(document.querySelector(`+sel+`) || {}).textContent === `+jsString(want), liveWithin)
	}
	stateSel := jsString(`.stream[data-msg-key="` + key + `"] .state`)
	tb.waitTrue("the stream finished", `(document.querySelector(`+stateSel+`) || {}).textContent === "finished"`, liveWithin)

	tb.run(chromedp.Click("#show-chunks"))
	var n int
	tb.eval(`document.querySelectorAll(".stream-text.chunks .chunk").length`, &n)
	if n != len(chunks) {
		t.Errorf("chunk boundaries: %d chunks shown, want %d", n, len(chunks))
	}
	head := tb.text(`.stream[data-msg-key="` + key + `"] .stream-head`)
	for _, want := range []string{key, session, "3 calls"} {
		if !strings.Contains(head, want) {
			t.Errorf("stream head %q lacks %q", head, want)
		}
	}
	// A second stream still open, a fault rule that fired and two errors
	// beside it, for the screenshot.
	other := "6b1d3e9a-0c4f-4e7b-9a2d-8f5c6b7a1e30"
	r := send(t, ts, mockserver.ChunkBody(other, "", "Your order ships ", false))
	send(t, ts, mockserver.ChunkBody(other, r.MsgKey, "tomorrow", false))
	if _, err := ts.AddFault(mockserver.Fault{Match: mockserver.FaultMatch{ChunkContains: "refund"}, Action: mockserver.FaultAction{ErrorCode: 20004}}); err != nil {
		t.Fatal(err)
	}
	send(t, ts, mockserver.ChunkBody(other, r.MsgKey, " and the refund", false))
	triggers := []string{mockserver.TriggerSessionID(141005, 0), mockserver.TriggerSessionID(70001, 0)}
	for _, id := range triggers {
		send(t, ts, mockserver.ChunkBody(id, "", "Hi", false))
	}
	send(t, ts, `{"SessionId":"not-a-uuid","Chunk":"x"}`)
	v2 := sendTo(t, ts.EndpointV2URL(), `{"SessionId":"`+other+`","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"**Markdown** on v2","IsLast":true}]}}]}`)
	if v2.ErrorCode != 0 {
		t.Fatalf("v2 call: %+v", v2)
	}
	tb.waitTrue("the last exchange", `document.querySelectorAll("#exchanges tbody tr").length === 10`, liveWithin)
	tb.waitTrue("the rule's fired count", `(document.querySelector('#faults tr[data-id="f1"] .fired') || {}).textContent === "1"`, liveWithin)

	// Each row names its endpoint, and shows the end of its session ID,
	// which tells trigger sessions apart, with the whole ID as its title.
	var heads []string
	tb.eval(`[...document.querySelectorAll("#exchanges thead th")].map(th => th.textContent)`, &heads)
	if len(heads) < 4 || heads[3] != "endpoint" {
		t.Errorf("exchange table heads %q: want an endpoint column after code", heads)
	}
	type row struct {
		Endpoint, Session, Title string
		Clipped                  bool // the cell hides part of its text
	}
	var rows []row
	tb.eval(`[...document.querySelectorAll("#exchanges tbody tr")].map(tr => ({Endpoint: tr.cells[3].textContent, Session: tr.cells[4].textContent, Title: tr.cells[4].title, Clipped: tr.cells[4].scrollWidth > tr.cells[4].clientWidth}))`, &rows)
	if len(rows) != 10 || rows[0].Endpoint != "v2" || rows[1].Endpoint != "v1" {
		t.Errorf("exchange rows, newest first: %+v; want the v2 call first, then v1", rows)
	}
	shown := map[string]string{} // shown text → whole ID
	for _, r := range rows {
		if r.Session == "" {
			continue
		}
		if r.Clipped {
			t.Errorf("session cell %q is cut short on the page", r.Session)
		}
		if tail := strings.TrimPrefix(r.Session, "…"); !strings.HasSuffix(r.Title, tail) {
			t.Errorf("session cell %q is not the end of its ID %q", r.Session, r.Title)
		}
		if id, seen := shown[r.Session]; seen && id != r.Title {
			t.Errorf("sessions %s and %s both show as %q", id, r.Title, r.Session)
		}
		shown[r.Session] = r.Title
	}
	for _, id := range triggers {
		found := false
		for _, whole := range shown {
			found = found || whole == id
		}
		if !found {
			t.Errorf("trigger session %s is in no row: %v", id, shown)
		}
	}
	var clipped bool
	tb.eval(`(w => w.scrollWidth > w.clientWidth)(document.querySelector("#exchanges-panel .table-wrap"))`, &clipped)
	if clipped {
		t.Errorf("the exchange table is wider than its panel: its last columns are hidden")
	}
	time.Sleep(time.Second) // let the highlight of fresh rows fade
	tb.shot("dashboard")
	tb.noProblems()
}

// The configuration panel shows each endpoint's stream rules, as the
// configuration set them.
func TestConfigPanelShowsStreamRules(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	idle := mockserver.RuleDuration(30 * time.Second)
	cfg.Endpoints = map[string]mockserver.EndpointConfig{"v1": {IdleTimeout: &idle}}
	ts := mockserver.NewTestServer(t, mockserver.WithConfig(cfg))
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	tb.run(chromedp.Click("#config-panel summary"), chromedp.ScrollIntoView("#stream-rules"), chromedp.WaitVisible("#stream-rules"))
	var rules [][]string
	tb.eval(`[...document.querySelectorAll("#stream-rules tbody tr")].map(tr => [...tr.cells].map(td => td.innerText))`, &rules)
	want := [][]string{
		{"v1 send_stream_msg", mockserver.EndpointPath, "30s", "yes", "no limit", "no rule", "no limit"},
		{"v2 send_stream_msg_v2", mockserver.EndpointV2Path, "15s", "yes", "5", "131072 bytes", "no limit"},
		{"c2c send_c2c_stream_msg", mockserver.EndpointC2CPath, "15s", "yes", "5", "131072 bytes", "no limit"},
		{"group send_group_stream_msg", mockserver.EndpointGroupPath, "15s", "yes", "5", "131072 bytes", "no limit"},
		{"chatbot robot send_stream_msg", mockserver.EndpointChatbotPath, "off", "yes", "no limit", "no rule", "200"},
		{"create_robot create_robot", mockserver.CreateRobotPath, "—", "—", "—", "—", "200"},
		{"delete_robot delete_robot", mockserver.DeleteRobotPath, "—", "—", "—", "—", "200"},
		{"get_all_robots get_all_robots", mockserver.GetAllRobotsPath, "—", "—", "—", "—", "200"},
		{"transfer_to_human transfer_to_human", mockserver.TransferPath, "—", "—", "—", "—", "no limit"},
		{"end_session end_session", mockserver.EndSessionPath, "—", "—", "—", "—", "no limit"},
		{"end_queuing end_queuing", mockserver.EndQueuingPath, "—", "—", "—", "—", "no limit"},
		{"get_session_state get_session_state", mockserver.SessionStatePath, "—", "—", "—", "—", "no limit"},
		{"send_msg send_msg", mockserver.SendMsgPath, "—", "—", "—", "—", "no limit"},
		{"describe_chat_messages describe_chat_messages", mockserver.ChatMessagesPath, "—", "—", "—", "—", "no limit"},
		{"describe_im_cdr_list describe_im_cdr_list", mockserver.CDRListPath, "—", "—", "—", "—", "no limit"},
	}
	if fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Errorf("stream rules shown:\n%q\nwant\n%q", rules, want)
	}
	tb.shot("dashboard-config")
	tb.noProblems()
}

// A stream the store lets go stays on the page, marked evicted, and a v2
// stream shows its version.
func TestEvictedStreamIsMarked(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.Limits.MaxStreams = 1
	ts := mockserver.NewTestServer(t, mockserver.WithConfig(cfg))
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	first := send(t, ts, mockserver.ChunkBody(session, "", "Soon gone", false))
	stateOf := func(key string) string {
		return `(document.querySelector(` + jsString(`.stream[data-msg-key="`+key+`"] .state`) + `) || {}).textContent`
	}
	tb.waitTrue("the first stream, open", stateOf(first.MsgKey)+` === "open"`, liveWithin)
	v2 := sendTo(t, ts.EndpointV2URL(), `{"SessionId":"`+session+`","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"**v2**","IsLast":false}]}}]}`)
	if v2.ErrorCode != 0 {
		t.Fatalf("v2 call: %+v", v2)
	}
	tb.waitTrue("the first stream, evicted", stateOf(first.MsgKey)+` === "evicted"`, liveWithin)
	head := jsString(`.stream[data-msg-key="` + v2.MsgKey + `"] .stream-head`)
	tb.waitTrue("the v2 stream's version", `((document.querySelector(`+head+`) || {}).textContent || "").includes("v2")`, liveWithin)
	tb.noProblems()
}

func TestFaultFormAndRemove(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	body := mockserver.ChunkBody(session, "", "Hello", false)

	// The server's validation error is shown as is.
	tb.allow(http.StatusBadRequest)
	tb.run(chromedp.Click(`#fault-form button[type=submit]`))
	tb.waitTrue("the validation error", `document.querySelector("#fault-error").textContent.includes("action: give one of error_code")`, liveWithin)

	tb.run(
		chromedp.SendKeys(`[name="match.session_id"]`, session),
		chromedp.SendKeys(`[name="action.error_code"]`, "70001"),
		chromedp.SendKeys(`[name="times"]`, "5"),
		chromedp.Click(`#fault-form button[type=submit]`),
	)
	tb.waitTrue("the rule in the table", `document.querySelector('#faults tbody tr[data-id="f1"]') !== null`, liveWithin)
	if got := tb.text("#fault-error"); got != "" {
		t.Errorf("error after a valid rule: %q", got)
	}
	if r := send(t, ts, body); r.ErrorCode != 70001 {
		t.Fatalf("with the rule: %+v, want 70001", r)
	}
	tb.waitTrue("fired count 1", `document.querySelector('#faults tr[data-id="f1"] .fired').textContent === "1"`, liveWithin)

	tb.run(chromedp.Click(`#faults tr[data-id="f1"] button`))
	tb.waitTrue("the rule removed", `document.querySelector('#faults tbody tr[data-id="f1"]') === null`, liveWithin)
	if len(ts.Faults()) != 0 {
		t.Errorf("server still has rules: %+v", ts.Faults())
	}
	if r := send(t, ts, body); r.ErrorCode != 0 {
		t.Errorf("after removing the rule: %+v, want 0", r)
	}
	tb.noProblems()
}

func TestExchangeFilterAndDetail(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	url := ts.EndpointURL()
	send(t, ts, mockserver.ChunkBody(session, "", "fine", false))
	sendTo(t, url, `{"SessionId":`)                                   // not JSON: 90001
	send(t, ts, mockserver.ChunkBody(session, "", "fine too", false)) // 0
	send(t, ts, `[]`)                                                 // not an object: 90010
	tb.waitTrue("four exchanges", `document.querySelectorAll("#exchanges tbody tr").length === 4`, liveWithin)

	tb.run(chromedp.SendKeys("#f-code", "90001"))
	tb.waitTrue("the filter", `document.querySelectorAll("#exchanges tbody tr").length === 1`, liveWithin)
	var codes []string
	tb.eval(`[...document.querySelectorAll("#exchanges tbody tr td:nth-child(3)")].map(td => td.textContent)`, &codes)
	if len(codes) != 1 || codes[0] != "90001" {
		t.Fatalf("filtered codes: %q", codes)
	}

	tb.run(chromedp.Click("#exchanges tbody tr"), chromedp.WaitVisible("#detail-query"))
	query := tb.text("#detail-query")
	sig := strings.SplitN(strings.SplitN(url, "usersig=", 2)[1], "&", 2)[0]
	if !strings.Contains(query, "usersig=REDACTED") || strings.Contains(query, sig) {
		t.Errorf("detail query %q: want usersig=REDACTED and no UserSig", query)
	}
	detail := tb.text("#detail-body")
	for _, want := range []string{`{"SessionId":`, "90001", "body-not-json", "answered in"} {
		if !strings.Contains(detail, want) {
			t.Errorf("exchange detail lacks %q:\n%s", want, detail)
		}
	}
	tb.shot("exchange-detail")
	tb.noProblems()
}

func TestTokenRequired(t *testing.T) {
	const token = "correct-horse-battery"
	ts := mockserver.NewTestServer(t, func(c *mockserver.Config) { c.AdminToken = token })
	send(t, ts, mockserver.ChunkBody(session, "", "secret text", false))
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.allow(http.StatusUnauthorized)
	tb.run(chromedp.WaitVisible("#token"))
	var shown string
	tb.eval(`document.body.innerText`, &shown)
	if strings.Contains(shown, "secret text") || strings.Contains(shown, session) {
		t.Errorf("data shown before the token was given:\n%s", shown)
	}
	tb.run(chromedp.SendKeys("#token", "wrong"), chromedp.Click("#login-form button"))
	tb.waitTrue("the refusal", `document.querySelector("#login-error").textContent.includes("refused")`, 2*time.Second)
	tb.shot("token-refused")
	tb.eval(`document.body.innerText`, &shown)
	if strings.Contains(shown, "secret text") {
		t.Errorf("data shown after a wrong token")
	}
	tb.run(chromedp.SetValue("#token", token), chromedp.Click("#login-form button"))
	tb.waitLive()
	tb.waitTrue("the stream", `document.querySelector("#streams").textContent.includes("secret text")`, liveWithin)
	tb.noProblems()
}

func TestPhoneWidth(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 390, 844)
	tb.waitLive()
	r := send(t, ts, mockserver.ChunkBody(session, "", "Hello from a phone", false))
	tb.waitTrue("the stream", `document.querySelector("#streams").textContent.includes("Hello from a phone")`, liveWithin)
	var overflow bool
	tb.eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow)
	if overflow {
		t.Errorf("the page is wider than a phone's screen")
	}
	_ = r
	tb.shot("dashboard-phone")
	tb.noProblems()
}

// A page that is not the dashboard's cannot change state: no custom header,
// or another origin.
func TestCrossSiteRequestsRefused(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"no header", map[string]string{"Content-Type": "application/json"}, http.StatusForbidden},
		{"other origin", map[string]string{"X-Deskmock-UI": "1", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"X-Deskmock-UI": "1", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same origin", map[string]string{"X-Deskmock-UI": "1", "Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/__admin/ui/api/reset", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// The page cannot be framed by another site (clickjacking), and loads
// nothing from elsewhere.
func TestPageHeaders(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	resp, err := http.Get(ts.URL + "/__admin/ui/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

func TestResetButton(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(c *mockserver.Config) {
		c.Faults = []mockserver.Fault{{ID: "configured", Match: mockserver.FaultMatch{ChunkContains: "boom"}, Action: mockserver.FaultAction{ErrorCode: 20004}}}
	})
	tb := openTab(t, ts, "/__admin/ui/", 1280, 800)
	tb.waitLive()
	if _, err := ts.AddFault(mockserver.Fault{ID: "added", Action: mockserver.FaultAction{DelayMS: 1}}); err != nil {
		t.Fatal(err)
	}
	send(t, ts, mockserver.ChunkBody(session, "", "before the reset", false))
	tb.waitTrue("the stream", `document.querySelector("#streams").textContent.includes("before the reset")`, liveWithin)
	tb.waitTrue("the added rule", `document.querySelector('#faults tr[data-id="added"]') !== null`, liveWithin)

	tb.run(chromedp.Click("#reset"))
	tb.waitTrue("the page emptied", `document.querySelectorAll(".stream").length === 0 && document.querySelectorAll("#exchanges tbody tr").length === 0`, liveWithin)
	tb.waitTrue("the configured rule alone", `[...document.querySelectorAll("#faults tbody tr")].map(tr => tr.dataset.id).join() === "configured"`, liveWithin)
	if n := len(ts.Streams()); n != 0 {
		t.Errorf("%d streams after the reset", n)
	}
	tb.noProblems()
}

// Streams of every kind of conversation show their endpoint and the
// conversation's key, and a fault rule can be limited to one endpoint from
// the form.
func TestConversationsShown(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 900)
	tb.waitLive()
	c2c := `{"From_Account":"support_bot","To_Account":"user01","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"Hello from C2C"}]}}]}`
	group := `{"GroupId":"team","From_Account":"support_bot","MsgBody":[{"MsgType":"TIMStreamElem","MsgContent":{"Chunks":[{"EventType":"data","Index":1,"Markdown":"Hello, group","IsLast":true}]}}]}`
	bot := `{"From_Account":"@RBT#my_bot","To_Account":"user01","Chunk":"Hello from the chatbot","Finish":1}`
	for _, c := range []struct{ path, body string }{{mockserver.EndpointC2CPath, c2c}, {mockserver.EndpointGroupPath, group}, {mockserver.EndpointChatbotPath, bot}} {
		if r := sendTo(t, ts.APIURL(c.path), c.body); r.ErrorCode != 0 {
			t.Fatalf("%s: %+v", c.path, r)
		}
	}
	for _, want := range []string{"c2c:support_bot:user01", "group:team:support_bot", "c2c:@RBT#my_bot:user01"} {
		tb.waitTrue("the stream of "+want, `[...document.querySelectorAll("#streams .stream-head")].some(h => h.textContent.includes("conversation `+want+`"))`, liveWithin)
	}
	for _, want := range []string{"endpoint c2c", "endpoint group", "endpoint chatbot"} {
		tb.waitTrue(want, `[...document.querySelectorAll("#streams .stream-head")].some(h => h.textContent.includes("`+want+`"))`, liveWithin)
	}
	tb.waitTrue("the chatbot's custom message", `[...document.querySelectorAll("#streams .client-message")].some(d => d.textContent.includes("chatbotPlugin 2, src 2, 1 chunks, isFinished 1"))`, liveWithin)
	tb.waitTrue("the group's key in the exchanges", `[...document.querySelectorAll("#exchanges td.sid")].some(td => td.title === "group:team:support_bot")`, liveWithin)

	tb.run(
		chromedp.SetValue(`[name="match.endpoint"]`, mockserver.C2C),
		chromedp.SendKeys(`[name="action.error_code"]`, "20004"),
		chromedp.Click(`#fault-form button[type=submit]`),
	)
	tb.waitTrue("the rule in the table", `document.querySelector('#faults tbody tr[data-id="f1"]') !== null`, liveWithin)
	if f := ts.Faults(); len(f) != 1 || f[0].Match.Endpoint != mockserver.C2C {
		t.Fatalf("rules %+v, want one for c2c", f)
	}
	if r := sendTo(t, ts.APIURL(mockserver.EndpointC2CPath), c2c); r.ErrorCode != 20004 {
		t.Errorf("c2c with the rule: %+v, want 20004", r)
	}
	if r := sendTo(t, ts.APIURL(mockserver.EndpointGroupPath), strings.Replace(group, `"team"`, `"team2"`, 1)); r.ErrorCode != 0 {
		t.Errorf("group with the rule: %+v, want 0", r)
	}
	tb.shot("dashboard-conversations")
	tb.noProblems()
}

// A whole Desk conversation played from the dashboard: a session begun
// for a user, the user's message, the bot's stream by the reference
// client growing in its bubble, a transfer, the agent's reply, the end and
// the user's rating, each from the page's buttons; the system messages and
// state changes between the messages.
func TestDeskConversationShown(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tb := openTab(t, ts, "/__admin/ui/", 1280, 1000)
	tb.waitLive()

	tb.run(chromedp.SendKeys(`#begin-user`, "user01"), chromedp.Click(`#begin-form button`))
	tb.waitTrue("the new session", `document.querySelector("#conversations .conversation") !== null`, liveWithin)
	var id string
	tb.eval(`document.querySelector("#conversations .conversation").dataset.session`, &id)
	card := `document.querySelector('#conversations .conversation[data-session="` + id + `"]')`
	sel := `#conversations .conversation[data-session="` + id + `"] `
	texts := func(kind string) string {
		return `[...` + card + `.querySelectorAll(".timeline ` + kind + ` .text")].map(m => m.textContent).join("|")`
	}
	press := func(action string) { tb.run(chromedp.Click(sel + `button[data-action="` + action + `"]`)) }
	say := func(action, text string) {
		tb.run(chromedp.SendKeys(sel+`input.say`, text))
		press(action)
	}

	say("user-message", "Where is my order?")
	tb.waitTrue("the user's message", texts(".bubble.user")+` === "Where is my order?"`, liveWithin)

	// The bot answers with a stream, a chunk every second: its bubble shows
	// the text so far, then the whole (the page notes every text it shows).
	tb.run(chromedp.Evaluate(`window.seen = new Set(); setInterval(() => { for (const b of document.querySelectorAll(".bubble.bot.streamed .text")) seen.add(b.textContent); }, 10)`, nil))
	answer := make(chan refclient.Answer, 1)
	go func() {
		answer <- refclient.Stream(context.Background(), refclient.Input{
			BaseURL: ts.URL, SDKAppID: ts.App.SDKAppID, Identifier: ts.Identifier, SecretKey: ts.App.SecretKey,
			SessionID: id, Version: "v1", Chunks: []string{"Let me ", "check ", "that for you."}, PausesMS: []int{0, 1000, 1000},
		}, refclient.Options{})
	}()
	tb.waitTrue("the whole stream", texts(".bubble.bot.streamed")+` === "Let me check that for you."`, 5*time.Second)
	var seen []string
	tb.eval(`[...seen]`, &seen)
	if !slices.Contains(seen, "Let me ") && !slices.Contains(seen, "Let me check ") {
		t.Errorf("the bot's bubble showed %q: never the stream so far", seen)
	}
	if a := <-answer; !a.OK {
		t.Fatalf("the reference client: %+v", a)
	}

	press("transfer")
	tb.waitTrue("the agent's", card+`.querySelector(".state").textContent === "Agent"`, liveWithin)
	tb.waitTrue("the transfer's system messages", `[...`+card+`.querySelectorAll(".line.system .kind")].map(k => k.textContent).join() === "connectingToAgent,connectedToAgent"`, liveWithin)
	say("agent-message", "Your order ships today.")
	tb.waitTrue("the agent's reply", texts(".bubble.agent")+` === "Your order ships today."`, liveWithin)
	say("user-message", "Thanks!")
	tb.waitTrue("the user's answer", texts(".bubble.user")+` === "Where is my order?|Thanks!"`, liveWithin)
	tb.run(chromedp.SendKeys(sel+`input.say`, "Is there anything else?"))
	tb.run(chromedp.Evaluate(card+`.scrollIntoView({block: "center"})`, nil))
	tb.shot("dashboard-conversation-agent")
	tb.run(chromedp.Evaluate(card+`.querySelector("input.say").value = ""`, nil))

	press("agent-end")
	tb.waitTrue("the end", card+`.querySelector(".state").textContent === "NotInSession"`, liveWithin)
	press("rate") // five stars, the choice offered first
	tb.waitTrue("the rating", card+`.querySelector(".rated") && `+card+`.querySelector(".rated").textContent === "★★★★★"`, liveWithin)

	var order string
	tb.eval(`[...`+card+`.querySelectorAll(".timeline > *")].map(n => n.classList[1] + (n.classList.contains("event") ? ":" + n.textContent.split(" · ")[0] : "")).join(" ")`, &order)
	want := "event:SessionBegin user bot event:Transfer.Started system event:Transfer.Succeeded system agent user event:SessionEnd system event:Session.Rated"
	if order != want {
		t.Errorf("the conversation's lines:\n got %s\nwant %s", order, want)
	}
	var callbacks int // none is configured: none is mentioned
	tb.eval(`document.querySelectorAll("#conversations .cb, #conversations .cb-summary").length`, &callbacks)
	if callbacks != 0 {
		t.Errorf("%d mentions of callbacks, though none is configured", callbacks)
	}
	tb.run(chromedp.Evaluate(card+`.scrollIntoView({block: "center"})`, nil))
	tb.shot("dashboard-conversation")
	if life := ts.DeskSession(id); life.EndStatus != "AgentEndedSession" || life.Satisfaction != 5 || life.ClientUserID != "user01" {
		t.Errorf("life %+v, want ended by the agent, rated 5, of user01", life)
	}
	tb.noProblems()
}
