package packaging

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/deskmock/deskmock/internal/readme"
)

// released is what the CI recipes must agree with: the release image as
// .ci/Containerfile.release builds it.
type released struct {
	port   string            // EXPOSE
	health []string          // HEALTHCHECK CMD, exec form
	flags  map[string]string // HEALTHCHECK --interval=5s ... as interval: 5s
	url    *url.URL          // the --url of the health command
}

func readRelease(t *testing.T) released {
	t.Helper()
	stages := parseDockerfile(t, filepath.Join(moduleRoot, ".ci", "Containerfile.release"))
	r := released{flags: map[string]string{}}
	for _, in := range stages[len(stages)-1].body {
		switch in.cmd {
		case "EXPOSE":
			r.port = strings.TrimSuffix(in.args, "/tcp")
		case "HEALTHCHECK":
			flags, cmd, _ := strings.Cut(in.args, "CMD ")
			r.health = execForm(t, "HEALTHCHECK CMD", cmd)
			for _, f := range strings.Fields(flags) {
				k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
				r.flags[strings.ReplaceAll(k, "-", "_")] = v
			}
		}
	}
	if i := slices.Index(r.health, "--url"); i >= 0 && i+1 < len(r.health) {
		u, err := url.Parse(r.health[i+1])
		if err != nil {
			t.Fatal(err)
		}
		r.url = u
	}
	if r.port == "" || r.url == nil || r.url.Port() != r.port {
		t.Fatalf("the Containerfile's EXPOSE %q and HEALTHCHECK %q do not name one port", r.port, r.health)
	}
	return r
}

// service is a recipe's deskmock container, in the terms common to CI
// services and compose.
type service struct {
	name    string            // how the job reaches it by name; "" at 127.0.0.1 only
	image   string            // the image reference
	ports   []string          // "HOST:CONTAINER" or "CONTAINER"
	args    []string          // added to serve
	env     map[string]string // its environment
	health  []string          // a health check given to the engine ("CMD", argv...)
	flags   map[string]string // the health check's interval, timeout, ...
	options string            // engine options (GitHub Actions)
}

// recipe is one CI recipe of the README.
type recipe struct {
	svc  service
	urls []*url.URL // every URL in the YAML
	// waits says how the job waits for health: "image" (the engine waits
	// for the image's HEALTHCHECK), "poll" (a loop on /__admin/health),
	// "healthcheck" (a healthcheck of its own and service_healthy),
	// "module" (the Testcontainers module waits).
	waits string
}

// yamlMap walks a decoded YAML document by keys, failing where a key is
// missing or holds no mapping.
func yamlMap(t *testing.T, v any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok || m[k] == nil {
			t.Fatalf("the YAML has no %q (path %q)", k, keys)
		}
		v = m[k]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%q is not a mapping: %v", keys, v)
	}
	return m
}

// strs returns the strings of a YAML sequence (or a lone string).
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// env returns a YAML mapping of strings.
func env(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// allStrings returns every string in a decoded YAML document.
func allStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, allStrings(e)...)
		}
		return out
	}
	return nil
}

var urlRE = regexp.MustCompile(`https?://[A-Za-z0-9.\-]+:[0-9]+[^\s"'>]*`)

// readmeYAML returns the YAML blocks under a README heading, decoded, and
// the text under the heading.
func readmeYAML(t *testing.T, heading string) ([]any, string) {
	t.Helper()
	doc, err := readme.Read(moduleRoot)
	if err != nil {
		t.Fatal(err)
	}
	text, ok := readme.Under(doc, heading)
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	var docs []any
	for _, b := range readme.Blocks(text, "yaml") {
		var v any
		if err := yaml.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("%s: the YAML does not parse: %v\n%s", heading, err, b)
		}
		docs = append(docs, v)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML blocks, want one", heading, len(docs))
	}
	return docs, text
}

// placeholder is the image reference the README's "Your image in a
// registry" names for the recipes: the first one in a registry. The
// section's port and health command are the release image's.
func placeholder(t *testing.T, rel released) string {
	t.Helper()
	doc, err := readme.Read(moduleRoot)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := readme.Under(doc, "### Your image in a registry")
	m := regexp.MustCompile("`([a-z0-9.-]+\\.[a-z]+/[a-z0-9/._-]+/deskmock:v[0-9]+\\.[0-9]+\\.[0-9]+)`").FindStringSubmatch(text)
	if m == nil {
		t.Fatal(`README.md's "Your image in a registry" names no image such as registry.example.com/you/deskmock:v1.2.3`)
	}
	health, _ := json.Marshal(rel.health)
	for _, want := range []string{"listens on port " + rel.port, "`" + strings.ReplaceAll(string(health), `","`, `", "`) + "`"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf(`README.md's "Your image in a registry" does not say %s`, want)
		}
	}
	for _, sh := range readme.Blocks(text, "sh") {
		if !strings.Contains(sh, "push --format docker ") || !strings.Contains(sh, " "+m[1]+"\n") {
			t.Errorf(`"Your image in a registry": the push commands do not push %s in Docker format:\n%s`, m[1], sh)
		}
	}
	return m[1]
}

// TestCIRecipes parses the README's CI recipes that run the image and
// checks each against the release image: the image is the README's one
// placeholder, the container port is the EXPOSE port, a health check is the
// HEALTHCHECK's command in exec form (a wait loop asks its port), nothing
// gives Docker a --health-cmd (a shell string, and the image has no
// shell), and a service reached by a name lets the admin API answer to it.
func TestCIRecipes(t *testing.T) {
	rel := readRelease(t)
	image := placeholder(t, rel)
	tests := []struct {
		heading string
		parse   func(t *testing.T, y any, text string) recipe
	}{
		{"### GitHub Actions with the image", func(t *testing.T, y any, _ string) recipe {
			job := yamlMap(t, y, "jobs", "client")
			s := yamlMap(t, job, "services", "deskmock")
			svc := service{image: fmt.Sprint(s["image"]), ports: strs(s["ports"]), env: env(s["env"]), options: fmt.Sprint(s["options"])}
			if job["container"] != nil {
				svc.name = "deskmock" // a job in a container reaches it by its key
			}
			return recipe{svc: svc, waits: "image"}
		}},
		{"### GitHub Actions with Testcontainers", func(t *testing.T, y any, text string) recipe {
			job := yamlMap(t, y, "jobs", "client")
			jobEnv := env(job["env"])
			for _, s := range allStrings(y) {
				if strings.Contains(s, "DOCKER_HOST") || strings.Contains(s, "TESTCONTAINERS_") {
					t.Errorf("the job sets %q: GitHub's Ubuntu runners need nothing for Docker", s)
				}
			}
			for k := range jobEnv {
				if k == "DOCKER_HOST" || strings.HasPrefix(k, "TESTCONTAINERS_") {
					t.Errorf("the job sets %s: GitHub's Ubuntu runners need nothing for Docker", k)
				}
			}
			gos := readme.Blocks(text, "go")
			if len(gos) != 1 || !strings.Contains(gos[0], `deskmock.Run(ctx, os.Getenv("DESKMOCK_IMAGE")`) {
				t.Errorf("the Go test does not run the image of $DESKMOCK_IMAGE with deskmock.Run:\n%s", gos)
			}
			src, err := os.ReadFile(filepath.Join(moduleRoot, "mockserver", "testcontainers", "deskmock.go"))
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`(?m)^const port = "([0-9]+)/tcp"$`).FindSubmatch(src)
			if m == nil {
				t.Fatal("mockserver/testcontainers/deskmock.go has no const port")
			}
			return recipe{svc: service{image: jobEnv["DESKMOCK_IMAGE"], ports: []string{string(m[1])}}, waits: "module"}
		}},
		{"### GitLab CI with the image", func(t *testing.T, y any, _ string) recipe {
			job := yamlMap(t, y, "client")
			list, _ := job["services"].([]any)
			if len(list) != 1 {
				t.Fatalf("%d services, want deskmock alone", len(list))
			}
			s, _ := list[0].(map[string]any)
			svc := service{
				name:  fmt.Sprint(s["alias"]),
				image: fmt.Sprint(s["name"]),
				args:  strs(s["command"]),
				env:   env(s["variables"]),
				ports: []string{rel.port}, // GitLab publishes nothing: the job reaches the container's port
			}
			return recipe{svc: svc, waits: "poll"}
		}},
		{"### docker compose", func(t *testing.T, y any, _ string) recipe {
			s := yamlMap(t, y, "services", "deskmock")
			svc := service{
				name:  "deskmock",
				image: fmt.Sprint(s["image"]),
				args:  strs(s["command"]),
				env:   env(s["environment"]),
				ports: strs(s["ports"]),
				flags: map[string]string{},
			}
			if hc, ok := s["healthcheck"].(map[string]any); ok {
				svc.health = strs(hc["test"])
				for k, v := range hc {
					if k != "test" {
						svc.flags[k] = fmt.Sprint(v)
					}
				}
			}
			tests := yamlMap(t, y, "services", "tests")
			if c := yamlMap(t, tests, "depends_on", "deskmock")["condition"]; c != "service_healthy" {
				t.Errorf("tests depends on deskmock with condition %v, want service_healthy", c)
			}
			return recipe{svc: svc, waits: "healthcheck"}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimLeft(tt.heading, "# "), func(t *testing.T) {
			docs, text := readmeYAML(t, tt.heading)
			r := tt.parse(t, docs[0], text)
			for _, s := range allStrings(docs[0]) {
				if slices.Contains(r.svc.health, s) {
					continue // checked as the health check: it runs in the container
				}
				for _, raw := range urlRE.FindAllString(s, -1) {
					u, err := url.Parse(raw)
					if err != nil {
						t.Fatalf("%s: %v", raw, err)
					}
					r.urls = append(r.urls, u)
				}
			}
			checkRecipe(t, r, rel, image)
		})
	}
}

// checkRecipe checks one recipe against the release image.
func checkRecipe(t *testing.T, r recipe, rel released, image string) {
	t.Helper()
	svc := r.svc
	if svc.image != image {
		t.Errorf("the image is %q, want the README's placeholder %q", svc.image, image)
	}
	published := map[string]bool{} // host ports that reach the EXPOSE port
	if len(svc.ports) == 0 {
		t.Error("no port: want the EXPOSE port " + rel.port)
	}
	for _, p := range svc.ports {
		p = strings.TrimSuffix(p, "/tcp")
		host, container, ok := strings.Cut(p, ":")
		if !ok {
			container = host
		}
		if container != rel.port {
			t.Errorf("port %q: the container's port is %s, the image EXPOSEs %s", p, container, rel.port)
		}
		if ok {
			published[host] = true
		}
	}
	if strings.Contains(svc.options, "--health-cmd") {
		t.Errorf("options %q give Docker a --health-cmd, which it runs with a shell; the image has none", svc.options)
	}
	if svc.health != nil {
		want := append([]string{"CMD"}, rel.health...)
		if !slices.Equal(svc.health, want) {
			t.Errorf("the health check is %q, want the HEALTHCHECK's exec form %q", svc.health, want)
		}
		for k, v := range svc.flags {
			if rel.flags[k] != v {
				t.Errorf("the health check's %s is %s, the HEALTHCHECK's %q", k, v, rel.flags[k])
			}
		}
	}
	polled := false
	for _, u := range r.urls {
		host := u.Hostname()
		switch {
		case host == "localhost" || net.ParseIP(host) != nil:
			if svc.name != "" || !published[u.Port()] {
				t.Errorf("%s: the job reaches deskmock at %s, which publishes no port %s there", u, host, u.Port())
			}
		case host == svc.name:
			if u.Port() != rel.port {
				t.Errorf("%s: deskmock listens on %s", u, rel.port)
			}
			i := slices.Index(svc.args, "--allow-host")
			if i < 0 || i+1 == len(svc.args) || svc.args[i+1] != host {
				if svc.env["DESKMOCK_ADMIN_TOKEN"] == "" {
					t.Errorf("%s: the job reaches deskmock as %s, and neither --allow-host %s nor DESKMOCK_ADMIN_TOKEN lets the admin API answer", u, host, host)
				}
			}
		default:
			t.Errorf("%s: %s is not how the job reaches deskmock", u, host)
		}
		if u.Path == "/__admin/health" {
			polled = true
			if u.Scheme != rel.url.Scheme || u.Port() != rel.url.Port() {
				t.Errorf("%s: the wait asks another scheme or port than the HEALTHCHECK's %s", u, rel.url)
			}
		}
	}
	switch r.waits {
	case "poll":
		if !polled {
			t.Error("the job does not wait for /__admin/health before its tests")
		}
	case "healthcheck":
		if svc.health == nil {
			t.Error("no healthcheck: the tests would not wait for deskmock")
		}
	}
}

// TestREADMEHealthCmdIsExecForm: wherever the README gives an engine a
// --health-cmd, it is a JSON array (podman's exec form); Docker's string
// form would need a shell, which the image lacks.
func TestREADMEHealthCmdIsExecForm(t *testing.T) {
	doc, err := readme.Read(moduleRoot)
	if err != nil {
		t.Fatal(err)
	}
	blocks := append(readme.Blocks(doc, "sh"), readme.Blocks(doc, "yaml")...)
	re := regexp.MustCompile(`--health-cmd[ =]*(\S*)`)
	for _, b := range blocks {
		for _, m := range re.FindAllStringSubmatch(b, -1) {
			if !strings.HasPrefix(m[1], `'["`) {
				t.Errorf("README.md gives %q: want a JSON array (exec form) or no --health-cmd", m[0])
			}
		}
	}
}

// TestCIRecipesFromSourceAreYAML: the recipes that build deskmock in the
// job stay valid YAML with their job.
func TestCIRecipesFromSourceAreYAML(t *testing.T) {
	for _, tt := range []struct{ heading, job string }{
		{"### GitHub Actions, built from source", "jobs"},
		{"### GitLab CI, built from source", "client"},
	} {
		t.Run(strings.TrimLeft(tt.heading, "# "), func(t *testing.T) {
			docs, _ := readmeYAML(t, tt.heading)
			yamlMap(t, docs[0], tt.job)
		})
	}
}
