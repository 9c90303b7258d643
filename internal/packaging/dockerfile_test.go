package packaging

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// moduleRoot is the repository's root, seen from this package.
const moduleRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

// stage is one FROM and the instructions after it.
type stage struct {
	from, name string
	body       []instruction
}

// parseDockerfile reads the instructions of a Dockerfile into stages.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			return // ARG before the first FROM
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	for sc.Scan() {
		line := sc.Text()
		if trimmed := strings.TrimSpace(line); cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		} else if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// execForm decodes an instruction argument in exec (JSON array) form.
func execForm(t *testing.T, what, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("%s %s: not in exec form (a JSON array): %v", what, args, err)
	}
	return v
}

// image is what the Dockerfile's final stage holds and runs.
type image struct {
	build      instruction // the RUN of the build stage that builds deskmock
	entrypoint []string
	health     []string
}

// checkDockerfile checks the properties of the image that a container
// engine would build, and returns what the image runs.
func checkDockerfile(t *testing.T) image {
	t.Helper()
	stages := parseDockerfile(t, filepath.Join(moduleRoot, "Dockerfile"))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and the image", len(stages))
	}
	build, final := stages[0], stages[1]
	var img image
	for _, in := range build.body {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			img.build = in
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/deskmock ./cmd/deskmock", "internal/app/deskmock.Version=${VERSION}"} {
		if !strings.Contains(img.build.args, want) {
			t.Errorf("the build stage's go build lacks %q: %s", want, img.build.args)
		}
	}
	if final.from != "scratch" {
		t.Errorf("the image is FROM %s, want scratch: the binary alone in an empty root", final.from)
	}
	var copies, users int
	for _, in := range final.body {
		switch in.cmd {
		case "COPY":
			copies++
			if in.args != "--from="+build.name+" /out/deskmock /deskmock" {
				t.Errorf("COPY %s: want only the binary from the build stage", in.args)
			}
		case "USER":
			users++
			uid, _, _ := strings.Cut(in.args, ":")
			if uid == "0" || uid == "root" || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(uid) {
				t.Errorf("USER %s: want a numeric non-root uid (scratch has no /etc/passwd)", in.args)
			}
		case "ENTRYPOINT":
			img.entrypoint = execForm(t, "ENTRYPOINT", in.args)
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(in.args, "CMD ")
			if !ok {
				t.Fatalf("HEALTHCHECK %s has no CMD", in.args)
			}
			img.health = execForm(t, "HEALTHCHECK CMD", cmd)
		case "EXPOSE", "LABEL", "ARG", "CMD", "STOPSIGNAL":
		default:
			t.Errorf("the image has %s %s: nothing but the binary belongs in it", in.cmd, in.args)
		}
	}
	if copies != 1 || users != 1 {
		t.Errorf("%d COPY and %d USER in the image, want one of each", copies, users)
	}
	if len(img.entrypoint) < 2 || img.entrypoint[0] != "/deskmock" || img.entrypoint[1] != "serve" {
		t.Errorf("ENTRYPOINT %q, want /deskmock serve ...", img.entrypoint)
	}
	if len(img.health) < 2 || img.health[0] != "/deskmock" || img.health[1] != "health" {
		t.Errorf("HEALTHCHECK CMD %q, want /deskmock health ...", img.health)
	}
	return img
}

// TestDockerfile checks the image's properties, then runs what the image
// would run: the build stage's go build, the binary it makes (static: no
// interpreter, no shared library), its ENTRYPOINT and its HEALTHCHECK, with
// a free loopback port in place of 8780.
func TestDockerfile(t *testing.T) {
	img := checkDockerfile(t)
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "deskmock")
	script := strings.NewReplacer("${VERSION}", "v0.0.0-image", "/out/deskmock", bin).Replace(img.build.args)
	build := exec.Command("sh", "-c", script)
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the build stage's command failed: %v\n%s", err, out)
	}
	checkStatic(t, bin)
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "deskmock v0.0.0-image ") {
		t.Errorf("version: %q, %v", out, err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	port := addr[strings.LastIndex(addr, ":")+1:]
	inImage := func(args []string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			a = strings.Replace(a, "0.0.0.0:8780", addr, 1)
			a = strings.Replace(a, "127.0.0.1:8780", "127.0.0.1:"+port, 1)
			out[i] = strings.Replace(a, "/deskmock", bin, 1)
		}
		return out
	}
	health := inImage(img.health)
	if code := run(health); code != 1 {
		t.Errorf("HEALTHCHECK %q exited %d with no server, want 1", health, code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	entry := inImage(img.entrypoint)
	serve := exec.CommandContext(ctx, entry[0], entry[1:]...)
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 10 * time.Second
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		serve.Wait()
		if code := serve.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the ENTRYPOINT exited %d on SIGINT, want 0", code)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for run(health) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("HEALTHCHECK %q never passed against the ENTRYPOINT %q", health, entry)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/__admin/health"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /__admin/health: %v", err)
	} else {
		resp.Body.Close()
	}
}

// run runs a command and returns its exit status.
func run(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return -1
	}
	return 0
}

// checkStatic fails unless bin is an ELF executable with no interpreter and
// no shared library: it runs in an empty root.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has an interpreter: it is not static", bin)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q (%v): it is not static", bin, libs, err)
	}
}

// TestContainerfileMatchesDockerfile checks that the release image
// (.ci/Containerfile.release, from the release binary) and the Dockerfile's
// final stage (built from source) give the same image: FROM scratch, the
// binary at /deskmock, and the same USER, EXPOSE, HEALTHCHECK, LABEL and
// ENTRYPOINT, in exec form where they run something.
func TestContainerfileMatchesDockerfile(t *testing.T) {
	docker := parseDockerfile(t, filepath.Join(moduleRoot, "Dockerfile"))
	release := parseDockerfile(t, filepath.Join(moduleRoot, ".ci", "Containerfile.release"))
	if len(release) != 1 || release[0].from != "scratch" {
		t.Fatalf("the Containerfile has %d stages, want one FROM scratch", len(release))
	}
	final := docker[len(docker)-1]
	layout := func(st stage) map[string][]string {
		m := map[string][]string{}
		for _, in := range st.body {
			switch in.cmd {
			case "USER", "EXPOSE", "HEALTHCHECK", "LABEL", "ENTRYPOINT", "CMD", "STOPSIGNAL":
				m[in.cmd] = append(m[in.cmd], strings.Join(strings.Fields(in.args), " "))
			case "COPY":
				f := strings.Fields(in.args)
				m["COPY to"] = append(m["COPY to"], f[len(f)-1])
			}
		}
		return m
	}
	d, r := layout(final), layout(release[0])
	for _, cmd := range []string{"USER", "EXPOSE", "HEALTHCHECK", "LABEL", "ENTRYPOINT", "CMD", "STOPSIGNAL", "COPY to"} {
		if strings.Join(d[cmd], "\n") != strings.Join(r[cmd], "\n") {
			t.Errorf("%s differs:\n Dockerfile:             %q\n Containerfile.release: %q", cmd, d[cmd], r[cmd])
		}
	}
	for _, label := range []string{"org.opencontainers.image.title=", "org.opencontainers.image.source=", "org.opencontainers.image.version=\"${VERSION}\""} {
		if !strings.Contains(strings.Join(r["LABEL"], " "), label) {
			t.Errorf("the images lack the label %s", label)
		}
	}
	for _, in := range release[0].body {
		if in.cmd == "COPY" && in.args != "deskmock_${VERSION}_${TARGETOS}_${TARGETARCH} /deskmock" {
			t.Errorf("COPY %s: want the release binary of the target alone", in.args)
		}
		if in.cmd == "RUN" || in.cmd == "ADD" {
			t.Errorf("%s %s: the release image holds the release binary only", in.cmd, in.args)
		}
	}
}
