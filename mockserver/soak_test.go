package mockserver

import (
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkSoakMillionStreams opens and finishes 1,000,000 streams through
// the handler, each on a session of its own, with the default caps
// (100,000 streams, a journal of 10,000 exchanges, 100,000 sessions
// counted), and reports the heap in use after a garbage collection at the
// end. It then opens 100,000 streams on a fresh server without finishing
// them and reports the heap each costs. Run it alone:
//
//	go test -run '^$' -bench SoakMillionStreams -benchtime=1x ./mockserver/
func BenchmarkSoakMillionStreams(b *testing.B) {
	const streams = 1_000_000
	for i := 0; i < b.N; i++ {
		base := heapAlloc()
		s, sk := newSoak(b)
		for n := 0; n < streams; n++ {
			key := sk.open(n)
			sk.finish(n, key)
		}
		b.StopTimer()
		if got, want := s.streams.len(), s.cfg.Limits.MaxStreams; got != want {
			b.Fatalf("%d streams kept, want the cap %d", got, want)
		}
		if got, want := len(s.Requests(ExchangeFilter{})), s.cfg.Limits.JournalSize; got != want {
			b.Fatalf("%d exchanges journaled, want the cap %d", got, want)
		}
		if got, want := len(s.calls.count), s.cfg.Limits.MaxStreams; got != want {
			b.Fatalf("%d sessions counted, want the cap %d", got, want)
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
		b.ReportMetric(float64(ms.HeapAlloc-base)/(1<<20), "server-heap-MiB")
		runtime.KeepAlive(s)

		// Open streams: the heap each costs, its session's count and its
		// share of the journal included.
		s, sk = newSoak(b)
		before := heapAlloc()
		for n := 0; n < s.cfg.Limits.MaxStreams; n++ {
			sk.open(streams + n)
		}
		after := heapAlloc()
		b.ReportMetric(float64(after-before)/float64(s.cfg.Limits.MaxStreams), "B/open-stream")
		runtime.KeepAlive(s)
		b.StartTimer()
	}
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// soak sends requests through a server's handler as net/http would hand
// them over: each with a request line of its own.
type soak struct {
	b      *testing.B
	h      http.Handler
	target string
	w      *benchWriter
	req    *benchRequest
	body   []byte
}

func newSoak(b *testing.B) (*Server, *soak) {
	s, target := newBenchServer(b)
	return s, &soak{b: b, h: s.Handler(), target: target, w: &benchWriter{h: http.Header{}}, req: newBenchRequest(target, "{}")}
}

// session returns the n-th session's ID.
func soakSession(b []byte, n int) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, "00000000-0000-4000-8000-"...)
	for shift := 44; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(n>>shift)&0xf])
	}
	return b
}

// send posts the body built in sk.body and returns the reply.
func (sk *soak) send() []byte {
	line := string(append([]byte("POST "), sk.target...)) // as net/http reads it
	r := sk.req.r
	r.Method, r.RequestURI = line[:4], line[5:]
	r.URL.Path, r.URL.RawQuery = line[5:5+len(EndpointPath)], line[6+len(EndpointPath):]
	sk.req.setBody(string(sk.body))
	return sk.req.serve(sk.h, sk.w)
}

// open opens a stream on the n-th session and returns its key.
func (sk *soak) open(n int) string {
	sk.body = append(sk.body[:0], `{"SessionId":"`...)
	sk.body = soakSession(sk.body, n)
	sk.body = append(sk.body, `","Chunk":"Hello, this is chunk `...)
	sk.body = strconv.AppendInt(sk.body, int64(n), 10)
	sk.body = append(sk.body, `"}`...)
	rep := sk.send()
	key, ok := msgKeyOf(rep)
	if !ok {
		sk.b.Fatalf("opening stream %d: %q", n, rep)
	}
	return key
}

// finish sends the last chunk of the n-th session's stream.
func (sk *soak) finish(n int, key string) {
	sk.body = append(sk.body[:0], `{"SessionId":"`...)
	sk.body = soakSession(sk.body, n)
	sk.body = append(sk.body, `","Chunk":" and the last one.","MsgKey":"`...)
	sk.body = append(sk.body, key...)
	sk.body = append(sk.body, `","Finish":1}`...)
	if rep := sk.send(); !isOKReply(rep) {
		sk.b.Fatalf("finishing stream %d: %q", n, rep)
	}
}
