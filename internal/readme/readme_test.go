package readme

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/deskmock/deskmock/mockserver/codes"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text between <!-- name:begin --> and <!-- name:end -->.
func section(t *testing.T, doc, name string) string {
	t.Helper()
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README has no %s section", name)
	}
	return doc[i+len(begin) : j]
}

func TestCodeTableMatchesTheCode(t *testing.T) {
	got := section(t, readme(t), "codes")
	want := codes.Markdown(codes.Defaults())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README's check→code table drifted from mockserver/codes (-code +README):\n%s\nPaste the code's table:\n%s", diff, want)
	}
}

func TestTriggerTableNamesRealCodes(t *testing.T) {
	doc := readme(t)
	re := regexp.MustCompile("`00000000-0000-0000-([0-9]{4})-([0-9]{12})` \\| ([0-9]+) ")
	rows := re.FindAllStringSubmatch(doc, -1)
	seen := map[string]bool{}
	for _, m := range rows {
		if strings.TrimLeft(m[2], "0") != m[3] {
			t.Errorf("row %q: the ID names code %s, the text %s", m[0], m[2], m[3])
		}
		seen[m[3]] = true
	}
	for _, c := range codes.APICodes() {
		if !seen[itoa(c)] {
			t.Errorf("the trigger table lacks code %d of the API's table", c)
		}
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestWalkthrough runs the README's curl walk-through against a real
// deskmock binary, built where the README's "bin/deskmock" would be, with a
// free port in place of 8780.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	script := section(t, readme(t), "walkthrough")
	script = strings.TrimPrefix(strings.TrimSpace(script), "```sh")
	script = strings.TrimSuffix(script, "```")

	dir := t.TempDir()
	bin := filepath.Join(dir, "deskmock")
	build := exec.Command("go", "build", "-o", bin, "./cmd/deskmock")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	serve := exec.CommandContext(ctx, bin, "serve", "--addr", addr)
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 10 * time.Second
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		serve.Wait() // reports the cancellation even on a clean exit
		if code := serve.ProcessState.ExitCode(); code != 0 {
			t.Errorf("serve exited %d on SIGINT, want 0", code)
		}
	}()
	waitHealthy(t, "http://"+addr+"/__admin/health")

	if !strings.Contains(script, "bin/deskmock ") {
		t.Fatal("the walk-through no longer runs bin/deskmock")
	}
	script = strings.ReplaceAll(script, "bin/deskmock ", bin+" ")
	script = strings.ReplaceAll(script, "127.0.0.1:8780", addr)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("output has %d lines, want 4:\n%s", len(lines), out.String())
	}
	for i, want := range []string{
		`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"1_[0-9]+_[0-9a-f]{25}"\}$`,
		`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0\}$`,
		`^\{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0\}$`,
		`"chunks":\["Hello, ","this is ","Tencent Cloud."\],"text":"Hello, this is Tencent Cloud.","finished":true,"calls":3`,
	} {
		if !regexp.MustCompile(want).MatchString(lines[i]) {
			t.Errorf("line %d: %s\ndoes not match %s", i+1, lines[i], want)
		}
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server did not become healthy")
}

// TestConfigExampleIsTheFile checks that the configuration example of the
// README is testdata/config/full.yaml, byte for byte.
func TestConfigExampleIsTheFile(t *testing.T) {
	file, err := os.ReadFile("../../testdata/config/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "```yaml\n" + string(file) + "```\n"
	if diff := cmp.Diff(want, section(t, readme(t), "config")); diff != "" {
		t.Errorf("the README's configuration example is not testdata/config/full.yaml (-file +README):\n%s", diff)
	}
}

// TestTableOfContents checks that the table of contents lists every section
// (## heading), in order, with GitHub's anchors.
func TestTableOfContents(t *testing.T) {
	doc := readme(t)
	toc := regexp.MustCompile(`(?m)^- \[(.+)\]\(#([^)]+)\)$`).FindAllStringSubmatch(section(t, doc, "toc"), -1)
	var want, got []string
	for _, m := range regexp.MustCompile("(?m)^## (.+)$").FindAllStringSubmatch(doc, -1) {
		if m[1] != "Contents" {
			want = append(want, m[1]+" #"+anchor(m[1]))
		}
	}
	for _, m := range toc {
		got = append(got, m[1]+" #"+m[2])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the table of contents (-sections +contents):\n%s", diff)
	}
}

// anchor is GitHub's anchor of a heading: lower case, punctuation dropped,
// spaces as hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestInstallPathsWork checks that the README installs deskmock only in
// ways that work without a published module.
func TestInstallPathsWork(t *testing.T) {
	doc := readme(t)
	if strings.Contains(doc, "@latest") || strings.Contains(doc, "go install github.com/") {
		t.Error("the README installs deskmock from a published module, which does not exist")
	}
	for _, want := range []string{
		"go build -o bin/deskmock ./cmd/deskmock",
		"go install ./cmd/deskmock",
		`go build -o "$RUNNER_TEMP/bin/deskmock" ./cmd/deskmock`,
		"go build -o /usr/local/bin/deskmock ./cmd/deskmock",
		".ci/release --version",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the README lacks %q", want)
		}
	}
}
