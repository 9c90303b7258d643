package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/deskmock/deskmock/mockserver/codes"
)

// The stores that grow with traffic are bounded: the journal by its size
// and its text budget, the streams by their count, the call counter by the
// stream count. These tests check the bounds and what survives them.

func journalEntry(seq int, body string) *Exchange {
	return &Exchange{Seq: uint64(seq), Body: body, Query: "sdkappid=1&usersig=secret&random=1", Reply: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`}
}

func seqs(es []Exchange) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestJournalKeepsTheNewest(t *testing.T) {
	j := newJournal(3, defaultJournalBytes, nil)
	for i := 1; i <= 10; i++ {
		j.add(journalEntry(i, "b"), 0)
	}
	if got := seqs(j.list(ExchangeFilter{})); len(got) != 3 || got[0] != 8 || got[2] != 10 {
		t.Errorf("kept %v, want 8 9 10", got)
	}
	if got := seqs(j.list(ExchangeFilter{Limit: 2})); len(got) != 2 || got[0] != 9 {
		t.Errorf("limit 2: %v", got)
	}
	j.clear()
	if got := j.list(ExchangeFilter{}); len(got) != 0 || j.held() != 0 {
		t.Errorf("after clear: %v, %d bytes", got, j.held())
	}
	j.add(journalEntry(11, "b"), 0)
	if got := seqs(j.list(ExchangeFilter{})); len(got) != 1 || got[0] != 11 {
		t.Errorf("after clear and one more: %v", got)
	}
}

func TestJournalTextBudget(t *testing.T) {
	j := newJournal(1000, defaultJournalBytes, nil)
	j.budget = 10_000
	body := strings.Repeat("x", 1000)
	per := entryBytes(journalEntry(0, body))
	for i := 1; i <= 100; i++ {
		j.add(journalEntry(i, body), 0)
		if held := j.held(); held > j.budget {
			t.Fatalf("after %d: %d bytes held, budget %d", i, held, j.budget)
		}
	}
	got := seqs(j.list(ExchangeFilter{}))
	// The ring's places count whether filled or not: each exchange kept
	// adds its strings to its place.
	if want := int((j.budget - int64(j.places())*journalSlotBytes) / (per - journalSlotBytes)); len(got) != want || got[len(got)-1] != 100 || got[0] != uint64(100-want+1) {
		t.Errorf("kept %v, want the newest %d", got, want)
	}
	// One exchange larger than the budget is still kept, alone.
	j.add(journalEntry(101, strings.Repeat("y", 20_000)), 0)
	if got := seqs(j.list(ExchangeFilter{})); len(got) != 1 || got[0] != 101 {
		t.Errorf("kept %v, want only 101", got)
	}
	j.add(journalEntry(102, "small"), 0)
	if got := seqs(j.list(ExchangeFilter{})); len(got) != 1 || got[0] != 102 {
		t.Errorf("kept %v, want only 102", got)
	}
}

// The default journal holds its 10,000 exchanges of ordinary requests and,
// of bodies at the 12 KiB limit, as many as defaultJournalBytes holds.
func TestJournalDefaultBounds(t *testing.T) {
	j := newJournal(defaultJournalSize, defaultJournalBytes, nil)
	small := `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, "}`
	for i := 1; i <= defaultJournalSize; i++ {
		j.add(journalEntry(i, small), 0)
	}
	if n := len(j.list(ExchangeFilter{})); n != defaultJournalSize {
		t.Errorf("%d small exchanges kept, want %d", n, defaultJournalSize)
	}
	large := strings.Repeat("x", defaultMaxBodyBytes)
	for i := 1; i <= defaultJournalSize; i++ {
		j.add(journalEntry(defaultJournalSize+i, large), 0)
	}
	if held := j.held(); held > defaultJournalBytes {
		t.Errorf("%d MiB of text held", held>>20)
	}
	// The ring's places are counted whether filled or not.
	if n := len(j.list(ExchangeFilter{})); n < (defaultJournalBytes-defaultJournalSize*int(journalSlotBytes))/(defaultMaxBodyBytes+200) {
		t.Errorf("only %d large exchanges kept", n)
	}
}

func TestJournalConcurrentAdds(t *testing.T) {
	j := newJournal(64, defaultJournalBytes, nil)
	j.budget = 64 * 30
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				j.add(journalEntry(g*1000+i+1, strings.Repeat("x", i%50)), 0)
			}
		}()
	}
	for i := 0; i < 20; i++ {
		j.list(ExchangeFilter{})
	}
	wg.Wait()
	held := int64(cap(j.ring)-j.count) * journalSlotBytes // the places not filled
	for k := 0; k < j.count; k++ {
		held += entryBytes(&j.ring[(j.head+k)%len(j.ring)])
	}
	if held != j.held() {
		t.Errorf("the exchanges and the empty places hold %d bytes, the count says %d", held, j.held())
	}
	if n := len(j.list(ExchangeFilter{})); n == 0 || n > 64 {
		t.Errorf("%d exchanges kept", n)
	}
}

// The journal keeps the UserSig in memory and redacts it on the way out,
// to the admin API and to the file alike.
func TestJournalRedactsOnTheWayOut(t *testing.T) {
	var sink bytes.Buffer
	j := newJournal(4, defaultJournalBytes, &sink)
	if err := j.add(journalEntry(1, "b"), 0); err != nil {
		t.Fatal(err)
	}
	if q := j.list(ExchangeFilter{})[0].Query; q != "sdkappid=1&usersig=REDACTED&random=1" {
		t.Errorf("listed query %q", q)
	}
	var line Exchange
	if err := json.Unmarshal(sink.Bytes(), &line); err != nil || line.Query != "sdkappid=1&usersig=REDACTED&random=1" {
		t.Errorf("file line %s: %v", sink.Bytes(), err)
	}
}

// Keys that differ from an issued one in any way are unknown, though they
// start with its sequence number.
func TestStreamStoreKnowsOnlyIssuedKeys(t *testing.T) {
	s := newStreamStore(10, time.Hour)
	now := time.Unix(1700000000, 0)
	key := s.create(testSession, "a", false, now)
	i := strings.IndexByte(key, '_')
	last := key[len(key)-1]
	other := byte('0')
	if last == '0' {
		other = '1'
	}
	for _, k := range []string{"", "_", "1", key[:i], key + "0", key[:len(key)-1], key[:len(key)-1] + string(other), "0" + key, "+" + key,
		strings.ToUpper(key), key[:i+1] + "1" + key[i+2:], "18446744073709551616" + key[i:]} {
		if k == key {
			continue
		}
		if c := s.add(k, testSession, "x", false, now); c != codes.CheckMsgKeyUnknown {
			t.Errorf("key %q: %q, want %s", k, c, codes.CheckMsgKeyUnknown)
		}
	}
	if c := s.add(key, testSession, "b", true, now); c != "" {
		t.Fatalf("the issued key: %q", c)
	}
	st, ok := s.get(key)
	if !ok || st.MsgKey != key || st.Text != "ab" || len(st.Chunks) != 2 || !st.Finished {
		t.Errorf("stream %+v", st)
	}
	if n := s.len(); n != 1 {
		t.Errorf("%d streams", n)
	}
}

func TestStreamChunksKeepTheirBoundaries(t *testing.T) {
	s := newStreamStore(10, time.Hour)
	now := time.Now()
	chunks := []string{"", "a", "", "中文", "\n", ""}
	key := s.create(testSession, chunks[0], false, now)
	for _, c := range chunks[1:] {
		if got := s.add(key, testSession, c, false, now); got != "" {
			t.Fatal(got)
		}
	}
	st, _ := s.get(key)
	if strings.Join(st.Chunks, "|") != strings.Join(chunks, "|") || len(st.Chunks) != len(chunks) || st.Calls != len(chunks) || st.Text != "a中文\n" {
		t.Errorf("stream %+v", st)
	}
}

// uuidOf returns a well-formed SessionId made of n.
func uuidOf(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// The call counter keeps at most max sessions, with copies of their IDs.
func TestCallCounterBounded(t *testing.T) {
	c := newCallCounter(100)
	body := []byte(`{"SessionId":"00000000-0000-0000-0000-000000000000"}`)
	for i := 0; i < 1000; i++ {
		id := uuidOf(i)
		n, kept := c.next([]byte(id))
		if n != 1 || kept != id {
			t.Fatalf("%s: %d %q", id, n, kept)
		}
	}
	if len(c.count) != 100 || len(c.order)-c.head != 100 || len(c.order) > 200 {
		t.Errorf("%d sessions counted, order %d from %d", len(c.count), len(c.order), c.head)
	}
	if n, _ := c.next([]byte(uuidOf(999))); n != 2 {
		t.Errorf("the newest: call %d, want 2", n)
	}
	if n, _ := c.next([]byte(uuidOf(0))); n != 1 {
		t.Errorf("the oldest, forgotten: call %d, want 1", n)
	}
	text := string(body)
	id := text[14:50]
	if _, kept := c.next([]byte(id)); kept != id || unsafe.StringData(kept) == unsafe.StringData(id) {
		t.Errorf("the counter keeps %q, a part of the caller's string", kept)
	}
}

// The call counter's bytes stay under its budget whatever its count bound.
func TestCallCounterBytesBounded(t *testing.T) {
	c := newCallCounter(1 << 30)
	per := len(uuidOf(0)) + callCounterEntryBytes
	c.budget = 50 * per
	for i := 0; i < 1000; i++ {
		c.next([]byte(uuidOf(i)))
		if c.bytes > c.budget {
			t.Fatalf("after %d sessions: %d bytes held, budget %d", i+1, c.bytes, c.budget)
		}
	}
	if len(c.count) != 50 {
		t.Errorf("%d sessions counted, want 50", len(c.count))
	}
	if n, _ := c.next([]byte(uuidOf(999))); n != 2 {
		t.Errorf("the newest: call %d, want 2", n)
	}
}

// A conversation whose names cannot be valid is neither counted nor
// copied: 12 KB IDs with no credentials hold nothing.
func TestCallCounterIgnoresInvalidIDs(t *testing.T) {
	ts := NewTestServer(t)
	url := func(path string) string {
		return ts.URL + path + "?" + Query(1400000001, "administrator", ts.SignUserSig(), 1)
	}
	long := strings.Repeat("a", 12<<10)
	bodies := []struct{ path, body string }{
		{EndpointPath, `{"SessionId":"","Chunk":"x"}`},
		{EndpointPath, `{"SessionId":"s1","Chunk":"x"}`},
		{EndpointPath, `{"SessionId":"` + long + `","Chunk":"x"}`},
		{EndpointPath, `{"SessionId":"` + uuidOf(1) + `0","Chunk":"x"}`},
		{EndpointV2Path, v2Body("g0000000-0000-0000-0000-000000000000", "", v2Chunk{1, "x", false})},
		{EndpointC2CPath, c2cBody("", long, "", v2Chunk{1, "x", false})},
		{EndpointC2CPath, c2cBody(long, "user01", "", v2Chunk{1, "x", false})},
		{EndpointGroupPath, groupBody(long, "", "", v2Chunk{1, "x", false})},
		{EndpointGroupPath, groupBody("", "", "", v2Chunk{1, "x", false})},
	}
	for _, b := range bodies {
		if r := post(t, url(b.path), b.body); r.ErrorCode == 0 {
			t.Errorf("%.60s: accepted", b.body)
		}
	}
	c := ts.calls
	if len(c.count) != 0 || len(c.order) != 0 || c.bytes != 0 {
		t.Errorf("the counter holds %d conversations, %d bytes", len(c.count), c.bytes)
	}
}
