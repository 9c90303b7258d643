package mockserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAdminTokenWhole: every admin route but health asks for the token as a
// bearer token, compared whole.
func TestAdminTokenWhole(t *testing.T) {
	const token = "s3cret-admin-token"
	s, err := New(func() Config { c := DefaultConfig(); c.AdminToken = token; return c }())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, auth string
		status     int
	}{
		{"/__admin/requests", "Bearer " + token, 200},
		{"/__admin/requests", "bearer " + token, 200},
		{"/__admin/requests", "BEARER  " + token, 200},
		{"/__admin/requests", "", 401},
		{"/__admin/requests", token, 401},
		{"/__admin/requests", "Bearer ", 401},
		{"/__admin/requests", "Bearer " + token[:len(token)-1], 401},
		{"/__admin/requests", "Bearer " + token + "x", 401},
		{"/__admin/requests", "Bearer " + token[:len(token)-1] + "X", 401},
		{"/__admin/requests", "Basic " + token, 401},
		{"/__admin/streams", "", 401},
		{"/__admin/codes", "", 401},
		{"/__admin/health", "", 200},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("GET %s with %q: %d, want %d", tt.path, tt.auth, rec.Code, tt.status)
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s with %q: 401 without WWW-Authenticate", tt.path, tt.auth)
		}
	}
}
