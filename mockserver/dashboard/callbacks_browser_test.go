package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deskmock/deskmock/mockserver"
)

// The callbacks sent to the bot show as they are journaled, with their
// outcome and fault, and again after a reload.
func TestCallbacksShown(t *testing.T) {
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	defer bot.Close()
	ts := mockserver.NewTestServer(t)
	if err := ts.SetCallbacks(0, mockserver.Callbacks{URL: bot.URL, Token: "tok"}); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, ts, "/__admin/ui/", 1280, 900)
	tb.waitLive()
	tb.waitTrue("no callback yet", `document.querySelector("#callbacks tbody").textContent.includes("No callback yet")`, liveWithin)
	const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	if _, err := ts.BeginSession(id, mockserver.CallbackTrigger(mockserver.CallbackBadSign), "", "SDK"); err != nil {
		t.Fatal(err)
	}
	row := `document.querySelector("#callbacks tbody tr")`
	tb.waitTrue("the callback, live", row+` && `+row+`.textContent.includes("SessionBegin") && `+row+`.textContent.includes("trigger:")`, liveWithin)
	tb.run(chromedp.Reload(), chromedp.WaitReady("body"))
	tb.waitLive()
	tb.waitTrue("the callback, loaded", row+` && `+row+`.classList.contains("callback-ok") && `+row+`.textContent.includes("200 in")`, liveWithin)
	tb.noProblems()
}

// Each line of a Desk conversation shows the callback that reported it to
// the bot, as it completes: its outcome, the bot's status and latency, the
// attempts, the fault, the RequestID on hover; and the conversation counts
// its callbacks. The bot fails the user's first message (every attempt);
// the second conversation's user is a trigger account that forges the
// Sign of each of its callbacks.
func TestCallbacksInConversation(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"Where is my order?"`) && failing.Load() {
			http.Error(w, "the bot is down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	defer bot.Close()
	ts := mockserver.NewTestServer(t)
	retries := 1
	if err := ts.SetCallbacks(0, mockserver.Callbacks{URL: bot.URL, Token: "tok", Retries: &retries, RetryBackoff: mockserver.Duration(20 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, ts, "/__admin/ui/", 1280, 1000)
	tb.waitLive()

	const id, forged = "7c9e6679-7425-40de-944b-e07fc1f90ae7", "9b2f4e1a-3c5d-4e6f-8a7b-0c1d2e3f4a5b"
	if _, err := ts.BeginSession(id, "user01", "", "SDK"); err != nil {
		t.Fatal(err)
	}
	card := `document.querySelector('#conversations .conversation[data-session="` + id + `"]')`
	sel := `#conversations .conversation[data-session="` + id + `"] `
	// notes returns the callbacks shown on the lines of a card, a line
	// a string: its kind and its callbacks' texts.
	notes := func(card string) string {
		return `[...` + card + `.querySelectorAll(".timeline > *")].filter(n => n.querySelector(".cb")).map(n => n.classList[1] + ": " + [...n.querySelectorAll(".cb")].map(c => c.textContent).join(" + ")).join("\n")`
	}
	summary := func(card string) string { return `(` + card + `.querySelector(".cb-summary") || {}).textContent` }
	tb.waitTrue("the session's begin, called back", card+` && `+summary(card)+` === "callbacks: 1 ok"`, liveWithin)

	tb.run(chromedp.SendKeys(sel+`input.say`, "Where is my order?"), chromedp.Click(sel+`button[data-action="user-message"]`))
	tb.waitTrue("the failed callback", summary(card)+` === "callbacks: 1 ok, 1 failed"`, 2*liveWithin)
	failing.Store(false)
	if r := send(t, ts, mockserver.ChunkBody(id, "", "Let me check that for you.", true)); r.ErrorCode != 0 {
		t.Fatalf("the bot's stream: %+v", r)
	}
	if _, err := ts.Say(id, mockserver.RoleUser, "Thanks!"); err != nil {
		t.Fatal(err)
	}
	tb.waitTrue("every callback", summary(card)+` === "callbacks: 3 ok, 1 failed"`, 2*liveWithin)
	var got string
	tb.eval(notes(card), &got)
	lines := strings.Split(got, "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^event: callback ok · 200 · [0-9.]+ ms$`),
		regexp.MustCompile(`^user: callback failed · 500 · [0-9.]+ ms · 2 attempts$`),
		regexp.MustCompile(`^bot: callback ok · 200 · [0-9.]+ ms$`),
		regexp.MustCompile(`^user: callback ok · 200 · [0-9.]+ ms$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("the lines' callbacks:\n%s\nwant %d lines", got, len(want))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q, want %s", i+1, lines[i], re)
		}
	}
	failed := ts.Callbacks(mockserver.CallbackFilter{SessionID: id, Outcome: mockserver.CallbackFailed})
	if len(failed) != 1 {
		t.Fatalf("the journal's failed callbacks: %+v", failed)
	}
	var title string
	tb.eval(card+`.querySelector(".bubble.user .cb-failed").title`, &title)
	if !strings.HasPrefix(title, "RequestID "+failed[0].RequestID+"\n") || !strings.Contains(title, "ChatBot.UserSendMsg") {
		t.Errorf("the failed callback's title %q: want its RequestID %s and event", title, failed[0].RequestID)
	}

	// A trigger account: the fault on each line.
	if _, err := ts.BeginSession(forged, mockserver.CallbackTrigger(mockserver.CallbackBadSign), "", "SDK"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Say(forged, mockserver.RoleUser, "Is this signed?"); err != nil {
		t.Fatal(err)
	}
	other := `document.querySelector('#conversations .conversation[data-session="` + forged + `"]')`
	tb.waitTrue("the forged callbacks", other+` && `+summary(other)+` === "callbacks: 2 ok"`, 2*liveWithin)
	tb.eval(notes(other), &got)
	fault := regexp.MustCompile(`^(event|user): callback ok · 200 · [0-9.]+ ms · fault bad-sign \(trigger\)$`)
	if lines := strings.Split(got, "\n"); len(lines) != 2 || !fault.MatchString(lines[0]) || !fault.MatchString(lines[1]) {
		t.Errorf("the forged conversation's callbacks:\n%s\nwant two lines like %s", got, fault)
	}
	tb.run(chromedp.Evaluate(card+`.scrollIntoView({block: "center"})`, nil))
	tb.shot("dashboard-conversation-callbacks")

	// On a phone the notes wrap within their bubbles.
	tb.run(chromedp.EmulateViewport(390, 844), chromedp.Evaluate(other+`.scrollIntoView({block: "center"})`, nil))
	var overflow bool
	tb.eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow)
	if overflow {
		t.Errorf("the page is wider than a phone's screen")
	}
	tb.shot("dashboard-conversation-callbacks-phone")
	tb.noProblems()
}
