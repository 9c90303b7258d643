//go:build unix

package deskmock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmock/deskmock/internal/redact"
)

// TestBannerSignsWithTheTestKeyOnly runs the binary: with the embedded
// test key its banner carries a UserSig; with the app's own key it carries
// none, and its two lines, pasted into a shell that has the key in
// $DESKMOCK_SECRET_KEY and deskmock on its PATH, send a first chunk that
// the server accepts.
func TestBannerSignsWithTheTestKeyOnly(t *testing.T) {
	const key = "our-real-key-5f4e3d2c1b0a"
	bin := buildDeskmock(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	test := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0")
	if out := test.stdout.String(); redact.Text(out) == out {
		t.Errorf("with the test key, the banner carries no UserSig:\n%s", out)
	}

	own := startBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--secret-key-file", keyFile)
	out := own.stdout.String()
	if redact.Text(out) != out || strings.Contains(out, key) {
		t.Fatalf("with the app's own key, the banner shows a credential:\n%s", out)
	}
	_, command, ok := strings.Cut(out, "\nusersig=$(deskmock usersig gen ")
	if !ok {
		t.Fatalf("no command that signs a UserSig:\n%s", out)
	}
	lines := strings.SplitN(command, "\n", 3)
	script := "usersig=$(deskmock usersig gen " + lines[0] + "\n" + lines[1]
	if !strings.HasPrefix(lines[1], "curl ") {
		t.Fatalf("no curl line after the command:\n%s", out)
	}
	sh := exec.Command("sh", "-c", script)
	sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), SecretKeyEnv+"="+key)
	reply, err := sh.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, script)
	}
	if !strings.Contains(string(reply), `"ErrorCode":0`) || !strings.Contains(string(reply), `"MsgKey"`) {
		t.Errorf("the command's reply: %s", reply)
	}
}
