package portal

import (
	"net/http"
	"net/url"
	"strings"

	"paygate/internal/errs"
	"paygate/internal/web/ui"
)

// loginData is what the log-in form shows again; never the password.
type loginData struct {
	Email  string
	Action string // where the form posts, with its query
}

// loginAction is where the log-in form posts: the language and the page
// to go to afterwards.
func loginAction(r *http.Request) string {
	q := url.Values{"lang": {string(ui.PickLang(r))}}
	if next := r.URL.Query().Get("next"); next != "" && safeNext(next) == next {
		q.Set("next", next)
	}
	return "/portal/login?" + q.Encode()
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if h.d.Sessions.GetString(r.Context(), keyStaff) != "" {
		h.redirectNext(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "login", h.formView(r, "title_login").with(loginData{Action: loginAction(r)}))
}

// login checks the password, then logs the session in under a new
// session token and a new form token.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := loginData{Email: strings.TrimSpace(r.PostForm.Get("email")), Action: loginAction(r)}
	m, err := h.d.Staff.Login(ctx, f.Email, r.PostForm.Get("password"))
	if err != nil {
		h.log.InfoContext(ctx, "portal: log-in refused", "code", errs.CodeOf(err))
		v := h.formView(r, "title_login").with(f)
		text, status, ok := messages.ErrorText(v.Lang, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		v.Problem = text
		h.render(w, r, status, "login", v)
		return
	}
	if err := h.d.Sessions.RenewToken(ctx); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.d.Sessions.Put(ctx, keyStaff, m.ID)
	h.forms.Renew(ctx)
	h.log.InfoContext(ctx, "portal: logged in", "staff_id", m.ID, "merchant_id", m.MerchantID, "role", m.Role)
	h.redirectNext(w, r)
}

// redirectNext goes to the ?next= page if it is a safe one, else home, in
// the request's language.
func (h *Handler) redirectNext(w http.ResponseWriter, r *http.Request) {
	h.seeOther(w, r, safeNext(r.URL.Query().Get("next")))
}

// logout ends the session: it is deleted from the store.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.d.Sessions.Destroy(r.Context()); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.seeOther(w, r, "/portal/login")
}
