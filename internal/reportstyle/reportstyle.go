// Package reportstyle holds the style sheet that deskmock's HTML reports
// (conformance, calibrate) share, so that they look alike.
package reportstyle

import (
	_ "embed"
	"html/template"
)

//go:embed report.css
var css string

// CSS returns the style sheet, for a template's <style> element.
func CSS() template.CSS { return template.CSS(css) }
