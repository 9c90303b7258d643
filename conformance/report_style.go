package conformance

import (
	"html/template"
	"strings"
)

// ReportCSS returns the style sheet of the HTML report, so that deskmock's
// other HTML reports share its look.
func ReportCSS() template.CSS {
	_, rest, _ := strings.Cut(htmlSource, "<style>")
	css, _, _ := strings.Cut(rest, "</style>")
	return template.CSS(css)
}
