package conformance

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/deskmock/deskmock/internal/reportstyle"
	"github.com/deskmock/deskmock/internal/textcut"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"css":     reportstyle.CSS,
	"seconds": func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) },
	"at":      formatAt,
	"target":  requestTarget,
	"reply":   replyLine,
	"clip":    textcut.Cut,
	"upper":   func(s Status) string { return strings.ToUpper(string(s)) },
	"cell":    cellClass,
	"symbol":  cellSymbol,
	"join":    strings.Join,
	"output":  func(s string) string { return textcut.Cut(s, 20000) },
	"stamp":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"count":   func(s Summary, l Level, o Outcome) int { return s.Checks[l][o] },
}).Parse(htmlSource))

// WriteHTML writes the report as one self-contained HTML page: no script,
// no network, no external asset. It shows a grid of cases by checks, then
// each case with its checks, diffs, transcript and client output; the cases
// that did not pass are open.
func WriteHTML(w io.Writer, rep *Report) error {
	if err := htmlTemplate.Execute(w, rep); err != nil {
		return fmt.Errorf("conformance: html: %w", err)
	}
	return nil
}

// cellClass is the CSS class of a grid cell.
func cellClass(r CheckResult) string {
	switch {
	case r.Outcome == NotApplicable:
		return "na"
	case r.Outcome == Pass:
		return "pass"
	case r.Level == Must:
		return "fail-must"
	case r.Level == Should:
		return "fail-should"
	}
	return "fail-info"
}

// cellSymbol is the text of a grid cell.
func cellSymbol(r CheckResult) string {
	switch cellClass(r) {
	case "na":
		return "·"
	case "pass":
		return "✓"
	case "fail-info":
		return "i"
	case "fail-should":
		return "!"
	}
	return "✗"
}
