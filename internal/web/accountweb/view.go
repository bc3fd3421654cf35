package accountweb

import (
	"embed"
	"net/http"
	"net/url"
	"time"

	"paygate/internal/account"
	"paygate/internal/web"
	"paygate/internal/web/ui"
)

// files are the page templates (templates/*.html) and the static assets
// (assets/).
//
//go:embed templates/*.html assets
var files embed.FS

// contentSecurityPolicy allows only the pages' own script, style and
// images, forms posting back here, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every response carries ([ui.Secure]).
func secure(next http.Handler) http.Handler { return ui.Secure(contentSecurityPolicy, next) }

// assetPrefix is where the embedded assets are served, under their content
// hash.
const assetPrefix = "/account/assets/"

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"message", "login", "register", "activate", "reset", "newpassword",
	"home", "send", "topup", "withdraw", "statement"}

// view is what every page template sees.
type view struct {
	ui.View
	Account *account.Account // the logged-in account, or nil
	Kind    string           // its kind, in words
}

// with sets the page's own data.
func (v *view) with(data any) *view {
	v.Data = data
	return v
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return messages.Text(v.Lang, key, args...) }

// getPaths are the pages a POST's language switch leads to, where the
// POST's path has no GET of its own.
var getPaths = map[string]string{"/account/reset/confirm": "/account/reset", "/account/logout": "/account/login"}

// switchKeep are the query parameters the language switch keeps: a mailed
// link's token, the page after log-in, the history filter.
var switchKeep = []string{"token", "next", "from", "to", "dir", "before"}

// newView fills the fields every page has. It does not touch the session,
// so that it works before the session is loaded.
func (h *Handler) newView(r *http.Request, title string) *view {
	p := r.URL.Path
	var extra url.Values
	if r.Method == http.MethodPost {
		if tok := r.PostForm.Get("token"); tok != "" {
			extra = url.Values{"token": {tok}} // keep a mailed link's token, the page is its form
		}
		if g, ok := getPaths[p]; ok {
			p = g
		}
	}
	return &view{View: ui.NewView(r, messages, title, web.RequestID(r.Context()), p, switchKeep, extra)}
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

// render writes page with status; a template error becomes a clean 500
// ([ui.Pages.Render]), logged here.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if err := h.pages.Render(w, status, page, v); err != nil {
		h.log.ErrorContext(r.Context(), "account: render", "page", page, "request_id", v.RequestID, "err", err)
	}
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
	http.Redirect(w, r, "/account/?lang="+string(ui.PickLang(r)), http.StatusSeeOther)
}

// seeOther redirects to an account page in the request's language.
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, page string) {
	http.Redirect(w, r, page+"?lang="+string(ui.PickLang(r)), http.StatusSeeOther)
}

// formatTime shows t where the account holder is (Deps.Location).
func (h *Handler) formatTime(t time.Time) string { return ui.FormatTime(t, h.loc) }
