package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/alexedwards/scs/v2"

	"paygate/internal/account"
	"paygate/internal/merchant"
	"paygate/internal/staff"
	"paygate/internal/web/ui"
)

// SessionCookieName is the portal's session cookie; with secure cookies it
// takes the __Host- prefix. It differs from the account pages' cookie, so
// that a payer's session and a merchant staff session in one browser are
// two sessions.
const SessionCookieName = "paygate_portal"

// NewSessions returns the portal's session manager on store (the shared
// sessions table: account.NewSessionStore), with the account pages'
// secure defaults ([account.NewSessionManager]: HttpOnly, SameSite=Lax,
// not persisted, 30 min idle, 12 h at most) under the portal's own cookie
// name. secureCookie must be set whenever the portal is served over HTTPS.
func NewSessions(store scs.Store, secureCookie bool) *scs.SessionManager {
	sm := account.NewSessionManager(store, secureCookie).SessionManager
	sm.Cookie.Name = SessionCookieName
	if secureCookie {
		sm.Cookie.Name = "__Host-" + SessionCookieName
	}
	return sm
}

// Session keys.
const (
	keyStaff = "staff_id" // the staff member logged in
)

// who is the logged-in staff member and their merchant.
type who struct {
	staff.Member
	Merchant merchant.Merchant
}

// auth wraps a page that needs a log-in: it passes the session's staff
// member and merchant, or redirects to the log-in page, which comes back
// here afterwards.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, who)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := h.d.Sessions.GetString(ctx, keyStaff)
		if id == "" {
			h.toLogin(w, r)
			return
		}
		m, err := h.d.Staff.Get(ctx, id)
		if errors.Is(err, staff.ErrNotFound) {
			if err := h.d.Sessions.Destroy(ctx); err != nil {
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
		mch, err := h.d.Merchants.Get(ctx, m.MerchantID)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		next(w, r, who{Member: m, Merchant: mch})
	}
}

// allow is auth plus a role check: a staff member whose role does not
// allow a gets a 403 page, and nothing runs.
func (h *Handler) allow(a staff.Action, next func(http.ResponseWriter, *http.Request, who)) http.HandlerFunc {
	return h.auth(func(w http.ResponseWriter, r *http.Request, u who) {
		if !u.Role.Can(a) {
			h.log.WarnContext(r.Context(), "portal: refused by role", "staff_id", u.ID, "merchant_id", u.MerchantID,
				"role", u.Role, "action", a, "path", r.URL.Path)
			v := h.userView(r, u, "forbidden_title", "")
			v.Heading, v.Body, v.Tone = v.Title, v.T("role_forbidden", v.T("role_"+string(u.Role)), v.T("action_"+string(a))), "bad"
			v.Link, v.LinkText = "/portal/"+v.Query, v.T("back_home")
			h.render(w, r, http.StatusForbidden, "message", v)
			return
		}
		next(w, r, u)
	})
}

// toLogin redirects to the log-in page with next set to this page (for a
// GET; a POST comes back to the home page).
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request) {
	next := ui.ReturnPath(r)
	q := url.Values{"lang": {string(ui.PickLang(r))}}
	if r.Method == http.MethodGet && next != "/portal/" {
		q.Set("next", next)
	}
	http.Redirect(w, r, "/portal/login?"+q.Encode(), http.StatusSeeOther)
}

// safeNext returns next if it is a local portal page to go to after
// log-in, else the home page ([ui.SafeNext]).
func safeNext(next string) string {
	return ui.SafeNext(next, "/portal/", "/portal/logout", "/portal/login")
}

// flash stores a message for the next page the session shows
// ([ui.PutFlash]).
func (h *Handler) flash(ctx context.Context, key string, args ...string) {
	ui.PutFlash(ctx, h.d.Sessions, key, args...)
}

// popFlash returns the stored message in l, or "".
func (h *Handler) popFlash(ctx context.Context, l ui.Lang) string {
	return ui.PopFlash(ctx, h.d.Sessions, messages, l)
}
