package readme

import (
	"os"
	"path/filepath"
	"strings"
)

// Read returns the README.md of the module whose root is root.
func Read(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	return string(b), err
}

// Marked returns the text between <!-- name:begin --> and <!-- name:end -->.
func Marked(doc, name string) (string, bool) {
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		return "", false
	}
	return doc[i+len(begin) : j], true
}

// Under returns the text below the heading line (such as "### GitLab CI"),
// up to the next heading of its level or higher. Lines in fenced code
// blocks are not headings: a shell comment is not one.
func Under(doc, heading string) (string, bool) {
	level := len(heading) - len(strings.TrimLeft(heading, "#"))
	var out []string
	found, fenced := false, false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && !found && line == heading {
			found = true
			continue
		}
		if !found {
			continue
		}
		if !fenced && strings.HasPrefix(line, "#") {
			n := len(line) - len(strings.TrimLeft(line, "#"))
			if n <= level && strings.HasPrefix(line[n:], " ") {
				break
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), found
}

// Blocks returns the contents of the fenced code blocks in text whose
// info string is lang ("yaml", "sh", ...), in order.
func Blocks(text, lang string) []string {
	var blocks []string
	var cur []string
	in, fenced := false, false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			if fenced && in {
				blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			}
			in = !fenced && strings.TrimSpace(strings.TrimPrefix(line, "```")) == lang
			fenced, cur = !fenced, nil
			continue
		}
		if in {
			cur = append(cur, line)
		}
	}
	return blocks
}
