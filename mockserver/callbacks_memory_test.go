//go:build !race

package mockserver

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The callbacks' stores count what they hold: filled to their caps, the
// live heap they leave is within 2× of their count (the queue's behind a
// stalled bot, the journal's with answers and bodies).
func TestCallbackStoresMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the callbacks' stores to their caps")
	}
	text := strings.Repeat("x", 600)
	tests := []struct {
		name    string
		fill    func(t *testing.T, s *Server)
		counted func(s *Server) int64
	}{
		{"queue behind a stalled bot", func(t *testing.T, s *Server) {
			for i := 0; s.CallbackStatus().Dropped == 0; i++ {
				if err := s.UserToRobot("@RBT#my_bot", "user"+strconv.Itoa(i%4), text+strconv.Itoa(i)); err != nil {
					t.Fatal(err)
				}
			}
		}, func(s *Server) int64 { return int64(s.CallbackStatus().QueuedBytes) }},
		{"journal", func(t *testing.T, s *Server) {
			for i := range 2 * maxCallbacksKept {
				s.callbacks.log.add(Callback{Seq: uint64(i), Command: strings.Clone(CommandDeskEvent), Conversation: strings.Clone(testSession),
					RequestID: strconv.Itoa(i), Body: strings.Clone(text), Attempts: []CallbackAttempt{{Answer: strings.Clone(okAnswer)}}})
			}
		}, func(s *Server) int64 { _, b := s.callbacks.log.held(); return int64(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			bot := newTestBot(t, func(int, http.ResponseWriter, *http.Request) { <-release })
			defer close(release)
			s, err := New(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			s.SetCallbacks(0, Callbacks{URL: bot.URL, Timeout: Duration(time.Minute)})
			before := heapAlloc()
			tt.fill(t, s)
			heap := int64(heapAlloc()) - int64(before)
			counted := tt.counted(s)
			t.Logf("%-30s counted %6.2f MiB  live heap %6.2f MiB  (%.2f×)", tt.name, mib(counted), mib(heap), float64(heap)/float64(counted))
			if heap > 2*counted || 2*heap < counted {
				t.Errorf("the live heap is %.2f MiB, the store counts %.2f MiB: not within 2×", mib(heap), mib(counted))
			}
			runtime.KeepAlive(s)
		})
	}
}
