package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// plainSink is a journal sink that is not safe for concurrent use, as
// Config.Journal allows: the server writes one line at a time. Under -race
// a concurrent write is reported.
type plainSink struct{ b bytes.Buffer }

func (p *plainSink) Write(b []byte) (int, error) { return p.b.Write(b) }

// sent is one request as its client saw it.
type sent struct {
	chunk   string
	msgKey  string // the request's, or the one the reply issued
	code    int    // the reply's ErrorCode
	start   time.Time
	replied time.Time
}

// TestConcurrentStreamsLoseNothing runs 64 goroutines streaming into 128
// sessions at once and, at the same time, 8 goroutines appending to one
// stream, while a fault answers 20004 to about one request in ten (the
// client retries the same chunk). Every chunk that got an OK reply must be
// in its stream exactly once, in the order the server accepted it, and in
// the journal (in memory and in the JSON-lines sink) as applied; no chunk
// that failed may be applied; and every request is journaled once.
func TestConcurrentStreamsLoseNothing(t *testing.T) {
	const (
		workers        = 64
		streamsEach    = 2
		chunksEach     = 10
		sharedWorkers  = 8
		sharedChunks   = 25
		sharedSession  = "5a5a5a5a-0000-4000-8000-000000000001"
		retryableError = 20004
	)
	p := 0.1
	sink := &plainSink{}
	ts := NewTestServer(t, func(c *Config) {
		c.Limits.JournalSize = 20_000
		c.Journal = sink
		c.Faults = []Fault{{Action: FaultAction{ErrorCode: retryableError}, Probability: &p, Seed: 7}}
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers + sharedWorkers + 8}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	url := ts.EndpointURL()

	// call sends one chunk until it is not answered 20004, and returns
	// every attempt.
	call := func(session, chunk, msgKey string, finish bool) ([]sent, error) {
		fields := map[string]any{"SessionId": session, "Chunk": chunk}
		if msgKey != "" {
			fields["MsgKey"] = msgKey
		}
		if finish {
			fields["Finish"] = 1
		}
		body, _ := json.Marshal(fields)
		var attempts []sent
		for {
			s := sent{chunk: chunk, msgKey: msgKey, start: time.Now()}
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				return attempts, err
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			s.replied = time.Now()
			if err != nil {
				return attempts, err
			}
			var rep wireReply
			if err := json.Unmarshal(raw, &rep); err != nil || resp.StatusCode != 200 {
				return attempts, fmt.Errorf("reply %d %q", resp.StatusCode, raw)
			}
			s.code = rep.ErrorCode
			if msgKey == "" && rep.ErrorCode == 0 {
				s.msgKey = rep.MsgKey
			}
			attempts = append(attempts, s)
			if rep.ErrorCode != retryableError {
				return attempts, nil
			}
		}
	}

	var mu sync.Mutex
	var all []sent
	record := func(s []sent) {
		mu.Lock()
		all = append(all, s...)
		mu.Unlock()
	}
	errs := make(chan error, workers+sharedWorkers+1)
	var wg sync.WaitGroup

	// The shared stream is opened first.
	first, err := call(sharedSession, "shared-open|", "", false)
	if err != nil || first[len(first)-1].code != 0 {
		t.Fatalf("opening the shared stream: %v %+v", err, first)
	}
	record(first)
	shared := first[len(first)-1].msgKey

	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for s := range streamsEach {
				session := fmt.Sprintf("%08x-0000-4000-8000-%012x", w, s)
				key := ""
				for c := range chunksEach {
					chunk := fmt.Sprintf("w%02d-s%d-c%02d|", w, s, c)
					attempts, err := call(session, chunk, key, c == chunksEach-1)
					record(attempts)
					if err != nil {
						errs <- err
						return
					}
					last := attempts[len(attempts)-1]
					if last.code != 0 {
						errs <- fmt.Errorf("%s: code %d", chunk, last.code)
						return
					}
					if c == 0 {
						key = last.msgKey
					}
				}
			}
		}()
	}
	for g := range sharedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for c := range sharedChunks {
				chunk := fmt.Sprintf("g%d-c%02d|", g, c)
				attempts, err := call(sharedSession, chunk, shared, false)
				record(attempts)
				if err != nil {
					errs <- err
					return
				}
				if last := attempts[len(attempts)-1]; last.code != 0 {
					errs <- fmt.Errorf("%s: code %d", chunk, last.code)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// What the clients saw: the chunks accepted per stream, and the
	// rejected attempts.
	accepted := map[string][]sent{} // by MsgKey, in client order per stream
	rejected := 0
	for _, s := range all {
		if s.code == 0 {
			accepted[s.msgKey] = append(accepted[s.msgKey], s)
		} else {
			rejected++
		}
	}
	if rejected == 0 {
		t.Error("the fault never fired: the test exercises no failed call")
	}
	for key := range accepted {
		sort.SliceStable(accepted[key], func(i, j int) bool { return accepted[key][i].start.Before(accepted[key][j].start) })
	}

	// The journal: every request once, Seq 1..N. Each exchange was
	// journaled before its reply left, so all are there now.
	journal := ts.Requests(ExchangeFilter{})
	if len(journal) != len(all) {
		t.Fatalf("the journal holds %d exchanges, the clients sent %d", len(journal), len(all))
	}
	for i, e := range journal {
		if e.Seq != uint64(i+1) {
			t.Fatalf("journal entry %d has Seq %d: a request is missing or doubled", i, e.Seq)
		}
	}
	var fromFile []Exchange
	sc := bufio.NewScanner(bytes.NewReader(sink.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e Exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Bytes(), err)
		}
		fromFile = append(fromFile, e)
	}
	sort.Slice(fromFile, func(i, j int) bool { return fromFile[i].Seq < fromFile[j].Seq })
	if len(fromFile) != len(journal) {
		t.Fatalf("the journal file has %d lines, the journal %d", len(fromFile), len(journal))
	}
	appliedSeq := map[string]uint64{} // chunk → Seq of the exchange that applied it
	for i, e := range journal {
		f := fromFile[i]
		if f.Seq != e.Seq || f.Chunk != e.Chunk || f.Applied != e.Applied || f.MsgKey != e.MsgKey || f.Code != e.Code {
			t.Fatalf("journal file line %+v differs from the journal's %+v", f, e)
		}
		if e.Applied != (e.Code == 0) || e.Status != 200 {
			t.Errorf("journal: %q applied %v with code %d, status %d", e.Chunk, e.Applied, e.Code, e.Status)
		}
		if e.Applied {
			if _, dup := appliedSeq[e.Chunk]; dup {
				t.Errorf("journal: %q applied twice", e.Chunk)
			}
			appliedSeq[e.Chunk] = e.Seq
		}
	}

	// The streams: each holds exactly its accepted chunks, once each, in
	// the order the server accepted them.
	streams := ts.Streams()
	if want := workers*streamsEach + 1; len(streams) != want {
		t.Fatalf("%d streams, want %d", len(streams), want)
	}
	for _, st := range streams {
		acc := accepted[st.MsgKey]
		if len(st.Chunks) != len(acc) {
			t.Errorf("stream %s holds %d chunks, %d were accepted", st.MsgKey, len(st.Chunks), len(acc))
			continue
		}
		index := map[string]int{}
		for i, c := range st.Chunks {
			if _, dup := index[c]; dup {
				t.Errorf("stream %s holds %q twice", st.MsgKey, c)
			}
			index[c] = i
		}
		for _, s := range acc {
			if _, ok := index[s.chunk]; !ok {
				t.Errorf("stream %s lacks the accepted chunk %q", st.MsgKey, s.chunk)
			}
			if _, ok := appliedSeq[s.chunk]; !ok {
				t.Errorf("the journal lacks the accepted chunk %q", s.chunk)
			}
		}
		if st.MsgKey != shared {
			// One client, one call at a time: its order, and the
			// journal's.
			for i, s := range acc {
				if st.Chunks[i] != s.chunk {
					t.Errorf("stream %s: chunk %d is %q, the client's was %q", st.MsgKey, i, st.Chunks[i], s.chunk)
					break
				}
				if i > 0 && appliedSeq[s.chunk] <= appliedSeq[acc[i-1].chunk] {
					t.Errorf("stream %s: journal Seq %d of %q is not after %d", st.MsgKey, appliedSeq[s.chunk], s.chunk, appliedSeq[acc[i-1].chunk])
				}
			}
			if !st.Finished {
				t.Errorf("stream %s is not finished", st.MsgKey)
			}
			continue
		}
		// Concurrent clients: a chunk whose reply came before another
		// chunk was sent must come first, in the stream and in the
		// journal.
		if len(acc) != sharedWorkers*sharedChunks+1 {
			t.Errorf("shared stream: %d chunks accepted", len(acc))
		}
		for _, a := range acc {
			for _, b := range acc {
				if a.replied.Before(b.start) {
					if index[a.chunk] > index[b.chunk] {
						t.Errorf("shared stream: %q (replied before %q was sent) comes after it", a.chunk, b.chunk)
					}
					if appliedSeq[a.chunk] > appliedSeq[b.chunk] {
						t.Errorf("journal: %q (replied before %q was sent) has a later Seq", a.chunk, b.chunk)
					}
				}
			}
		}
		if st.Text != strings.Join(st.Chunks, "") {
			t.Errorf("shared stream text %q", st.Text)
		}
	}
}
