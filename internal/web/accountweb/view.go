package accountweb

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"time"

	"paygate/internal/account"
	"paygate/internal/money"
	"paygate/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// contentSecurityPolicy allows only the pages' own script, style and
// images, forms posting back here, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every response carries.
func (h *Handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// assetSet is the embedded static files with their content hashes, which
// version their URLs.
type assetSet struct {
	files map[string][]byte
	hash  map[string]string
}

func mustLoadAssets() *assetSet {
	a := &assetSet{files: map[string][]byte{}, hash: map[string]string{}}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(assetFS, "assets/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		a.files[e.Name()] = b
		a.hash[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return a
}

// url is the versioned address of an asset.
func (a *assetSet) url(name string) string {
	return "/account/assets/" + a.hash[name] + "/" + name
}

// asset serves one embedded file; any version segment is accepted, so that
// pages from an older instance still load.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := h.assets.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml"}[path.Ext(name)]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"message", "login", "register", "activate", "reset", "newpassword",
	"home", "send", "topup", "withdraw", "statement"}

func mustParsePages(a *assetSet) map[string]*template.Template {
	funcs := template.FuncMap{"asset": a.url}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// view is what every page template sees.
type view struct {
	Lang      lang
	Title     string
	Query     string // "?lang=…", to keep the language on links
	SwitchURL string // the same page in the other language
	RequestID string

	CSRF    string           // the session's form token, for every form
	Account *account.Account // the logged-in account, or nil
	Kind    string           // its kind, in words
	Nav     string           // the active menu entry
	Flash   string           // news from the previous request
	Problem string           // what is wrong with the form just sent
	Detail  string           // more about it, e.g. a bank response code

	// Message pages.
	Heading, Body, Tone, Link, LinkText string

	Data any // the page's own data
}

// with sets the page's own data.
func (v *view) with(data any) *view {
	v.Data = data
	return v
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return v.Lang.text(key, args...) }

// getPaths are the pages a POST's language switch leads to, where the
// POST's path has no GET of its own.
var getPaths = map[string]string{"/account/reset/confirm": "/account/reset", "/account/logout": "/account/login"}

// switchKeep are the query parameters the language switch keeps: a mailed
// link's token, the page after log-in, the history filter.
var switchKeep = []string{"token", "next", "from", "to", "dir", "before"}

// newView fills the fields every page has. It does not touch the session,
// so that it works before the session is loaded.
func (h *Handler) newView(r *http.Request, title string) *view {
	l := pickLang(r)
	q := url.Values{"lang": {string(l.Other())}}
	for _, k := range switchKeep {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	p := r.URL.Path
	if r.Method == http.MethodPost {
		if tok := r.PostForm.Get("token"); tok != "" {
			q.Set("token", tok) // keep a mailed link's token, the page is its form
		}
		if g, ok := getPaths[p]; ok {
			p = g
		}
	}
	return &view{
		Lang:      l,
		Title:     l.text(title),
		Query:     "?lang=" + string(l),
		SwitchURL: p + "?" + q.Encode(),
		RequestID: web.RequestID(r.Context()),
	}
}

// formView is a page with forms: it carries the session's form token.
func (h *Handler) formView(r *http.Request, title string) *view {
	v := h.newView(r, title)
	v.CSRF = h.formToken(r)
	return v
}

// userView is a page of the logged-in account a, under menu entry nav.
func (h *Handler) userView(r *http.Request, a account.Account, title, nav string) *view {
	v := h.formView(r, title)
	v.Account, v.Nav = &a, nav
	v.Kind = v.T("personal")
	if a.Kind == account.Enterprise {
		v.Kind = v.T("enterprise") + " · " + a.Company
	}
	if r.Method == http.MethodGet {
		v.Flash = h.popFlash(r, v.Lang)
	}
	return v
}

// render writes page with status. Rendering goes to a buffer first so that
// a template error becomes a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.ErrorContext(r.Context(), "account: render", "page", page, "request_id", v.RequestID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page with just a heading and a text, both message keys.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, tone, title, body string) {
	v := h.newView(r, title)
	v.Heading, v.Body, v.Tone = v.Title, v.T(body), tone
	h.render(w, r, status, "message", v)
}

// internalError logs err and answers a 500 page quoting the request id.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	v := h.newView(r, "error_title")
	h.log.ErrorContext(r.Context(), "account: internal error", "path", r.URL.Path, "request_id", v.RequestID, "err", err)
	ref := v.RequestID
	if ref == "" {
		ref = "-"
	}
	v.Heading, v.Body, v.Tone = v.Title, v.T("error_body", ref), "bad"
	h.render(w, r, http.StatusInternalServerError, "message", v)
}

// notFound answers an unknown page under /account/.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, "warn", "notfound_title", "notfound_body")
}

// toHome redirects /account to /account/.
func (h *Handler) toHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/account/?lang="+string(pickLang(r)), http.StatusSeeOther)
}

// seeOther redirects to an account page in the request's language.
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, page string) {
	http.Redirect(w, r, page+"?lang="+string(pickLang(r)), http.StatusSeeOther)
}

// symbols are the currency signs shown before amounts.
var symbols = map[money.Currency]string{"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"}

// formatAmount is "¥12.34", with thousands separated: "¥10,000.00",
// "-¥5.00"; signed adds "+" to positive amounts.
func formatAmount(a money.Amount, signed bool) string {
	s := a.String()
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	for i := range len(s) {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i:]
			break
		}
	}
	var b []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, intPart[i])
	}
	out := string(b) + frac
	if sym, ok := symbols[a.Currency()]; ok {
		out = sym + out
	} else {
		out += " " + string(a.Currency())
	}
	switch {
	case neg:
		out = "-" + out
	case signed && a.Minor() > 0:
		out = "+" + out
	}
	return out
}

// formatTime shows t where the account holder is (Deps.Location).
func (h *Handler) formatTime(t time.Time) string {
	return t.In(h.loc).Format("2006-01-02 15:04:05")
}
