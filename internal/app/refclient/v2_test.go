package refclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
	"github.com/deskmock/deskmock/mockserver/codes"
)

// TestStreamV2 streams on each indexed endpoint (send_stream_msg_v2, the
// native C2C and group streams) against the mock with the vendor's rules
// (5 calls a second) or a short idle timeout, and checks the streams the
// mock holds and the codes it answered.
func TestStreamV2(t *testing.T) {
	t.Parallel()
	three := []string{"**Hello**, ", "this is ", "Tencent Cloud."}
	var twelve []string
	for i := range 12 {
		twelve = append(twelve, string(rune('a'+i)))
	}
	idle := mockserver.StreamRules{IdleTimeout: 300 * time.Millisecond, RefuseAfterEnd: true, CallsPerSecond: 5}
	tests := []indexedCase{
		{name: "three chunks", chunks: three, wantOK: true, wantTexts: []string{strings.Join(three, "")}, wantCalls: 3},
		{name: "twelve chunks are paced", chunks: twelve, wantOK: true, wantTexts: []string{strings.Join(twelve, "")}, wantCalls: 12},
		{
			name: "reset after apply: the retry's 141004 means applied", chunks: three,
			faults:     []mockserver.Fault{{Match: mockserver.FaultMatch{Call: 2}, Action: mockserver.FaultAction{Reset: true, When: mockserver.ResetAfterApply}, Times: 1}},
			wantOK:     true,
			wantTexts:  []string{strings.Join(three, "")},
			wantCalls:  4,
			wantChecks: []codes.Check{codes.CheckChunkIndex},
		},
		{
			name: "idle past the timeout: the message is sent anew", chunks: three, pauses: []int{0, 0, 500}, rules: &idle,
			wantOK:     true,
			wantTexts:  []string{"**Hello**, this is ", strings.Join(three, "")},
			wantCalls:  6,
			wantChecks: []codes.Check{codes.CheckStreamIdleEnded},
		},
		{
			name: "bug: no pacing meets the rate", chunks: twelve, bugs: Bugs{NoPacing: true},
			wantTexts:  []string{"abcde"},
			wantCalls:  6,
			wantChecks: []codes.Check{codes.CheckStreamRate},
		},
		{
			name: "bug: keep a dead stream", chunks: three, pauses: []int{0, 0, 500}, rules: &idle, bugs: Bugs{KeepDeadStream: true},
			wantOK:     true,
			wantTexts:  []string{"**Hello**, this is ", strings.Join(three, "")},
			wantCalls:  7,
			wantChecks: []codes.Check{codes.CheckStreamIdleEnded, codes.CheckStreamIdleEnded},
		},
	}
	conversations := []struct {
		version string
		in      Input
	}{
		{mockserver.V2, Input{SessionID: "fd8a2e30-54de-4e40-bcaf-02718409c5cf"}},
		{mockserver.C2C, Input{ToAccount: "bob"}},
		{mockserver.C2C, Input{FromAccount: "bot", ToAccount: "bob"}},
		{mockserver.Group, Input{GroupID: "g1", FromAccount: "bot"}},
	}
	for _, conv := range conversations {
		for _, tt := range tests {
			t.Run(conv.version+"/"+conv.in.FromAccount+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				tt.run(t, conv.version, conv.in)
			})
		}
	}
}

// indexedCase is a message streamed to an indexed endpoint, and what comes
// of it.
type indexedCase struct {
	name      string
	chunks    []string
	pauses    []int
	rules     *mockserver.StreamRules
	faults    []mockserver.Fault
	bugs      Bugs
	wantOK    bool
	wantTexts []string
	wantCalls int
	// wantChecks are the mock's refusals, in order.
	wantChecks []codes.Check
}

// run streams the case with the client, in the conversation conv names,
// against a test server, and checks the answer, the streams and the
// mock's refusals.
func (tt indexedCase) run(t *testing.T, version string, conv Input) {
	t.Helper()
	var opts []mockserver.Option
	if tt.rules != nil {
		opts = append(opts, mockserver.WithStreamRules(version, *tt.rules))
	}
	ts := mockserver.NewTestServer(t, opts...)
	for _, f := range tt.faults {
		if _, err := ts.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	in := conv
	in.BaseURL, in.SDKAppID, in.Identifier, in.SecretKey = ts.URL, ts.App.SDKAppID, ts.Identifier, ts.App.SecretKey
	in.Chunks, in.Version, in.PausesMS = tt.chunks, version, tt.pauses
	got := Stream(context.Background(), in, Options{Backoff: time.Millisecond, Bugs: tt.bugs})
	if got.OK != tt.wantOK {
		t.Errorf("answer = %+v, want ok %v", got, tt.wantOK)
	}
	streams := ts.Streams()
	var texts []string
	for _, s := range streams {
		texts = append(texts, s.Text)
	}
	if tt.wantOK && (len(streams) == 0 || got.MsgKey != streams[len(streams)-1].MsgKey) {
		t.Errorf("answer's msg_key %q is not the last stream's key", got.MsgKey)
	}
	if strings.Join(texts, "|") != strings.Join(tt.wantTexts, "|") {
		t.Errorf("stream texts = %q, want %q", texts, tt.wantTexts)
	}
	ex := ts.Requests(mockserver.ExchangeFilter{})
	var refused []codes.Check
	for _, e := range ex {
		if e.Check != "" {
			refused = append(refused, e.Check)
		}
		if e.Version != version {
			t.Errorf("request #%d went to %s (%s), want %s", e.Seq, e.Version, e.Path, version)
		}
	}
	if len(ex) != tt.wantCalls || strings.Join(checkNames(refused), " ") != strings.Join(checkNames(tt.wantChecks), " ") {
		t.Errorf("%d requests refused by %v, want %d refused by %v", len(ex), refused, tt.wantCalls, tt.wantChecks)
	}
}

func checkNames(cs []codes.Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// TestPacer checks the sliding window: five calls go at once, the sixth
// waits for a second after the first ended.
func TestPacer(t *testing.T) {
	t.Parallel()
	var p pacer
	start := time.Now()
	for range CallsPerSecond {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.done(start)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("five calls waited %s", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.wait(ctx); err == nil {
		t.Errorf("the sixth call did not wait for the window")
	}
}
