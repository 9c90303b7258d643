package textcut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	tests := []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"short", "hello", 5, "hello"},
		{"empty", "", 0, ""},
		{"cut", "hello, world", 5, "hello...[cut: 12 bytes]"},
		{"inside a character", "ab中文", 4, "ab...[cut: 8 bytes]"},
		{"on a character's edge", "ab中文", 5, "ab中...[cut: 8 bytes]"},
		{"nothing fits", "中文", 2, "...[cut: 6 bytes]"},
		{"negative max", "abc", -1, "...[cut: 3 bytes]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cut(tt.s, tt.max)
			if got != tt.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Cut(%q, %d) = %q is not valid UTF-8", tt.s, tt.max, got)
			}
		})
	}
}

func TestCutEveryPlace(t *testing.T) {
	s := strings.Repeat("a中é🙂", 10)
	for max := 0; max <= len(s); max++ {
		got := Cut(s, max)
		prefix, _, _ := strings.Cut(got, "...[cut:")
		if !utf8.ValidString(got) || len(prefix) > max || !strings.HasPrefix(s, prefix) || len(prefix) < max-3 {
			t.Errorf("Cut(s, %d) = %q", max, got)
		}
	}
}
