package redact

import (
	"compress/zlib"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/deskmock/deskmock/mockserver/usersig"
)

func TestQuery(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "sdkappid=1&usersig=abc&random=2", "sdkappid=1&usersig=REDACTED&random=2"},
		{"upper case", "USERSIG=abc", "USERSIG=REDACTED"},
		{"mixed case", "UserSig=abc&x=1", "UserSig=REDACTED&x=1"},
		{"escaped name", "%75sersig=abc", "%75sersig=REDACTED"},
		{"escaped upper", "%55SERSIG=abc", "%55SERSIG=REDACTED"},
		{"escaped equals", "usersig%3Dabc&x=1", "usersig%3DREDACTED&x=1"},
		{"escaped equals, lower case", "x=1&usersig%3dabc", "x=1&usersig%3dREDACTED"},
		{"plus after the name", "usersig+=abc", "usersig+=REDACTED"},
		{"space before the name", "%20usersig=abc", "%20usersig=REDACTED"},
		{"brackets", "usersig[]=abc&x=1", "usersig[]=REDACTED&x=1"},
		{"escaped brackets", "usersig%5B%5D=abc", "usersig%5B%5D=REDACTED"},
		{"indexed", "usersig[0]=abc", "usersig[0]=REDACTED"},
		{"after a semicolon", "random=1;usersig=abc", "random=1;usersig=REDACTED"},
		{"semicolon after", "usersig=abc;random=1", "usersig=REDACTED;random=1"},
		{"html-escaped separator", "x=1&amp;usersig=abc", "x=1&amp;usersig=REDACTED"},
		{"twice", "usersig=a&usersig=b", "usersig=REDACTED&usersig=REDACTED"},
		{"separators mixed", "a=1;b=2&usersig=x;c=3&usersig=y;usersig=z&d", "a=1;b=2&usersig=REDACTED;c=3&usersig=REDACTED;usersig=REDACTED&d"},
		{"empty value", "usersig=", "usersig=REDACTED"},
		{"no value", "usersig&x=1", "usersig&x=1"},
		{"other names", "usersigx=1&xusersig=2&user=3&usersig%3Cx=4", "usersigx=1&xusersig=2&user=3&usersig%3Cx=4"},
		{"other bracket names", "x[usersig]=1&usersig]=2", "x[usersig]=1&usersig]=2"},
		{"bad escape", "%zzsersig=1", "%zzsersig=1"},
		{"already redacted", "usersig=REDACTED", "usersig=REDACTED"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Query(tt.in); got != tt.want {
				t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(AppendQuery([]byte("kept:"), tt.in)); got != "kept:"+tt.want {
				t.Errorf("AppendQuery(\"kept:\", %q) = %q, want %q", tt.in, got, "kept:"+tt.want)
			}
		})
	}
}

// tokens returns real UserSigs as the official libraries write them: every
// JSON style, stored and compressed, with a user buffer or none.
func tokens(t testing.TB) []string {
	t.Helper()
	var out []string
	now := time.Unix(1_700_000_000, 0)
	for _, level := range []int{zlib.NoCompression, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly} {
		for _, style := range []usersig.Style{usersig.StyleGo, usersig.StylePython, usersig.StyleNode, usersig.StylePHP} {
			for _, buf := range [][]byte{nil, []byte("room-7")} {
				sig, err := usersig.Sign("a-real-key", usersig.Claims{Identifier: "administrator", SDKAppID: 1400123456,
					Time: now.Unix(), Expire: 86400, UserBuf: buf}, usersig.WithLevel(level), usersig.WithStyle(style))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, sig)
			}
		}
	}
	return out
}

// padded returns a token of tokens whose base64 ends with the given number
// of padding characters.
func padded(t *testing.T, n int) string {
	for _, sig := range tokens(t) {
		if len(sig)-len(strings.TrimRight(sig, "_")) == n {
			return sig
		}
	}
	t.Fatalf("no token with %d padding characters", n)
	return ""
}

// TestText: a UserSig is found wherever a client or an upstream puts it,
// and only the token is replaced.
func TestText(t *testing.T) {
	sig := padded(t, 1)
	esc := url.QueryEscape(sig) // '*' as %2A
	if esc == sig {
		t.Fatalf("the token %q has nothing to escape", sig)
	}
	tests := []struct{ name, in, want string }{
		{"alone", sig, "REDACTED"},
		{"query value", "sdkappid=1&usersig=" + sig + "&random=2", "sdkappid=1&usersig=REDACTED&random=2"},
		{"escaped equals", "usersig%3D" + sig + "&x=1", "usersig%3DREDACTED&x=1"},
		{"plus name", "usersig+=" + sig, "usersig+=REDACTED"},
		{"brackets", "usersig[]=" + sig, "usersig[]=REDACTED"},
		{"upper-case name", "USERSIG=" + sig, "USERSIG=REDACTED"},
		{"another parameter's value", "identifier=" + sig, "identifier=REDACTED"},
		{"inside an escaped value", "identifier=admin%26usersig%3D" + esc, "identifier=admin%26usersig%3DREDACTED"},
		{"percent-encoded token", "usersig=" + esc + "&x=1", "usersig=REDACTED&x=1"},
		{"lower-case escapes", "usersig=" + strings.ReplaceAll(esc, "%2A", "%2a"), "usersig=REDACTED"},
		{"in a path", "/v4/desk/" + sig + "/send", "/v4/desk/REDACTED/send"},
		{"in a JSON body", `{"SessionId":"` + sig + `","Chunk":"x"}`, `{"SessionId":"REDACTED","Chunk":"x"}`},
		{"in an HTML page", "<p>GET /x?usersig=" + sig + " not found</p>", "<p>GET /x?usersig=REDACTED not found</p>"},
		{"glued before", "abc-" + sig, "abc-REDACTED"},
		{"twice", sig + " " + sig, "REDACTED REDACTED"},
		{"two padding characters", "x " + padded(t, 2) + " y", "x REDACTED y"},
		{"no padding, glued after", "x=" + padded(t, 0) + "-tail", "x=REDACTED-tail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
			if got := string(Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestTextEveryToken: every style and level of the official libraries is
// found.
func TestTextEveryToken(t *testing.T) {
	for _, sig := range tokens(t) {
		if got := Text("usersig=" + sig + "&x=1"); got != "usersig=REDACTED&x=1" {
			t.Errorf("Text left %q: %q", sig, got)
		}
		if len(sig) < MinToken+32 {
			t.Errorf("token of %d characters: MinToken %d is too close", len(sig), MinToken)
		}
	}
}

// TestTextKeeps: what is no UserSig stays as it is, runs of its alphabet
// included.
func TestTextKeeps(t *testing.T) {
	sig := padded(t, 1)
	for _, in := range []string{
		"",
		"sdkappid=1400000001&identifier=administrator&usersig=abc&random=1&contenttype=json",
		`{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","Chunk":"Hello, world"}`,
		strings.Repeat("e", 5000),
		strings.Repeat("A", 300) + "%zz" + strings.Repeat("B", 300),
		sig[:len(sig)/2],          // half a token is no credential
		sig[:len(sig)-8] + "AAAA", // nor one whose end is changed
		strings.Repeat("%2A", 100),
	} {
		if got := Text(in); got != in {
			t.Errorf("Text changed %.80q to %.80q", in, got)
		}
	}
}

// TestTextCostlyRun: a run full of zlib headers is redacted whole once
// maxAttempts of them have been read, rather than read to its end from
// each.
func TestTextCostlyRun(t *testing.T) {
	in := "x=" + strings.Repeat("eJzz", 1000) + "&y=1"
	got := Text(in)
	if !strings.HasPrefix(got, "x=eJzz") || !strings.HasSuffix(got, "REDACTED&y=1") || len(got) > 2+4*maxAttempts+len("REDACTED&y=1") {
		t.Errorf("Text = %q", got)
	}
}

// TestTextProperty: a token put at a random place in random text is
// always gone, the text around it kept; random text without a token is
// unchanged.
func TestTextProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sigs := tokens(t)
	alphabets := []string{
		"abcdefghijklmnopqrstuvwxyz ",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_%&=?/ \"{}:,",
		"eJxzAE%2A_-",
	}
	random := func() string {
		a := alphabets[rng.IntN(len(alphabets))]
		b := make([]byte, rng.IntN(600))
		for i := range b {
			b[i] = a[rng.IntN(len(a))]
		}
		return string(b)
	}
	for range 2000 {
		text := random()
		if got := Text(text); got != text {
			t.Fatalf("Text changed a text without a token:\n%q\n%q", text, got)
		}
		sig := sigs[rng.IntN(len(sigs))]
		if rng.IntN(3) == 0 {
			sig = url.QueryEscape(sig)
		}
		at := rng.IntN(len(text) + 1)
		with := text[:at] + sig + text[at:]
		got := Text(with)
		if strings.Contains(got, sig) || !strings.Contains(got, Placeholder) {
			t.Fatalf("the token stayed in\n%q:\n%q", with, got)
		}
		if string(Bytes([]byte(with))) != got {
			t.Fatalf("Bytes and Text differ on %q", with)
		}
	}
}

// FuzzText: whatever the text around it, a token put in it is gone, and
// Text never panics.
func FuzzText(f *testing.F) {
	sig := tokens(f)[0]
	f.Add("usersig=", "&x=1")
	f.Add("/v4/", "/send")
	f.Add("3D", "")
	f.Add("eJ", "AAAA")
	f.Fuzz(func(t *testing.T, before, after string) {
		Text(before + after)
		if got := Text(before + sig + after); strings.Contains(got, sig) {
			t.Fatalf("token left in %q", got)
		}
	})
}

// BenchmarkText measures what the scan costs on text without a token, as
// most of what goes out is.
func BenchmarkText(b *testing.B) {
	prose := strings.Repeat("Hello, this is a chunk of a streamed answer. ", 280)
	b64 := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw", 280)
	for _, bc := range []struct{ name, text string }{
		{"query", "sdkappid=1400000001&identifier=administrator&usersig=REDACTED&random=1&contenttype=json"},
		{"body", `{"SessionId":"fd8a2e30-54de-4e40-bcaf-02718409c5cf","MsgKey":"1400000001-administrator-7","Chunk":"Hello, ","Finish":0}`},
		{"prose 12KiB", prose},
		{"base64 12KiB", b64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				if Text(bc.text) != bc.text {
					b.Fatal("changed")
				}
			}
		})
	}
}
