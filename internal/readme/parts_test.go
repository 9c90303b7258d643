package readme

import (
	"slices"
	"testing"
)

// Under stops at the next heading of its level or higher, not at a shell
// comment in a code block nor at a lower heading; Blocks keeps the blocks
// of one language.
func TestUnderAndBlocks(t *testing.T) {
	const doc = "## A\n\nintro\n\n### B\n\n```sh\n# a comment\necho b\n```\n\n#### B.1\n\n```yaml\nb: 1\n```\n\n### C\n\n```yaml\nc: 1\n```\n"
	b, ok := Under(doc, "### B")
	if !ok {
		t.Fatal("no ### B")
	}
	if got, want := Blocks(b, "yaml"), []string{"b: 1\n"}; !slices.Equal(got, want) {
		t.Errorf("the yaml blocks under ### B: %q, want %q", got, want)
	}
	if got, want := Blocks(b, "sh"), []string{"# a comment\necho b\n"}; !slices.Equal(got, want) {
		t.Errorf("the sh blocks under ### B: %q, want %q", got, want)
	}
	if a, _ := Under(doc, "## A"); len(Blocks(a, "yaml")) != 2 {
		t.Errorf("## A holds its subsections: %q", a)
	}
	if _, ok := Under(doc, "### D"); ok {
		t.Error("found ### D, which the text lacks")
	}
}
