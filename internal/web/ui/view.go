package ui

import (
	"net/http"
	"net/url"
)

// View holds what every page of the session sites (account pages,
// merchant portal) shows; each site embeds it in its own view type, so
// that templates read these fields directly.
type View struct {
	Lang      Lang
	Title     string
	Query     string // "?lang=…", to keep the language on links
	SwitchURL string // the same page in the other language
	RequestID string

	CSRF    string // the session's form token, for every form
	Nav     string // the active menu entry
	Flash   string // news from the previous request
	Problem string // what is wrong with the form just sent
	Detail  string // more about it

	// Message pages.
	Heading, Body, Tone, Link, LinkText string

	Data any // the page's own data
}

// NewView fills the fields every page has: the title is message key title
// of m, and the language switch leads to switchPath with r's query
// parameters named in keep plus extra (which may be nil).
func NewView(r *http.Request, m Messages, title, requestID, switchPath string, keep []string, extra url.Values) View {
	l := PickLang(r)
	q := url.Values{"lang": {string(l.Other())}}
	for _, k := range keep {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	for k, v := range extra {
		q[k] = v
	}
	return View{
		Lang:      l,
		Title:     m.Text(l, title),
		Query:     "?lang=" + string(l),
		SwitchURL: switchPath + "?" + q.Encode(),
		RequestID: requestID,
	}
}
