package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

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
