package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// GET /__admin/ lists the admin routes: every one the router has, each in
// the README's route table; and it asks for the admin token as the rest do.
func TestAdminIndexListsEveryRoute(t *testing.T) {
	ts := NewTestServer(t)
	var registered []string
	err := ts.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(path, adminPrefix+"/") || strings.HasPrefix(path, uiAPI) || strings.HasPrefix(path, uiAssets) {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil { // a redirect, for any method
			return nil
		}
		for _, m := range methods {
			if m != http.MethodHead {
				registered = append(registered, m+" "+path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	var index struct{ Routes []adminRoute }
	code, text := admin(t, ts, "GET", "/__admin/", "")
	if code != 200 || json.Unmarshal([]byte(text), &index) != nil {
		t.Fatalf("GET /__admin/: %d %s", code, text)
	}
	section := readmeSection(t, "## Admin API")
	for _, r := range index.Routes {
		listed = append(listed, r.Method+" "+r.Path)
		if r.Path != UIPath && !strings.Contains(section, "| `"+r.Method+" "+r.Path+"`") {
			t.Errorf("README.md's route table has no row for %s %s", r.Method, r.Path)
		}
	}
	sort.Strings(registered)
	sort.Strings(listed)
	if !slices.Equal(registered, listed) {
		t.Errorf("the index lists\n%v\nthe router has\n%v", listed, registered)
	}

	locked := NewTestServer(t, func(c *Config) { c.AdminToken = "t0ken" })
	if code, _ := admin(t, locked, "GET", "/__admin/", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /__admin/ without the token: %d, want 401", code)
	}
	if code, _ := admin(t, locked, "GET", "/__admin/", "", "Authorization", "Bearer t0ken"); code != http.StatusOK {
		t.Errorf("GET /__admin/ with the token: %d, want 200", code)
	}
}

// Every link of the landing page answers 200 (its icon, a data: URL, is
// no link).
func TestLandingLinksAnswer(t *testing.T) {
	ts := NewTestServer(t)
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	links := regexp.MustCompile(`<a [^>]*href="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(links) < 4 {
		t.Fatalf("the landing page has %d links, want the dashboard, health, the admin index and more:\n%s", len(links), page)
	}
	for _, l := range links {
		status, body := admin(t, ts, "GET", l[1], "")
		if status != http.StatusOK {
			t.Errorf("the landing page's link %s answers %d: %.200s", l[1], status, body)
		}
	}
}
