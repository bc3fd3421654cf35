package portal

import (
	"embed"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paygate/internal/money"
	"paygate/internal/staff"
	"paygate/internal/web"
	"paygate/internal/web/ui"
)

// files are the page templates (templates/*.html) and the static assets
// (assets/).
//
//go:embed templates/*.html assets
var files embed.FS

// contentSecurityPolicy allows only the portal's own script, style and
// images, same-origin polling, forms posting back here, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every response carries ([ui.Secure]).
func secure(next http.Handler) http.Handler { return ui.Secure(contentSecurityPolicy, next) }

// assetPrefix is where the embedded assets are served, under their content
// hash.
const assetPrefix = "/portal/assets/"

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"message", "login", "payments", "payment", "keys", "settings", "batches", "batch"}

// view is what every page template sees.
type view struct {
	ui.View
	Staff    *staff.Member // the logged-in staff member, or nil
	Merchant string        // its merchant's name
}

// with sets the page's own data.
func (v *view) with(data any) *view {
	v.Data = data
	return v
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return messages.Text(v.Lang, key, args...) }

// Can reports whether the staff member's role allows the action a (see
// staff.Action), for templates to show only the forms that will work.
func (v *view) Can(a string) bool { return v.Staff != nil && v.Staff.Role.Can(staff.Action(a)) }

// switchKeep are the query parameters the language switch keeps: the
// page after log-in and the search filter and cursor.
var switchKeep = []string{"next", "from", "to", "status", "order_no", "min", "max", "method", "after"}

// newView fills the fields every page has. It does not touch the session.
func (h *Handler) newView(r *http.Request, title string) *view {
	p := r.URL.Path
	if r.Method == http.MethodPost {
		p = postBack(p)
	}
	return &view{View: ui.NewView(r, messages, title, web.RequestID(r.Context()), p, switchKeep, nil)}
}

// formView is a page with forms: it carries the session's form token.
func (h *Handler) formView(r *http.Request, title string) *view {
	v := h.newView(r, title)
	v.CSRF = h.forms.Token(r)
	return v
}

// userView is a page of the logged-in staff member u, under menu entry nav.
func (h *Handler) userView(r *http.Request, u who, title, nav string) *view {
	v := h.formView(r, title)
	m := u.Member
	v.Staff, v.Merchant, v.Nav = &m, u.Merchant.Name, nav
	if r.Method == http.MethodGet {
		v.Flash = h.popFlash(r.Context(), v.Lang)
	}
	return v
}

// render writes page with status; a template error becomes a clean 500
// ([ui.Pages.Render]), logged here.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if err := h.pages.Render(w, status, page, v); err != nil {
		h.log.ErrorContext(r.Context(), "portal: render", "page", page, "request_id", v.RequestID, "err", err)
	}
}

// message renders a page with just a heading and a text, both message keys.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, tone, title, body string) {
	v := h.newView(r, title)
	v.Heading, v.Body, v.Tone = v.Title, v.T(body), tone
	v.Link, v.LinkText = "/portal/"+v.Query, v.T("back_home")
	h.render(w, r, status, "message", v)
}

// internalError logs err and answers a 500 page quoting the request id.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	v := h.newView(r, "error_title")
	h.log.ErrorContext(r.Context(), "portal: internal error", "path", r.URL.Path, "request_id", v.RequestID, "err", err)
	ref := v.RequestID
	if ref == "" {
		ref = "-"
	}
	v.Heading, v.Body, v.Tone = v.Title, v.T("error_body", ref), "bad"
	h.render(w, r, http.StatusInternalServerError, "message", v)
}

// failed answers a service error on a page of u: a 404 page for what the
// merchant cannot see, else its translated message and status (the
// 500 page for an error that is not an application one).
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, u who, err error) {
	l := ui.PickLang(r)
	text, status, ok := messages.ErrorText(l, err)
	if !ok {
		h.internalError(w, r, err)
		return
	}
	title := "problem_title"
	if status == http.StatusNotFound {
		title = "notfound_title"
	}
	v := h.userView(r, u, title, "")
	v.Heading, v.Body, v.Tone = v.Title, text, "bad"
	v.Link, v.LinkText = "/portal/"+v.Query, v.T("back_home")
	h.render(w, r, status, "message", v)
}

// notFound answers an unknown page under /portal/.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, "warn", "notfound_title", "notfound_body")
}

// refuseForm answers a forged or stale form: 403 and a message in both
// languages, since the form may not even be ours.
func (h *Handler) refuseForm(w http.ResponseWriter, r *http.Request) {
	v := h.newView(r, "forbidden_title")
	v.Heading, v.Body, v.Detail, v.Tone = v.Title, v.T("csrf_body"), messages.Text(v.Lang.Other(), "csrf_body"), "bad"
	v.Link, v.LinkText = "/portal/"+v.Query, v.T("back_home")
	h.render(w, r, http.StatusForbidden, "message", v)
}

// crossOrigin answers a POST that the browser says came from another site.
func (h *Handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.WarnContext(r.Context(), "portal: cross-origin request refused", "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	h.refuseForm(w, r)
}

// badForm answers a body that cannot be read as a form, or is too large.
func (h *Handler) badForm(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusBadRequest, "bad", "bad_form_title", "bad_form_body")
}

// toHome redirects /portal to /portal/.
func (h *Handler) toHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/portal/?lang="+string(ui.PickLang(r)), http.StatusSeeOther)
}

// home is the payments search.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, _ who) {
	http.Redirect(w, r, "/portal/payments?lang="+string(ui.PickLang(r)), http.StatusSeeOther)
}

// seeOther redirects to a portal page in the request's language; page may
// carry a query of its own.
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, page string) {
	u, _ := url.Parse(page)
	q := u.Query()
	q.Set("lang", string(ui.PickLang(r)))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// postBack is the page a POST's language switch leads to: the page whose
// form it is.
func postBack(p string) string {
	if p == "/portal/logout" {
		return "/portal/login"
	}
	for _, suffix := range []string{"/refund", "/resend", "/confirm", "/discard"} {
		if base, ok := strings.CutSuffix(p, suffix); ok {
			return base
		}
	}
	return p
}

// formatTime shows t where the merchant is (Deps.Location).
func (h *Handler) formatTime(t time.Time) string { return ui.FormatTime(t, h.loc) }

// formatTimePtr is formatTime for an optional time ("" for none).
func (h *Handler) formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return h.formatTime(*t)
}

// amount shows a as people read it; a zero value (no currency) as "".
func amount(a money.Amount) string {
	if a.Currency() == "" {
		return ""
	}
	return ui.FormatAmount(a)
}
