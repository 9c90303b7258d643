//go:build !race

package mockserver

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

// This file measures memory: it runs without the race detector, whose
// shadow memory would swamp the figures (.ci/run runs it on its own).

// budgetHarness sends requests through a server's handler, as net/http
// hands them over: each request parsed from its own request line, so that
// what the server keeps of a path, a query or a body shares memory with
// them exactly as it would behind a listener. With a base URL instead of a
// server, it sends them to a running deskmock over the loopback.
type budgetHarness struct {
	t      testing.TB
	s      *Server      // in the process; nil for a running binary
	h      http.Handler // s's handler
	base   string       // the running binary's URL
	client *http.Client
	target string // the v1 endpoint with valid credentials
	v2     string // the v2 endpoint with valid credentials
}

func newBudgetHarness(t testing.TB, base string) *budgetHarness {
	t.Helper()
	app := DefaultConfig().Apps[0]
	sig, err := usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], 86400, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	q := "?" + Query(app.SDKAppID, app.Admins[0], sig, 1)
	bh := &budgetHarness{t: t, base: base, target: EndpointPath + q, v2: EndpointV2Path + q}
	if base != "" {
		bh.client = &http.Client{Timeout: 10 * time.Second}
		return bh
	}
	if bh.s, err = New(DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	bh.h = bh.s.Handler()
	return bh
}

// do sends one request and returns the reply's status and body.
func (bh *budgetHarness) do(method, target, body string) (int, []byte) {
	if bh.s != nil {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Host = "127.0.0.1" // the admin API answers a loopback Host
		bh.h.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}
	r, err := http.NewRequest(method, bh.base+target, strings.NewReader(body))
	if err != nil {
		bh.t.Fatal(err)
	}
	resp, err := bh.client.Do(r)
	if err != nil {
		bh.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// post sends a body to target and returns the reply's MsgKey, "" when
// there is none.
func (bh *budgetHarness) post(target, body string) string {
	_, rep := bh.do(http.MethodPost, target, body)
	key, _ := msgKeyOf(rep)
	return key
}

// streamsFull reports whether the stream store let a stream go, after n
// streams; a running binary is taken to be full after as many streams as
// fill the store in the process.
func (bh *budgetHarness) streamsFull(n int) bool {
	if bh.s == nil {
		return n >= streamsBytesFill
	}
	if bh.s.streams.evictedCount() == 0 {
		return false
	}
	bh.t.Logf("the store evicted after %d streams", n)
	return true
}

// streamsBytesFill is how many streams of the mix of streamsBytes fill the
// store past its byte cap (about 38,000 do).
const streamsBytesFill = 50_000

// pad returns n bytes of insignificant JSON whitespace of every kind.
func pad(n int) string {
	return strings.Repeat(" \t\r\n", n/4+1)[:n]
}

// escaped returns text of n bytes or so written with JSON escapes, so that
// no decoder can hand out a part of the body as it is.
func escaped(n int) string {
	return strings.Repeat(`\u00e9\n\"x`, n/12+1)
}

// budgetUUID returns the n-th session of a fill, in lower or upper case.
func budgetUUID(n int) string {
	id := fmt.Sprintf("00000000-1111-4222-8333-%012x", n)
	if n%2 == 1 {
		id = strings.ToUpper(id)
	}
	return id
}

// budgetToken builds a UserSig token from its JSON, as the vendor's tools
// do: zlib, then base64 in the token alphabet.
func budgetToken(claims string) string {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write([]byte(claims))
	zw.Close()
	enc := base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')
	return enc.EncodeToString(buf.Bytes())
}

// storeBudget is one store of the server: how to fill it to its cap with
// bodies of many shapes, how to know it is full, what it counts, and how
// to empty the other stores the fill grew too.
type storeBudget struct {
	name    string
	store   string                  // the store's field in Server
	fill    func(bh *budgetHarness) // to the store's cap
	counted func(s *Server) int64
	full    func(s *Server) error // nil when the store is at its cap
}

// memoryStores are the stores a request can grow.
var memoryStores = []storeBudget{
	{
		name:  "streams (bytes cap, many shapes)",
		store: "streams",
		fill: func(bh *budgetHarness) {
			big := strings.Repeat("b", 11_000)
			for n := 0; !bh.streamsFull(n); n++ {
				id := budgetUUID(n)
				switch n % 6 {
				case 0: // a padded first chunk: a small text in a 12 KiB body
					bh.post(bh.target, `{"SessionId":"`+id+`",`+pad(12_000)+`"Chunk":"hi"}`)
				case 1: // escapes throughout, so that the body is decoded in full
					bh.post(bh.target, `{"SessionId":"`+id+`","Chunk":"`+escaped(3000)+`"}`+pad(6000))
				case 2: // a large chunk that ends the stream
					bh.post(bh.target, `{"SessionId":"`+id+`","Chunk":"`+big+`","Finish":1}`)
				case 3: // v2, many chunks, a compatible text, padding
					bh.post(bh.v2, v2Padded(id, 60, 40_000))
				case 4: // a continuation of a stream with a padded body
					key := bh.post(bh.target, `{"SessionId":"`+id+`","Chunk":"one"}`)
					bh.post(bh.target, `{"MsgKey":"`+key+`",`+pad(11_000)+`"SessionId":"`+id+`","Chunk":"two"}`)
				case 5: // many members: a v1 body of 300 keys; at times 300 chunks
					bh.post(bh.target, manyKeys(id, 300))
					if n%60 == 5 {
						bh.post(bh.v2, v2Padded(budgetUUID(n+1<<30), 300, 0))
					}
				}
			}
		},
		counted: func(s *Server) int64 { return s.streams.held() },
		full: func(s *Server) error {
			if s.streams.evictedCount() == 0 {
				return fmt.Errorf("nothing evicted")
			}
			return nil
		},
	},
	{
		name:  "streams (count cap, 100,000 padded first chunks)",
		store: "streams",
		fill: func(bh *budgetHarness) {
			for n := 0; n < defaultMaxStreams+1000; n++ {
				bh.post(bh.target, `{"SessionId":"`+budgetUUID(n)+`",`+pad(12_000)+`"Chunk":"hi"}`)
			}
		},
		counted: func(s *Server) int64 { return s.streams.held() },
		full: func(s *Server) error {
			if n := s.streams.len(); n != defaultMaxStreams {
				return fmt.Errorf("%d streams", n)
			}
			return nil
		},
	},
	{
		name:  "journal",
		store: "journal",
		fill: func(bh *budgetHarness) {
			long := "&pad=" + strings.Repeat("q", 30_000)
			validKey := "99999999999999999999_99999999999999999999_fffffffffffffffffffffffff"
			for n := 0; n < 2*defaultJournalSize; n++ {
				id := budgetUUID(n)
				switch n % 8 {
				case 0:
					bh.post(bh.target, `{"SessionId":"`+id+`",`+pad(12_000)+`"Chunk":"hi"}`)
				case 1:
					bh.post(bh.target+long, `{"SessionId":"`+id+`","Chunk":"hi"}`)
				case 2:
					bh.post("/v4/"+strings.Repeat("p", 20_000)+"?"+strings.Repeat("x", 20_000), `{"SessionId":"`+id+`"}`)
				case 3:
					bh.post(bh.target, `{"SessionId":"`+id+`","Chunk":"`+escaped(6000)+`"}`)
				case 4:
					bh.post(bh.target, `{"SessionId":"`+id+`","MsgKey":"`+validKey+`",`+pad(8000)+`"Chunk":"late"}`)
				case 5:
					bh.post(bh.target, manyKeys(id, 600))
				case 6:
					bh.post(bh.target, `{"SessionId":"`+strings.Repeat("s", 6000)+`","Chunk":"x"}`)
				case 7:
					bh.post(bh.v2, v2Padded(id, 30, 20_000))
				}
			}
		},
		counted: func(s *Server) int64 { return s.journal.held() },
		full: func(s *Server) error {
			if held, budget := s.journal.held(), s.cfg.Limits.JournalBytes; held < budget-budget/8 {
				return fmt.Errorf("%d bytes held, budget %d", held, budget)
			}
			return nil
		},
	},
	{
		name:  "call counter",
		store: "calls",
		fill: func(bh *budgetHarness) {
			for n := 0; n < defaultMaxStreams+1000; n++ {
				id := budgetUUID(n)
				switch n % 3 {
				case 0: // no credentials: refused after the count
					bh.post(EndpointPath, `{"SessionId":"`+id+`",`+pad(12_000)+`"Chunk":"hi"}`)
				case 1: // the ID written with escapes
					bh.post(EndpointPath+"?x="+strings.Repeat("y", 2000), `{"SessionId":"`+strings.ReplaceAll(id, "-", `\u002d`)+`","Chunk":"`+escaped(100)+`"}`)
				case 2:
					bh.post(EndpointPath, `{"Chunk":"hi",`+pad(4000)+`"SessionId":"`+id+`"}`)
				}
			}
		},
		counted: func(s *Server) int64 { return s.calls.held() },
		full: func(s *Server) error {
			if n := len(s.calls.count); n != defaultMaxStreams {
				return fmt.Errorf("%d sessions counted", n)
			}
			return nil
		},
	},
	{
		name:  "sessions",
		store: "sessions",
		fill: func(bh *budgetHarness) {
			for n := 0; n < maxSessions+100; n++ {
				id := budgetUUID(n)
				switch n % 3 {
				case 0:
					bh.do(http.MethodPost, "/__admin/sessions", `{"session_id":"`+id+`"}`+pad(5000))
				case 1:
					bh.do(http.MethodPost, "/__admin/sessions", `{`+pad(2000)+`"session_id":"`+strings.ReplaceAll(id, "-", `\u002d`)+`"}`)
				case 2:
					bh.do(http.MethodDelete, "/__admin/sessions/"+id, "")
				}
			}
		},
		counted: func(s *Server) int64 { return s.sessions.held() },
		full: func(s *Server) error {
			if n := len(s.sessions.list()); n != maxSessions {
				return fmt.Errorf("%d sessions", n)
			}
			return nil
		},
	},
	{
		name:  "Desk session lives",
		store: "life",
		fill: func(bh *budgetHarness) {
			user := strings.Repeat("u", 31)
			for n := 0; n < maxDeskLives; n++ {
				id := budgetUUID(n)
				bh.do(http.MethodPost, "/__admin/sessions/"+id+"/begin", `{"client_user_id":"`+user+strconv.Itoa(n%10)+`","channel_type":"SDK",`+pad(3000)+`"customer_service_id":"@`+strings.Repeat("c", 31)+`"}`)
				for range maxDeskSessionEvents - 1 {
					bh.s.Say(id, RoleUser, "x") // the events of a full life
				}
			}
		},
		counted: func(s *Server) int64 { return s.life.held() },
		full: func(s *Server) error {
			if n := len(s.life.newest(maxDeskLives + 1)); n != maxDeskLives {
				return fmt.Errorf("%d lives", n)
			}
			return nil
		},
	},
	{
		name:  "fault rules",
		store: "faults",
		fill: func(bh *budgetHarness) {
			for n := 0; n < maxFaults+10; n++ {
				var rule string
				switch n % 5 {
				case 0:
					rule = `{"match":{"chunk_contains":"` + strings.Repeat("r", 60_000) + `"},"action":{"delay_ms":1}}`
				case 1:
					rule = `{"match":{"chunk_contains":"` + escaped(9000) + `"},"action":{"error_code":20004,"error_info":"` + escaped(1000) + `"}}` + pad(500_000)
				case 2:
					rule = `{"id":"` + strings.Repeat("i", 3000) + strconv.Itoa(n) + `","match":{"session_id":"` + budgetUUID(n) + `"},"action":{"http_status":502,"body":"` + strings.Repeat("<p>", 3000) + `"}}`
				case 3:
					rule = `{"match":{"nth":` + strconv.Itoa(n+1) + `},"action":{"key_order":["RequestId","MsgKey","ErrorCode","ErrorInfo","ActionStatus"]},"probability":0.5,"seed":7}`
				case 4:
					rule = `{"match":{"chunk_contains":"` + strings.Repeat("é", 20_000) + `","finish":true,"has_msg_key":false},"action":{"reset":true,"when":"after_apply"}}`
				}
				if code, rep := bh.do(http.MethodPost, "/__admin/faults", rule); code != http.StatusCreated && n < maxFaults {
					bh.t.Errorf("rule %d: %d %s", n, code, rep)
				}
			}
		},
		counted: func(s *Server) int64 { return s.faults.held() },
		full: func(s *Server) error {
			if n := len(s.faults.rules); n != maxFaults {
				return fmt.Errorf("%d rules", n)
			}
			return nil
		},
	},
	{
		name:  "UserSig cache",
		store: "userSigs",
		fill: func(bh *budgetHarness) {
			app := DefaultConfig().Apps[0]
			long := "&pad=" + strings.Repeat("q", 40_000)
			for n := 0; n < 3*usersig.DefaultCacheSize; n++ {
				var sig string
				switch n % 4 {
				case 0: // valid tokens, each of its own lifetime
					sig, _ = usersig.Generate(app.SecretKey, app.SDKAppID, app.Admins[0], int64(3600+n), time.Now())
				case 1: // undecodable, just under the longest cached
					sig = strings.Repeat("A", 2000) + strconv.Itoa(100000+n)
				case 2: // small tokens that decompress to large claims
					sig = budgetToken(`{"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":1400000001,"TLS.time":1,"TLS.expire":` + strconv.Itoa(n) + `,"TLS.userbuf":"` + strings.Repeat("QUFB", 10_000) + `","TLS.sig":"` + strings.Repeat("A", 44) + `"}`)
				case 3: // another identifier's token: an error that quotes it
					sig = budgetToken(`{"TLS.ver":"2.0","TLS.identifier":"` + strings.Repeat("\\u0001", 5000) + strconv.Itoa(n) + `","TLS.sdkappid":1400000001,"TLS.time":1,"TLS.expire":1,"TLS.sig":"x"}`)
				}
				target := EndpointPath + "?" + Query(app.SDKAppID, app.Admins[0], sig, 1) + long
				bh.post(target, `{"SessionId":"`+budgetUUID(n%10)+`","Chunk":"hi"}`)
			}
		},
		counted: func(s *Server) int64 { return s.userSigs.Bytes() },
		full: func(s *Server) error {
			if n := s.userSigs.Len(); n != usersig.DefaultCacheSize {
				return fmt.Errorf("%d tokens", n)
			}
			return nil
		},
	},
}

// manyChunks returns n small v2 chunks, indexed from 1.
func manyChunks(n int) []v2Chunk {
	out := make([]v2Chunk, n)
	for i := range out {
		out[i] = v2Chunk{Index: i + 1, Markdown: "chunk " + strconv.Itoa(i) + " é"}
	}
	return out
}

// manyKeys returns a v1 first chunk with n members besides its own.
func manyKeys(session string, n int) string {
	var b strings.Builder
	b.WriteString(`{"SessionId":"` + session + `","Chunk":"x"`)
	for k := 0; k < n; k++ {
		fmt.Fprintf(&b, `,"k%d":"%d"`, k, k)
	}
	b.WriteString("}")
	return b.String()
}

// v2Padded returns a v2 first call of n chunks and a compatible text,
// padded with whitespace to about size bytes.
func v2Padded(session string, n, size int) string {
	body := v2Body(session, "", manyChunks(n)...)
	body = strings.Replace(body, "Please upgrade to see this message.", strings.Repeat("c", 2000), 1)
	return body[:1] + pad(max(size-len(body), 0)) + body[1:]
}

// Every store a request can grow, filled to its cap through the handler
// with bodies of many shapes (padding, escapes, long IDs, long MsgKeys,
// many keys, long query strings and paths), holds no more than twice what
// its budget counts, and no less than half: the live heap the fill leaves,
// the other stores emptied, is compared with the store's count.
func TestMemoryBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("fills every store to its cap")
	}
	for _, st := range memoryStores {
		t.Run(st.name, func(t *testing.T) {
			bh := newBudgetHarness(t, "")
			// A first request of each kind, so that what every server
			// builds once (schemas, pools) is not counted.
			bh.post(bh.target, `{"SessionId":"`+budgetUUID(1<<40)+`","Chunk":"warm"}`)
			bh.post(bh.v2, v2Padded(budgetUUID(1<<41), 1, 0))
			bh.do(http.MethodPost, "/__admin/faults", `{"match":{"nth":1},"action":{"delay_ms":1}}`)
			bh.do(http.MethodPost, "/__admin/sessions", `{"session_id":"`+budgetUUID(1<<42)+`"}`)
			bh.s.Reset()
			before := heapAlloc()
			st.fill(bh)
			if err := st.full(bh.s); err != nil {
				t.Fatalf("the store is not at its cap: %v", err)
			}
			emptyOthers(bh.s, st.store)
			heap := int64(heapAlloc()) - int64(before)
			counted := st.counted(bh.s)
			t.Logf("%-50s counted %7.2f MiB  live heap %7.2f MiB  (%.2f×)", st.name, mib(counted), mib(heap), float64(heap)/float64(counted))
			if heap > 2*counted || 2*heap < counted {
				t.Errorf("the live heap is %.2f MiB, the store counts %.2f MiB: not within 2×", mib(heap), mib(counted))
			}
			runtime.KeepAlive(bh)
		})
	}
}

// emptyOthers empties the stores that a fill of the store keep grew too,
// so that the live heap is keep's. Sessions and fault rules grow only
// through the admin API (a Desk life's begin opens a session too), the
// Desk messages come with the lives' fill, and the UserSig cache holds one
// token but in its own fill.
func emptyOthers(s *Server, keep string) {
	if keep != "streams" {
		s.streams.reset()
	}
	if keep != "journal" {
		s.journal.clear()
	}
	if keep != "calls" {
		s.calls.reset()
	}
	if keep != "life" {
		s.life.reset()
	} else {
		s.sessions.reset(s.cfg.Sessions.Strict, s.cfg.Sessions.IDs)
	}
	s.messages.reset()
}

// evictedCount returns how many streams the store let go.
func (s *streamStore) evictedCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// BenchmarkStoreCapsRSS measures the process: it sends 50,000 first chunks
// padded with whitespace to `deskmock serve` with the default
// configuration (the command built from this tree, or $DESKMOCK_BIN); then,
// for each store, it starts a fresh one and fills that store to its cap
// over the loopback with the fill of TestMemoryBudgets; then it fills every
// store in one process. Each reports the process's peak resident memory
// (VmHWM), and fails when it passes 512 MiB. Run it alone:
//
//	go test -run '^$' -bench StoreCapsRSS -benchtime=1x ./mockserver/
func BenchmarkStoreCapsRSS(b *testing.B) {
	bin := os.Getenv("DESKMOCK_BIN")
	if bin == "" {
		bin = buildDeskmock(b)
	}
	padded := storeBudget{name: "50,000 padded first chunks", fill: func(bh *budgetHarness) {
		for n := 0; n < 50_000; n++ {
			bh.post(bh.target, `{"SessionId":"`+budgetUUID(n)+`",`+pad(12_000)+`"Chunk":"hi"}`)
		}
	}}
	every := storeBudget{name: "every store at once", fill: func(bh *budgetHarness) {
		for _, st := range memoryStores {
			st.fill(bh)
		}
	}}
	for _, st := range append([]storeBudget{padded}, append(memoryStores[:len(memoryStores):len(memoryStores)], every)...) {
		b.Run(st.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cmd, addr, _, _ := startServe(b, bin)
				bh := newBudgetHarness(b, "http://"+addr)
				st.fill(bh)
				peak := procStatus(b, cmd.Process.Pid, "VmHWM")
				cmd.Process.Kill()
				cmd.Wait()
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
				if peak > memoryGoal {
					b.Errorf("%s: peak RSS %d MiB, over %d MiB", st.name, peak>>20, memoryGoal>>20)
				}
			}
		})
	}
}
