package calibrate

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/deskmock/deskmock/internal/reportstyle"
	"github.com/deskmock/deskmock/mockserver/codes"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("calibrate").Funcs(template.FuncMap{
	"css":     reportstyle.CSS,
	"stamp":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"seconds": func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) },
	"word":    func(o Outcome) string { return outcomeWord[o] },
	"cell":    outcomeClass,
	"answer":  answerHTML,
	"ovr":     func(o *codes.Override) string { return overrideText(*o) },
	"probeExchanges": func(rep *Report, probe string) []Exchange {
		var out []Exchange
		for _, e := range rep.Exchanges {
			if e.Probe == probe {
				out = append(out, e)
			}
		}
		return out
	},
}).Parse(htmlSource))

// WriteHTML writes the report as one self-contained HTML page in the style
// of the conformance report: a table of probes with both answers, then each
// probe's request and the upstream's exchanges. UserSigs are hidden.
func WriteHTML(w io.Writer, rep *Report) error {
	return writeRedacted(w, func(w io.Writer) error {
		if err := htmlTemplate.Execute(w, rep); err != nil {
			return fmt.Errorf("calibrate: html: %w", err)
		}
		return nil
	})
}

// outcomeClass is the CSS class, of the conformance style sheet, of an
// outcome.
func outcomeClass(o Outcome) string {
	switch o {
	case Match:
		return "pass"
	case Differ, Failed:
		return "fail"
	case NotProvoked:
		return "warn"
	}
	return "known-fail"
}

// answerHTML words an answer for the page.
func answerHTML(a *Answer) string {
	switch {
	case a == nil:
		return "not asked"
	case a.Error != "":
		return "error: " + a.Error
	}
	if a.Code == 0 {
		return "0 OK, MsgKey " + a.MsgKey
	}
	return fmt.Sprintf("%d %q", a.Code, a.Info)
}
