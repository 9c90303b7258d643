package reportstyle

import (
	"strings"
	"testing"
)

// TestCSS: the style sheet has the classes both reports use, and no markup
// that would end its <style> element.
func TestCSS(t *testing.T) {
	css := string(CSS())
	for _, class := range []string{".verdict", ".role"} {
		if !strings.Contains(css, class) {
			t.Errorf("the style sheet lacks %s", class)
		}
	}
	if strings.Contains(css, "<") {
		t.Errorf("the style sheet holds markup:\n%.200s", css)
	}
}
