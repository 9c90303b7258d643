package conformance

import (
	"net/http"
	"strings"
	"testing"
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
