package conformance

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver"
)

// The runner's recorder of requests outside /v4/ redacts the UserSig by
// the same rule as the mock's journal: every separator and spelling.
func TestStrayRequestsAreRedacted(t *testing.T) {
	m, err := startMock(&Case{Name: "redact"})
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"usersig=secret1",
		"random=1;usersig=secret2",
		"%75sersig=secret3",
		"USERSIG=secret4",
		"a=1&UserSig=secret5&b=2",
	}
	for _, q := range queries {
		resp, err := http.Get(m.url + "/elsewhere?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	m.stop()
	got := m.exchanges()
	if len(got) != len(queries) {
		t.Fatalf("%d exchanges recorded, want %d", len(got), len(queries))
	}
	for _, e := range got {
		if strings.Contains(e.Query, "secret") || !strings.Contains(e.Query, "=REDACTED") {
			t.Errorf("recorded query %q", e.Query)
		}
	}
}

// mock.end_session_after_call ends the session once the stream's Nth call
// is applied, before its reply leaves: that call succeeds, the next one is
// refused with 141005, and a Desk call to another path does not count.
func TestEndSessionAfterCall(t *testing.T) {
	for _, n := range []int{1, 2} {
		c := &Case{Name: "desk/end", Input: CaseInput{Chunks: []Chunk{{Text: "a"}, {Text: "b"}, {Text: "c"}}}, Mock: MockSetup{EndSessionAfterCall: n}}
		m, err := startMock(c)
		if err != nil {
			t.Fatal(err)
		}
		in, err := c.input(m.cfg, m.url, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		post := func(path, body string) string {
			q := fmt.Sprintf("?sdkappid=%d&identifier=%s&usersig=%s&random=%d&contenttype=json", in.SDKAppID, in.Identifier, in.UserSig, rand.Uint32())
			resp, err := http.Post(m.url+path+q, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var r struct{ ErrorCode int }
			json.NewDecoder(resp.Body).Decode(&r)
			return fmt.Sprint(r.ErrorCode)
		}
		var got []string
		got = append(got, post(mockserver.SessionStatePath, `{"SessionId":"`+in.SessionID+`"}`))
		for _, chunk := range in.Chunks {
			got = append(got, post(mockserver.EndpointPath, `{"SessionId":"`+in.SessionID+`","Chunk":"`+chunk+`"}`))
		}
		m.stop()
		want := []string{"0", "0", "0", "141005"}[:n+1]
		for len(want) < 4 {
			want = append(want, "141005")
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("after call %d: codes %v, want %v", n, got, want)
		}
	}
}
