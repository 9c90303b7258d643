package mockserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Without an admin token the admin API and the dashboard answer only to a
// Host they serve: an IP address, localhost and its subdomains, or a name
// allowed in allow_hosts ("*": any). A page of another name that resolves
// to this host (DNS rebinding) can neither read, nor add a fault, nor
// reset, nor act through the dashboard; the refusal names the Host and the
// flag that allows it.
func TestAdminHostCheck(t *testing.T) {
	plain := NewTestServer(t)
	named := NewTestServer(t, func(c *Config) { c.AllowHosts = []string{"deskmock", ".svc.example"} })
	anyName := NewTestServer(t, func(c *Config) { c.AllowHosts = []string{"*"} })
	port := plain.URL[strings.LastIndexByte(plain.URL, ':'):]
	ops := []struct {
		name, method, path, body string
		header                   []string
		ok                       int
	}{
		{"read", "GET", "/__admin/requests", "", nil, 200},
		{"write", "POST", "/__admin/faults", `{"match":{"nth":99999},"action":{"delay_ms":1}}`, nil, 201},
		{"reset", "POST", "/__admin/reset", "", nil, 200},
		{"dashboard page", "GET", UIPath, "", nil, 200},
		{"dashboard action", "POST", uiAPI + "/reset", "{}", []string{uiHeader, "1"}, 200},
	}
	hosts := []struct {
		name   string
		ts     *TestServer
		host   string
		origin bool // send an Origin of the same host
		allow  bool
	}{
		{"IPv4", plain, "127.0.0.1" + port, true, true},
		{"IPv6", plain, "[::1]" + port, true, true},
		{"localhost", plain, "localhost" + port, true, true},
		{"a subdomain of localhost", plain, "app.localhost", true, true},
		{"LOCALHOST with a final dot", plain, "LOCALHOST." + port, false, true},
		{"another name", plain, "evil.example" + port, true, false},
		{"another name, a loopback Origin", plain, "evil.example", false, false},
		{"a name of localhost's", plain, "localhost.evil.example", false, false},
		{"an allowed name", named, "deskmock" + port, true, true},
		{"a subdomain of an allowed one", named, "api.svc.example", true, true},
		{"the allowed parent itself", named, "svc.example", true, true},
		{"a name not allowed there", named, "deskmock.evil.example", false, false},
		{"any name with *", anyName, "evil.example" + port, true, true},
	}
	for _, h := range hosts {
		for _, op := range ops {
			t.Run(h.name+"/"+op.name, func(t *testing.T) {
				header := slices.Clone(op.header)
				if h.origin {
					header = append(header, "Origin", "http://"+h.host)
				} else if h.name == "another name, a loopback Origin" {
					header = append(header, "Origin", "http://127.0.0.1"+port)
				}
				faults := len(h.ts.Faults())
				status, body := admin(t, h.ts, op.method, op.path, op.body, append([]string{"Host", h.host}, header...)...)
				if !h.allow && len(h.ts.Faults()) != faults {
					t.Errorf("Host %s: a refused request changed the fault rules", h.host)
				}
				switch {
				case h.allow && status != op.ok:
					t.Errorf("Host %s: %d %.200s, want %d", h.host, status, body, op.ok)
				case !h.allow && (status != http.StatusForbidden || !strings.Contains(body, `"error":"the admin API does not answer to the Host \"`+h.host+`\"`) || !strings.Contains(body, "--allow-host "+strings.Split(h.host, ":")[0])):
					t.Errorf("Host %s: %d %.300s, want 403 naming the Host and --allow-host", h.host, status, body)
				}
			})
		}
	}
}

// The endpoints and /__admin/health answer any Host; with an admin token
// every Host is answered, the token being the guard.
func TestHostCheckLeavesEndpointAndHealth(t *testing.T) {
	ts := NewTestServer(t)
	u, _ := url.Parse(ts.EndpointURL())
	if status, body := admin(t, ts, "POST", u.RequestURI(), `{"SessionId":"`+testSession+`","Chunk":"x"}`, "Host", "deskmock"); status != 200 || !strings.Contains(body, `"ActionStatus":"OK"`) {
		t.Errorf("the endpoint under another name: %d %s", status, body)
	}
	if status, body := admin(t, ts, "GET", "/__admin/health", "", "Host", "deskmock"); status != 200 {
		t.Errorf("health under another name: %d %s", status, body)
	}
	locked := NewTestServer(t, func(c *Config) { c.AdminToken = "tok" })
	if status, body := admin(t, locked, "GET", "/__admin/requests", "", "Host", "deskmock", "Authorization", "Bearer tok"); status != 200 {
		t.Errorf("with the token under another name: %d %s", status, body)
	}
	if status, body := admin(t, locked, "GET", "/__admin/requests", "", "Host", "deskmock"); status != http.StatusUnauthorized {
		t.Errorf("without the token under another name: %d %s", status, body)
	}
}

// allow_hosts takes DNS names, .name and *; anything else is refused.
func TestAllowHostsConfig(t *testing.T) {
	for _, tt := range []struct {
		names []string
		ok    bool
	}{
		{[]string{"deskmock", "mock.internal", ".svc.example", "*", "host_1."}, true},
		{[]string{""}, false},
		{[]string{"deskmock:8780"}, false},
		{[]string{"http://deskmock"}, false},
		{[]string{"*.example"}, false},
		{[]string{"two words"}, false},
	} {
		cfg := DefaultConfig()
		cfg.AllowHosts = tt.names
		_, err := New(cfg)
		if (err == nil) != tt.ok || err != nil && !strings.Contains(err.Error(), "allow_hosts/") {
			t.Errorf("allow_hosts %q: %v", tt.names, err)
		}
	}
}

// The host name of a listen address is allowed; an IP address or an empty
// host adds nothing.
func TestListenNamesAllowed(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.allowListenHosts("Mock.Internal:8780", "0.0.0.0:9000", ":9001")
	for host, want := range map[string]int{"mock.internal:8780": 200, "mock.internal.": 200, "internal": 403, "": 200} {
		req := httptest.NewRequest("GET", "http://127.0.0.1/__admin/requests", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d %s, want %d", host, rec.Code, rec.Body, want)
		}
	}
}
