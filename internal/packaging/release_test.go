package packaging

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseDryRun runs .ci/release --dry-run: it builds the host's target
// (static, versioned, checksummed) and names the five others.
func TestReleaseDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	out := t.TempDir()
	script, err := filepath.Abs(filepath.Join(moduleRoot, ".ci", "release"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, "--dry-run", "--version", "v1.2.3-rc.1", "--out", out)
	// The images are built and run by TestContainer, with an engine.
	cmd.Env = append(os.Environ(), "CONTAINER_ENGINE=none")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf(".ci/release --dry-run: %v\n%s", err, b)
	}
	dir := filepath.Join(out, "v1.2.3-rc.1")
	host := "deskmock_v1.2.3-rc.1_" + runtime.GOOS + "_" + runtime.GOARCH
	for _, target := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64.exe", "windows_arm64.exe"} {
		name := "deskmock_v1.2.3-rc.1_" + target
		want := "dry run: would build " + filepath.Join(dir, name)
		if name == host {
			want = "built " + filepath.Join(dir, name)
		}
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, b)
		}
	}
	for _, want := range []string{
		"no container engine (podman, docker or buildah; CONTAINER_ENGINE=none): no image for linux/" + runtime.GOARCH,
		"dry run: would build " + filepath.Join(dir, "deskmock_v1.2.3-rc.1_linux_arm64.oci.tar") + " and ",
	} {
		if runtime.GOARCH == "arm64" {
			want = strings.Replace(want, "linux_arm64", "linux_amd64", 1)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %q:\n%s", want, b)
		}
	}
	bin := filepath.Join(dir, host)
	if runtime.GOOS == "linux" {
		checkStatic(t, bin)
	}
	if v, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(v), "deskmock v1.2.3-rc.1 ") {
		t.Errorf("version: %q, %v", v, err)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if want := hex.EncodeToString(sum[:]) + "  " + host + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS = %q, want %q", sums, want)
	}
}

func TestReleaseUsage(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(moduleRoot, ".ci", "release")
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "Release: static deskmock binaries", ""},
		{[]string{"--bogus"}, 2, "", ".ci/release: unknown argument \"--bogus\"; see '.ci/release --help'\n"},
		{[]string{"--version", "1 2"}, 2, "", ".ci/release: bad --version \"1 2\": use letters, digits and . _ + -; see '.ci/release --help'\n"},
		{[]string{"--out"}, 2, "", ".ci/release: --out needs a value; see '.ci/release --help'\n"},
	} {
		cmd := exec.Command("bash", append([]string{script}, tt.args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tt.code || !strings.HasPrefix(stdout.String(), tt.stdout) || stderr.String() != tt.stderr {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q..., %q", tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}
