package mockserver

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/deskmock/deskmock/internal/textcut"
)

// Every string an exchange holds counts against the journal's budget.
func TestJournalCountsEveryField(t *testing.T) {
	long := strings.Repeat("z", 10_000)
	fields := []struct {
		name string
		set  func(e *Exchange)
	}{
		{"query", func(e *Exchange) { e.Query = long }},
		{"body", func(e *Exchange) { e.Body = long }},
		{"reply", func(e *Exchange) { e.Reply = long }},
		{"detail", func(e *Exchange) { e.Detail = long }},
		{"session id", func(e *Exchange) { e.SessionID = long }},
		{"msg key", func(e *Exchange) { e.MsgKey = long }},
		{"chunk", func(e *Exchange) { e.Chunk = long }},
		{"check", func(e *Exchange) { e.Check = "x" + checkTrigger + checkTrigger }},
		{"fault", func(e *Exchange) { e.Fault = long }},
		{"action", func(e *Exchange) { e.Action = long }},
		{"method", func(e *Exchange) { e.Method = "GET" }},
		{"path", func(e *Exchange) { e.Path = "/v4/x" }},
	}
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			var e Exchange
			base := entryBytes(&e)
			f.set(&e)
			if entryBytes(&e) <= base {
				t.Errorf("entryBytes ignores the %s", f.name)
			}
		})
	}
}

// 60 KB methods and paths are cut with a marker, and what is kept of them
// counts: a flood of them stays within the budget.
func TestJournalCutsLongMethodsAndPaths(t *testing.T) {
	j := newJournal(1000, 200_000, nil)
	path := "/" + strings.Repeat("p", 60_000)
	method := strings.Repeat("M", 60_000)
	for i := 1; i <= 1000; i++ {
		j.add(&Exchange{Seq: uint64(i), Method: method, Path: path}, 0)
		if held := j.held(); held > j.budget {
			t.Fatalf("after %d: %d bytes held, budget %d", i, held, j.budget)
		}
	}
	got := j.list(ExchangeFilter{Limit: 1})[0]
	if want := path[:maxJournalPath] + "...[cut: 60001 bytes]"; got.Path != want {
		t.Errorf("path %.80q..., want %.80q... (%d bytes kept, want %d)", got.Path, want, len(got.Path), len(want))
	}
	if want := method[:maxJournalMethod] + "...[cut: 60000 bytes]"; got.Method != want {
		t.Errorf("method %q, want %q", got.Method, want)
	}
	if n := len(j.list(ExchangeFilter{})); n < 40 { // 3 if the 120 KB counted
		t.Errorf("only %d exchanges kept: the cut parts still count", n)
	}
	if short := (&Exchange{Path: EndpointPath, Method: "POST"}); textcut.Cut(short.Path, maxJournalPath) != EndpointPath || textcut.Cut(short.Method, maxJournalMethod) != "POST" {
		t.Error("a short path or method is changed")
	}
	// The method and query share the request line's memory; once the
	// path is cut, what is kept must not hold the long line.
	line := "POST " + path + "?q=1 HTTP/1.1"
	e := &Exchange{Seq: 2000, Method: line[:4], Path: line[5 : 5+len(path)], Query: line[6+len(path) : 9+len(path)]}
	j.add(e, 0)
	kept := j.list(ExchangeFilter{Limit: 1})[0]
	for _, field := range []string{kept.Method, kept.Path, kept.Query} {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(field))); p >= uintptr(unsafe.Pointer(unsafe.StringData(line))) && p < uintptr(unsafe.Pointer(unsafe.StringData(line)))+uintptr(len(line)) {
			t.Errorf("the journal keeps %.20q, a part of the 60 KB request line", field)
		}
	}
	if got := textcut.Cut("ab中", 3); got != "ab...[cut: 5 bytes]" {
		t.Errorf("cut in the middle of a rune: %q", got)
	}
}

// Before and Limit page back through the journal, newest page first; a
// listing with a Limit never holds more than Limit exchanges.
func TestJournalPages(t *testing.T) {
	j := newJournal(100, defaultJournalBytes, nil)
	for i := 1; i <= 25; i++ {
		j.add(journalEntry(i, "b"), 0)
	}
	var pages [][]uint64
	for before := uint64(0); ; {
		page := j.list(ExchangeFilter{Limit: 10, Before: before})
		if len(page) == 0 {
			break
		}
		pages = append(pages, seqs(page))
		before = page[0].Seq
	}
	want := "[[16 17 18 19 20 21 22 23 24 25] [6 7 8 9 10 11 12 13 14 15] [1 2 3 4 5]]"
	if got := fmt.Sprint(pages); got != want {
		t.Errorf("pages %s, want %s", got, want)
	}
}

// limits.journal_bytes sets the journal's budget; its default is
// defaultJournalBytes.
func TestJournalBytesFromConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.JournalBytes = 100_000
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.journal.budget != 100_000 {
		t.Errorf("budget %d, want 100000", s.journal.budget)
	}
	if s, _ := New(DefaultConfig()); s.journal.budget != defaultJournalBytes {
		t.Errorf("default budget %d", s.journal.budget)
	}
}

// The journal keeps an exchange's strings in memory of its own, never in
// what the caller holds (the request line, a body it was not given), and
// counts each byte it keeps once: a body and an envelope that are the
// exchange's own are kept as they are, and what lies within them (the
// session ID, chunk, sent MsgKey, RequestId) shares them. The query is
// kept without its UserSig.
func TestJournalOwnsWhatItKeeps(t *testing.T) {
	line := "POST " + EndpointPath + "?sdkappid=1&usersig=secret&random=1 HTTP/1.1"
	path, query := line[5:5+len(EndpointPath)], line[6+len(EndpointPath):len(line)-len(" HTTP/1.1")]
	body := `{"SessionId":"` + testSession + `","Chunk":"Hello","MsgKey":"a-sent-key"}`
	reply := `{"ActionStatus":"OK","ErrorCode":0,"RequestId":"req-1"}`
	in := func(s, sub string) string { i := strings.Index(s, sub); return s[i : i+len(sub)] }
	for _, c := range []struct {
		name string
		own  ownership
	}{
		{"nothing owned", 0},
		{"body owned", ownsBody},
		{"body and reply owned", ownsBody | ownsReply},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := newJournal(10, defaultJournalBytes, nil)
			j.add(&Exchange{Method: line[:4], Path: path, Query: query, Body: body, Reply: reply,
				SessionID: in(body, testSession), Chunk: in(body, "Hello"), SentMsgKey: in(body, "a-sent-key"),
				MsgKey: in(body, "a-sent-key"), RequestID: in(reply, "req-1"), Detail: line[:0]}, c.own)
			kept := j.ring[j.head]
			for name, s := range map[string]string{"method": kept.Method, "path": kept.Path, "query": kept.Query} {
				if within(s, line) {
					t.Errorf("the %s is a part of the request line", name)
				}
			}
			wantBody, wantReply := c.own&ownsBody != 0, c.own&ownsReply != 0
			if same := unsafe.StringData(kept.Body) == unsafe.StringData(body); same != wantBody {
				t.Errorf("the body is the caller's: %v, want %v", same, wantBody)
			}
			if same := unsafe.StringData(kept.Reply) == unsafe.StringData(reply); same != wantReply {
				t.Errorf("the reply is the caller's: %v, want %v", same, wantReply)
			}
			for name, s := range map[string]string{"session ID": kept.SessionID, "chunk": kept.Chunk, "sent MsgKey": kept.SentMsgKey, "MsgKey": kept.MsgKey} {
				if !within(s, kept.Body) {
					t.Errorf("the %s %q does not share the kept body", name, s)
				}
				if !wantBody && within(s, body) {
					t.Errorf("the %s is a part of a body the exchange does not own", name)
				}
			}
			if !within(kept.RequestID, kept.Reply) || (!wantReply && within(kept.RequestID, reply)) {
				t.Error("the RequestId does not share the kept reply, or shares the caller's")
			}
			redacted := "sdkappid=1&usersig=REDACTED&random=1"
			if kept.Body != body || kept.Reply != reply || kept.SessionID != testSession || kept.RequestID != "req-1" || kept.Query != redacted || kept.Detail != "" {
				t.Errorf("the kept exchange is not the one given: %+v", kept)
			}
			// Each byte once: the body, the reply, and the request line's
			// parts, which are all that is copied apart from them.
			want := exchangeFixedBytes + int64(len(body)+len(reply)+len("POST")+len(path)+len(redacted))
			if got := entryBytes(&kept); got != want || j.bytes != want {
				t.Errorf("counted %d (journal %d), want %d", got, j.bytes, want)
			}
		})
	}
}
