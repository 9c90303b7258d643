package refclient

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// TestBotVerify: the bot trusts a callback of its app, rightly signed
// within the minute, and nothing else; its bugs trust more.
func TestBotVerify(t *testing.T) {
	now := time.Unix(1669872112, 0)
	sign := func(token string, at time.Time) (string, string) {
		rt := at.Unix()
		return mockserver.CallbackSign(token, rt), strconv.FormatInt(rt, 10)
	}
	good, goodTime := sign("xxxxyyyy", now)
	stale, staleTime := sign("xxxxyyyy", now.Add(-61*time.Second))
	for _, tc := range []struct {
		name              string
		bugs              BotBugs
		token, app, s, rt string
		ok                bool
	}{
		{"signed", BotBugs{}, "xxxxyyyy", "1400000001", good, goodTime, true},
		{"the vendor's example", BotBugs{}, "xxxxyyyy", "1400000001", "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", "1669872112", true},
		{"no token, no Sign", BotBugs{}, "", "1400000001", "", "", true},
		{"another app", BotBugs{}, "xxxxyyyy", "1400000002", good, goodTime, false},
		{"bad Sign", BotBugs{}, "xxxxyyyy", "1400000001", strings.Repeat("0", 64), goodTime, false},
		{"no RequestTime", BotBugs{}, "xxxxyyyy", "1400000001", good, "", false},
		{"stale", BotBugs{}, "xxxxyyyy", "1400000001", stale, staleTime, false},
		{"another app, ignored", BotBugs{IgnoreSDKAppID: true}, "xxxxyyyy", "1400000002", good, goodTime, true},
		{"bad Sign, unchecked", BotBugs{NoSignCheck: true}, "xxxxyyyy", "1400000001", "x", goodTime, true},
		{"another app, Sign unchecked", BotBugs{NoSignCheck: true}, "xxxxyyyy", "1400000002", good, goodTime, false},
	} {
		b := &bot{cfg: botConfig{SDKAppID: 1400000001, Token: tc.token}, bugs: tc.bugs}
		if err := b.verify(tc.app, tc.s, tc.rt, now); (err == nil) != tc.ok {
			t.Errorf("%s: verify = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestBotFresh: a RequestID is fresh once, unless the bot answers
// retries; the memory is bounded.
func TestBotFresh(t *testing.T) {
	b := &bot{seen: map[string]time.Time{}}
	if !b.fresh("a") || b.fresh("a") || !b.fresh("b") {
		t.Fatal("a RequestID seen twice was fresh both times, or a new one was not")
	}
	for i := range dedupMax + 10 {
		b.fresh(strconv.Itoa(i))
	}
	if len(b.seen) > dedupMax {
		t.Errorf("the bot remembers %d RequestIDs, more than %d", len(b.seen), dedupMax)
	}
	buggy := &bot{seen: map[string]time.Time{}, bugs: BotBugs{AnswerRetries: true}}
	if !buggy.fresh("a") || !buggy.fresh("a") {
		t.Error("AnswerRetries: a repeated RequestID is not fresh")
	}
}

// TestBotRefuses: a forged callback is refused with 403 and the vendor's
// shape of answer; a good one acknowledged with the success answer.
func TestBotRefuses(t *testing.T) {
	b := &bot{cfg: botConfig{SDKAppID: 1400000001}, seen: map[string]time.Time{}, logf: func(string, ...any) {}}
	for _, tc := range []struct {
		query  string
		status int
		answer string
	}{
		{"SdkAppid=1400000001&RequestID=r1", 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
		{"SdkAppid=9&RequestID=r2", 403, `"ActionStatus":"FAIL"`},
	} {
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/?"+tc.query, strings.NewReader(`{"CallbackCommand":"Desk.SessionEventNotify","Event":"SessionBegin"}`)))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.answer) {
			t.Errorf("%s: %d %s, want %d with %s", tc.query, rec.Code, rec.Body.String(), tc.status, tc.answer)
		}
	}
}

func TestBotConfigFromEnv(t *testing.T) {
	env := map[string]string{"DESKMOCK_BASE_URL": "http://127.0.0.1:1", "DESKMOCK_SDKAPPID": "1400000001", "DESKMOCK_IDENTIFIER": "administrator",
		"DESKMOCK_USERSIG": "sig", "PORT": "8080"}
	for _, tc := range []struct {
		name, key, value, err string
	}{
		{"complete", "", "", ""},
		{"no port", "PORT", "", "PORT"},
		{"bad app", "DESKMOCK_SDKAPPID", "x", "DESKMOCK_SDKAPPID"},
		{"bad version", "DESKMOCK_VERSION", "v3", "DESKMOCK_VERSION"},
		{"no usersig", "DESKMOCK_USERSIG", "", "DESKMOCK_USERSIG"},
	} {
		get := func(k string) string {
			if k == tc.key {
				return tc.value
			}
			return env[k]
		}
		cfg, err := botConfigFromEnv(get)
		switch {
		case tc.err == "" && (err != nil || cfg.Addr != "127.0.0.1:8080" || cfg.Version != "v1"):
			t.Errorf("%s: %+v, %v", tc.name, cfg, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.err)
		}
	}
}
