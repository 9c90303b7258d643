// Package dashboard holds the web pages of deskmock, embedded: the landing
// page, the dashboard's page, its style sheet and its script. It knows
// nothing of the server; the server fills the templates and serves the
// assets.
package dashboard

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
)

//go:embed templates/*.html assets/*
var files embed.FS

// Assets are the static files the pages load (app.css, app.js), served
// under the dashboard's assets/ path.
var Assets fs.FS = mustSub(files, "assets")

var templates = template.Must(template.ParseFS(files, "templates/*.html"))

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is embedded
	}
	return sub
}

// Page is what the dashboard's page is made from.
type Page struct {
	// Version is the version of deskmock.
	Version string
	// Assets is the URL path of the assets, ending in "/".
	Assets string
	// API is the URL path of the dashboard's JSON API, with no trailing "/".
	API string
	// TokenRequired says that the page must ask for the admin token.
	TokenRequired bool
}

// WritePage writes the dashboard's page.
func WritePage(w io.Writer, p Page) error {
	return templates.ExecuteTemplate(w, "dashboard.html", p)
}

// Endpoint is one path the server answers, as the landing page lists it.
type Endpoint struct {
	Method, Path, What string
}

// Landing is what the landing page is made from.
type Landing struct {
	// Version is the version of deskmock.
	Version string
	// Base is the URL the page was reached at, such as
	// "http://127.0.0.1:8780".
	Base string
	// Dashboard is the URL path of the dashboard.
	Dashboard string
	// Endpoints are the paths the server answers.
	Endpoints []Endpoint
	// Curl is the command that sends a first chunk; empty when no UserSig
	// could be signed.
	Curl string
	// SigHours is how long the command's UserSig is valid, in hours; 0
	// when the command carries none (the key is not the test key).
	SigHours int
	// Note is said after the command.
	Note string
}

// WriteLanding writes the landing page.
func WriteLanding(w io.Writer, l Landing) error {
	return templates.ExecuteTemplate(w, "landing.html", l)
}
