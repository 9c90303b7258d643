package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver"
)

func TestParseBotCases(t *testing.T) {
	for _, tc := range []struct {
		name, doc, err string
	}{
		{"ok", `{"cases":[{"name":"a","description":"d","version":"v2","messages":["hi"]}]}`, ""},
		{"unknown field", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"],"chunks":[]}]}`, `/cases/0 (a): additionalProperties 'chunks' not allowed`},
		{"no case", `{"cases":[]}`, "/cases: minimum 1 items required"},
		{"version", `{"cases":[{"name":"a","description":"d","version":"c2c","messages":["hi"]}]}`, `/cases/0 (a)/version: value must be one of "v1", "v2"`},
		{"no message", `{"cases":[{"name":"a","description":"d","version":"v1","messages":[]}]}`, "/cases/0 (a)/messages: minimum 1 items required"},
		{"empty message", `{"cases":[{"name":"a","description":"d","version":"v1","messages":[""]}]}`, "/cases/0 (a)/messages/0: length must be >= 1"},
		{"sessions", `{"cases":[{"name":"a","description":"d","version":"v1","sessions":21,"messages":["hi"]}]}`, "/cases/0 (a)/sessions: must be <= 20"},
		{"mid-stream", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"],"mid_stream":"pause"}]}`, `/cases/0 (a)/mid_stream: value must be one of`},
		{"mid-stream, two sessions", `{"cases":[{"name":"a","description":"d","version":"v1","sessions":2,"messages":["hi"],"mid_stream":"end"}]}`, "mid_stream: goes with one session and one message"},
		{"endpoint fault", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"],"faults":[{"match":{"endpoint":"v1"},"action":{"error_code":20004}}]}]}`, "faults/0: a bot case takes rules of callbacks only"},
		{"bad callback action", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"],"faults":[{"match":{"callback":"*"},"action":{"callback":"thrice"}}]}]}`, "faults/0/"},
		{"level", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"],"levels":{"answer/ok":"SKIP"}}]}`, "levels/answer/ok: no such bot check"},
		{"two documents", `{"cases":[{"name":"a","description":"d","version":"v1","messages":["hi"]}]} {}`, "data after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cases, err := ParseBotCases("f.json", []byte(tc.doc))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.err == "" && (len(cases) != 1 || cases[0].File != "f.json"):
				t.Fatalf("cases %+v", cases)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}

func TestBuiltinBots(t *testing.T) {
	cases, err := BuiltinBots()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range cases {
		ids := c.SessionIDs()
		if len(ids) != c.sessionCount() || !mockserver.ValidSessionID(ids[0]) {
			t.Errorf("%s: sessions %v", c.Name, ids)
		}
		switch {
		case c.Forged():
			kinds["forged"] = true
		case c.MidStream != "":
			kinds["mid-stream "+c.MidStream] = true
		case c.sessionCount() > 1:
			kinds["sessions at once"] = true
		}
		kinds[c.Version] = true
	}
	for _, k := range []string{"v1", "v2", "forged", "mid-stream end", "mid-stream transfer", "sessions at once"} {
		if !kinds[k] {
			t.Errorf("no builtin bot case is %s", k)
		}
	}
	if got := SelectBots(cases, nil, nil, "v2"); len(got) == 0 || len(got) == len(cases) {
		t.Errorf("--version v2 selects %d of %d cases", len(got), len(cases))
	}
}

func TestBotCaseForged(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    BotCase
		want bool
	}{
		{"plain", BotCase{}, false},
		{"twice", BotCase{Faults: []mockserver.Fault{{Action: mockserver.FaultAction{Callback: mockserver.CallbackTwice}}}}, false},
		{"bad sign rule", BotCase{Faults: []mockserver.Fault{{Action: mockserver.FaultAction{Callback: mockserver.CallbackBadSign}}}}, true},
		{"stale trigger", BotCase{User: mockserver.CallbackTrigger(mockserver.CallbackStaleTime)}, true},
		{"late trigger", BotCase{User: mockserver.CallbackTrigger("late")}, false},
	} {
		if got := tc.c.Forged(); got != tc.want {
			t.Errorf("%s: Forged() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSplitAnswers: a session's calls are split into answers by the key
// each was issued, overlapping ones too, a retry of a first call kept with
// it.
func TestSplitAnswers(t *testing.T) {
	const key2 = "2_1700000000_0123456789abcdef012345678"
	second := func(e *mockserver.Exchange) { e.Reply = okKeyReply(key2) }
	for _, tc := range []struct {
		name string
		j    *journal
		want [][]uint64
	}{
		{"one answer", cleanJournal(), [][]uint64{{1, 2, 3}}},
		{"two in turn", cleanJournal().ok("Again", "", true), [][]uint64{{1, 2, 3}, {4}}},
		{
			"overlapping",
			new(journal).ok("A", "", false).add(body("B", "", false), 200, "", second).
				ok("A2", testKey, true).add(body("B2", key2, true), 200, okReply),
			[][]uint64{{1, 3}, {2, 4}},
		},
		{"a retried first call", new(journal).code("A", "", false, 20004).ok("A", "", false).ok("A2", testKey, true), [][]uint64{{1, 2, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]uint64
			for _, part := range splitAnswers(tc.j.ex, v1) {
				var seqs []uint64
				for _, e := range part {
					seqs = append(seqs, e.Seq)
				}
				got = append(got, seqs)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("answers (-want +got):\n%s", d)
			}
		})
	}
}

// TestBotReportsSayBot: a bot run's reports say that the transcript holds
// the callbacks and that the process is the bot; a client run's do not.
func TestBotReportsSayBot(t *testing.T) {
	for _, bot := range []bool{false, true} {
		rep := &Report{Bot: bot, Checks: BotChecks(), Cases: []CaseResult{{
			Name: "bot/x", Status: StatusFail, Checks: []CheckResult{{Name: "bot/answers", Level: Must, Outcome: Fail, Message: "no answer"}},
			Transcript: []Entry{{N: 1, Method: "POST", Path: "bot /", Role: "callback to the bot: SessionBegin"}},
		}}}
		writers := map[string]func(*strings.Builder) error{
			"console": func(b *strings.Builder) error { WriteConsole(b, rep, ConsoleOptions{}); return nil },
			"html":    func(b *strings.Builder) error { return WriteHTML(b, rep) },
			"junit":   func(b *strings.Builder) error { return WriteJUnit(b, rep) },
		}
		for name, write := range writers {
			var b strings.Builder
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(b.String(), "callbacks to the bot and its calls"); got != bot {
				t.Errorf("bot run %v: the %s report says the transcript holds callbacks: %v", bot, name, got)
			}
		}
	}
}
