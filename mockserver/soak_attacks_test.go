package mockserver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// streamsHeapStop is the heap in use at which the long streams stop, so
// that a stream store without a byte bound cannot exhaust the machine.
const streamsHeapStop = 512 << 20

// memoryGoal is the resident memory the server must stay under, whatever
// it is sent, with the default configuration.
const memoryGoal = 512 << 20

// BenchmarkSoakAttacks sends, through the handler of one server with the
// default configuration, the traffic that once grew memory without bound:
// requests with 12 KB session IDs and no credentials, 60 KB paths, fault
// rule spam (60 KB rules past the cap, 1 MiB bodies), session spam past the
// cap, and many long open streams of 11 KB chunks. Then it times every
// admin list with the stores full. It reports the peak RSS of the process
// (VmHWM), the heap in use at the end and the slowest list, and fails when
// the peak RSS passes 512 MiB or a list takes a second or more. The long
// streams stop early once the heap passes streamsHeapStop. Run it alone:
//
//	go test -run '^$' -bench SoakAttacks -benchtime=1x ./mockserver/
func BenchmarkSoakAttacks(b *testing.B) {
	// As serve sets it, unless GOMEMLIMIT says otherwise.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(DefaultMemoryLimit))
	}
	for i := 0; i < b.N; i++ {
		soakAttacks(b)
	}
}

func soakAttacks(b *testing.B) {
	s, target := newBenchServer(b)
	h := s.Handler()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w
	}
	phase := func(name string, f func()) {
		start := time.Now()
		f()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.Logf("%-26s %6.1fs  heap in use %4d MiB  peak RSS %4d MiB", name, time.Since(start).Seconds(), ms.HeapInuse>>20, peakRSS(b)>>20)
	}

	phase("12 KB session IDs", func() {
		body := `{"SessionId":"` + strings.Repeat("s", 12_000) + `","Chunk":"x"}`
		for range 20_000 {
			do("POST", EndpointPath, body)
		}
		if n := len(s.calls.count); n != 0 {
			b.Errorf("the call counter holds %d sessions of unauthenticated requests", n)
		}
	})
	phase("60 KB paths", func() {
		path := "/v4/" + strings.Repeat("p", 60_000)
		for range 10_000 {
			do("POST", path, "{}")
		}
		if held := s.journal.held(); held > s.cfg.Limits.JournalBytes {
			b.Errorf("the journal holds %d MiB", held>>20)
		}
	})
	phase("fault rule spam", func() {
		rule := `{"match":{"chunk_contains":"` + strings.Repeat("r", 60_000) + `"},"action":{"delay_ms":1}}`
		created := 0
		for range 1_500 {
			if do("POST", "/__admin/faults", rule).Code == http.StatusCreated {
				created++
			}
		}
		huge := `{"match":{"chunk_contains":"` + strings.Repeat("r", 1<<20) + `"},"action":{"delay_ms":1}}`
		for range 50 {
			if c := do("POST", "/__admin/faults", huge).Code; c != http.StatusRequestEntityTooLarge {
				b.Errorf("a 1 MiB rule: status %d", c)
			}
		}
		if created != maxFaults {
			b.Errorf("%d rules created, want the cap %d", created, maxFaults)
		}
	})
	phase("session spam", func() {
		opened := 0
		for n := range maxSessions + 10_000 {
			if do("POST", "/__admin/sessions", `{"session_id":"`+uuidOf(n)+`"}`).Code == http.StatusCreated {
				opened++
			}
		}
		if opened != maxSessions {
			b.Errorf("%d sessions opened, want the cap %d", opened, maxSessions)
		}
	})
	aborted := false
	phase("long open streams", func() {
		const streams, chunks = 2_200, 200
		chunk := strings.Repeat("c", 11_000)
		keys := make([]string, streams)
		deadline := time.Now().Add(90 * time.Second)
		var ms runtime.MemStats
		for c := 0; c < chunks && !aborted; c++ {
			for n := range streams {
				body := `{"SessionId":"` + uuidOf(1_000_000+n) + `","Chunk":"` + chunk + `"`
				if keys[n] != "" {
					body += `,"MsgKey":"` + keys[n] + `"`
				}
				rep := do("POST", target, body+"}").Body.String()
				if keys[n] == "" {
					if k, ok := msgKeyOf([]byte(rep)); ok {
						keys[n] = k
					}
				}
			}
			if runtime.ReadMemStats(&ms); ms.HeapInuse > streamsHeapStop {
				runtime.GC()
				runtime.ReadMemStats(&ms)
			}
			if ms.HeapInuse > streamsHeapStop || time.Now().After(deadline) {
				b.Logf("long streams stopped after %d chunks of %d streams: heap in use %d MiB", c+1, streams, ms.HeapInuse>>20)
				aborted = true
			}
		}
	})

	// Every list, with the stores full.
	var slowest time.Duration
	lists := []string{"/__admin/requests", "/__admin/requests?limit=1000", "/__admin/sessions?limit=1000", "/__admin/faults?limit=1000"}
	if !aborted {
		lists = append(lists, "/__admin/streams")
	}
	for _, path := range lists {
		start := time.Now()
		w := do("GET", path, "")
		took := time.Since(start)
		b.Logf("GET %-30s %3d  %7d bytes  %v", path, w.Code, w.Body.Len(), took.Round(time.Millisecond))
		if w.Code != http.StatusOK {
			b.Errorf("GET %s: %d", path, w.Code)
		}
		slowest = max(slowest, took)
	}
	if slowest >= time.Second {
		b.Errorf("the slowest admin list took %v", slowest)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	peak := peakRSS(b)
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
	b.ReportMetric(float64(slowest.Microseconds())/1000, "slowest-list-ms")
	if aborted {
		b.ReportMetric(1, "streams-stopped")
	}
	if peak > memoryGoal || aborted {
		b.Errorf("peak RSS %d MiB (goal %d MiB); long streams stopped early: %v", peak>>20, memoryGoal>>20, aborted)
	}
	runtime.KeepAlive(s)
}

// peakRSS returns the process's peak resident set size (VmHWM).
func peakRSS(b *testing.B) uint64 { return procStatus(b, os.Getpid(), "VmHWM") }

// procStatus returns a figure in bytes of /proc/PID/status, such as VmHWM.
func procStatus(tb testing.TB, pid int, key string) uint64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Skipf("no /proc status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				tb.Fatalf("%s %q: %v", key, v, err)
			}
			return kb << 10
		}
	}
	tb.Skipf("no %s in /proc status", key)
	return 0
}
