package mockserver

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deskmock/deskmock/mockserver/codes"
)

var msgKeyShape = regexp.MustCompile(`^[0-9]+_[0-9]{10}_[0-9a-f]{25}$`)

func TestStreamLife(t *testing.T) {
	ts := NewTestServer(t)
	url := ts.EndpointURL()
	first := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"Hello, "}`)
	if first.ErrorCode != 0 || !msgKeyShape.MatchString(first.MsgKey) {
		t.Fatalf("first call: %+v, want OK and a MsgKey shaped like the vendor's", first)
	}
	mid := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"this is ","MsgKey":"`+first.MsgKey+`","Finish":0}`)
	last := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"Tencent Cloud.","MsgKey":"`+first.MsgKey+`","Finish":1}`)
	for _, r := range []wireReply{mid, last} {
		if diff := cmp.Diff(wireReply{ActionStatus: "OK"}, r); diff != "" {
			t.Errorf("later call (-want +got):\n%s", diff)
		}
	}
	after := post(t, url, `{"SessionId":"`+testSession+`","Chunk":"more","MsgKey":"`+first.MsgKey+`"}`)
	if after.ErrorCode != 141004 {
		t.Errorf("call after Finish: %+v, want 141004", after)
	}
	got, ok := ts.Stream(first.MsgKey)
	if !ok {
		t.Fatal("stream not found")
	}
	want := Stream{
		MsgKey: first.MsgKey, Version: V1, SessionID: testSession, Conversation: testSession, State: StreamFinished,
		Chunks: []string{"Hello, ", "this is ", "Tencent Cloud."},
		Text:   "Hello, this is Tencent Cloud.", TextBytes: 29, Finished: true, Calls: 3,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Stream{}, "Opened", "Updated")); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

func TestStreamOneCallWithFinishReturnsMsgKey(t *testing.T) {
	ts := NewTestServer(t)
	r := post(t, ts.EndpointURL(), `{"SessionId":"`+testSession+`","Chunk":"all","Finish":1}`)
	if r.ErrorCode != 0 || r.MsgKey == "" {
		t.Fatalf("%+v, want OK with a MsgKey", r)
	}
	if st, _ := ts.Stream(r.MsgKey); !st.Finished || st.Text != "all" {
		t.Errorf("stream %+v, want finished with text \"all\"", st)
	}
}

func TestStreamsConcurrent(t *testing.T) {
	ts := NewTestServer(t)
	url := ts.EndpointURL()
	const streams, chunks = 16, 8
	var wg sync.WaitGroup
	keys := make([]string, streams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session := fmt.Sprintf("00000000-1111-4222-8333-%012d", i)
			r := post(t, url, `{"SessionId":"`+session+`","Chunk":"0"}`)
			keys[i] = r.MsgKey
			for c := 1; c < chunks; c++ {
				fin := 0
				if c == chunks-1 {
					fin = 1
				}
				post(t, url, fmt.Sprintf(`{"SessionId":"%s","Chunk":"%d","MsgKey":"%s","Finish":%d}`, session, c, r.MsgKey, fin))
			}
		}()
	}
	wg.Wait()
	for i, k := range keys {
		st, ok := ts.Stream(k)
		if !ok || st.Text != "01234567" || !st.Finished {
			t.Errorf("stream %d: %+v", i, st)
		}
	}
}

func TestStreamStoreEviction(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		// ops: "o<name>" opens, "f<name>" opens finished, "a<name>" appends,
		// "+<seconds>" moves the clock.
		ops     []string
		max     int
		ttl     time.Duration
		wantIn  []string
		wantOut []string
	}{
		{"cap evicts finished first", []string{"oA", "fB", "oC", "oD"}, 3, time.Hour, []string{"A", "C", "D"}, []string{"B"}},
		{"cap evicts least recently used open", []string{"oA", "oB", "aA", "oC"}, 2, time.Hour, []string{"A", "C"}, []string{"B"}},
		{"ttl drops idle streams", []string{"oA", "+30", "oB", "+40", "oC"}, 10, time.Minute, []string{"B", "C"}, []string{"A"}},
		{"ttl counts from the last call", []string{"oA", "+50", "aA", "+50", "oB"}, 10, time.Minute, []string{"A", "B"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStreamStore(tt.max, tt.ttl)
			now := t0
			keys := map[string]string{}
			for _, op := range tt.ops {
				name := op[1:]
				switch op[0] {
				case 'o':
					keys[name] = s.create(testSession, name, false, now)
				case 'f':
					keys[name] = s.create(testSession, name, true, now)
				case 'a':
					if c := s.add(keys[name], testSession, "+", false, now); c != "" {
						t.Fatalf("append to %s: %s", name, c)
					}
				case '+':
					var sec int
					fmt.Sscan(name, &sec)
					now = now.Add(time.Duration(sec) * time.Second)
				}
			}
			for _, n := range tt.wantIn {
				if _, ok := s.get(keys[n]); !ok {
					t.Errorf("stream %s was evicted", n)
				}
			}
			for _, n := range tt.wantOut {
				if _, ok := s.get(keys[n]); ok {
					t.Errorf("stream %s was kept", n)
				}
				if c := s.add(keys[n], testSession, "x", false, now); c != codes.CheckMsgKeyUnknown {
					t.Errorf("append to evicted %s: %q, want %s", n, c, codes.CheckMsgKeyUnknown)
				}
			}
		})
	}
}

func TestMsgKeysUnique(t *testing.T) {
	s := newStreamStore(1000, time.Hour)
	seen := map[string]bool{}
	now := time.Now()
	for range 1000 {
		k := s.create(testSession, "", false, now)
		if seen[k] || !msgKeyShape.MatchString(k) {
			t.Fatalf("key %q repeated or misshapen", k)
		}
		seen[k] = true
	}
}
