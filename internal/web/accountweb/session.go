package accountweb

import (
	"errors"
	"net/http"
	"net/url"

	"paygate/internal/account"
	"paygate/internal/web/ui"
)

// maxFormBytes bounds every form.
const maxFormBytes = 16 << 10

// newSecret returns 32 random bytes, base64url: send keys ([ui.NewSecret]).
func newSecret() string { return ui.NewSecret() }

// formToken returns the session's form token, making it on first use (for
// anonymous visitors too: the log-in form needs one).
func (h *Handler) formToken(r *http.Request) string { return h.forms.Token(r) }

// newFormTokens is the synchronizer-token check of every POST
// ([ui.FormTokens]): a form from another session (another account's
// cookie, an expired session) or from another site, or a POST with no form
// at all, is refused before any handler runs and changes nothing.
func (h *Handler) newFormTokens() *ui.FormTokens {
	return &ui.FormTokens{
		Session: h.sessions, Logger: h.log, MaxBytes: maxFormBytes,
		Refuse: http.HandlerFunc(h.refuseForm),
		BadForm: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.message(w, r, http.StatusBadRequest, "bad", "bad_form_title", "bad_form_body")
		}),
	}
}

// refuseForm answers a forged or stale form: 403 and a message in both
// languages, since the form may not even be ours.
func (h *Handler) refuseForm(w http.ResponseWriter, r *http.Request) {
	v := h.newView(r, "forbidden_title")
	v.Heading, v.Body, v.Detail, v.Tone = v.Title, v.T("csrf_body"), messages.Text(v.Lang.Other(), "csrf_body"), "bad"
	v.Link, v.LinkText = "/account/"+v.Query, v.T("back_home")
	h.render(w, r, http.StatusForbidden, "message", v)
}

// crossOrigin answers a POST that the browser says came from another site.
func (h *Handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.log.WarnContext(r.Context(), "account: cross-origin request refused", "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	h.refuseForm(w, r)
}

// auth wraps a page that needs a log-in: it passes the session's account,
// or redirects to the log-in page, which comes back here afterwards. A
// session of a gone account, or one logged in before the account's
// sessions were ended (a password reset: [account.Account.SessionCurrent]),
// is cleared first: the reset deletes such sessions, but a request in
// flight at that moment writes its session back.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, account.Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := h.sessions.SessionAccount(ctx)
		if id == "" {
			h.toLogin(w, r)
			return
		}
		a, err := h.accounts.Get(ctx, id)
		if err == nil && !a.SessionCurrent(h.sessions.SessionLogin(ctx)) {
			h.log.InfoContext(ctx, "account: ended session refused", "account_id", a.ID)
			err = account.ErrNotFound
		}
		if errors.Is(err, account.ErrNotFound) {
			if err := h.sessions.ClearSessionAccount(ctx); err != nil {
				h.internalError(w, r, err)
				return
			}
			h.toLogin(w, r)
			return
		}
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		next(w, r, a)
	}
}

// toLogin redirects to the log-in page with next set to this page (for a
// GET; a POST comes back to its form).
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	next := ui.ReturnPath(r)
	q := url.Values{"lang": {string(ui.PickLang(r))}}
	if next != "/account/" {
		q.Set("next", next)
	}
	http.Redirect(w, r, "/account/login?"+q.Encode(), http.StatusSeeOther)
}

// safeNext returns next if it is a local account page to go to after
// log-in, else the home page ([ui.SafeNext]).
func safeNext(next string) string { return ui.SafeNext(next, "/account/", "/account/logout") }

// flash stores a message for the next page the session shows
// ([ui.PutFlash]).
func (h *Handler) flash(r *http.Request, key string, args ...string) {
	ui.PutFlash(r.Context(), h.sessions, key, args...)
}

// popFlash returns the stored message in l, or "".
func (h *Handler) popFlash(r *http.Request, l ui.Lang) string {
	return ui.PopFlash(r.Context(), h.sessions, messages, l)
}
