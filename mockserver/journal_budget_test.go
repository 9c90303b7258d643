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
		j.add(&Exchange{Seq: uint64(i), Method: method, Path: path})
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
	j.add(e)
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
		j.add(journalEntry(i, "b"))
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
