package accountweb

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"paygate/internal/account"
	"paygate/internal/errs"
	"paygate/internal/web/ui"
)

// authData is what the log-in, registration and reset forms show again.
// Passwords are never among them.
type authData struct {
	Email   string
	Kind    string // personal | enterprise
	Company string
	Token   string // an activation or reset link's token
	Action  string // where the form posts, with its query
}

// failed shows a service error on the form page v: its translated message
// and status, or the 500 page for an error that is not an application one.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error, page string, v *view) {
	text, status, ok := messages.ErrorText(v.Lang, err)
	if !ok {
		h.internalError(w, r, err)
		return
	}
	v.Problem = text
	h.render(w, r, status, page, v)
}

// outcome renders a message page with a link onwards; body is final text.
func (h *Handler) outcome(w http.ResponseWriter, r *http.Request, status int, tone, title, body, link, linkKey string) {
	v := h.newView(r, title)
	v.Heading, v.Body, v.Tone = v.Title, body, tone
	if link != "" {
		v.Link, v.LinkText = link+v.Query, v.T(linkKey)
	}
	h.render(w, r, status, "message", v)
}

func (h *Handler) registerForm(w http.ResponseWriter, r *http.Request) {
	if h.sessions.SessionAccount(r.Context()) != "" {
		h.seeOther(w, r, "/account/")
		return
	}
	h.render(w, r, http.StatusOK, "register", h.formView(r, "title_register").with(authData{Kind: string(account.Personal)}))
}

// register creates a pending account and tells to check the mail.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	f := authData{Email: strings.TrimSpace(r.PostForm.Get("email")), Kind: r.PostForm.Get("kind"),
		Company: strings.TrimSpace(r.PostForm.Get("company"))}
	if f.Kind == "" {
		f.Kind = string(account.Personal)
	}
	if f.Kind != string(account.Enterprise) {
		f.Company = "" // a personal account has none, whatever the hidden field held
	}
	a, err := h.accounts.Register(r.Context(), f.Email, r.PostForm.Get("password"), account.Kind(f.Kind), f.Company)
	if err != nil {
		h.failed(w, r, err, "register", h.formView(r, "title_register").with(f))
		return
	}
	h.log.InfoContext(r.Context(), "account: registered", "account_id", a.ID, "kind", a.Kind)
	l := ui.PickLang(r)
	h.outcome(w, r, http.StatusOK, "info", "title_registered", messages.Text(l, "registered_body", a.Email), "/account/login", "go_login")
}

// activateForm is the page the mailed link opens: the password chosen at
// registration and a button that posts the token. It uses nothing, since
// mail scanners open links too.
func (h *Handler) activateForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		l := ui.PickLang(r)
		h.outcome(w, r, http.StatusNotFound, "bad", "title_link_bad", messages.Text(l, "err_activation_link_invalid"), "/account/register", "go_register")
		return
	}
	h.render(w, r, http.StatusOK, "activate", h.formView(r, "title_activate").with(authData{Token: token}))
}

// activate uses the link's token with the registration's password. A wrong
// password (or a lock-out) shows the form again, the link still usable; a
// bad link says why.
func (h *Handler) activate(w http.ResponseWriter, r *http.Request) {
	l := ui.PickLang(r)
	f := authData{Token: r.PostForm.Get("token")}
	a, err := h.accounts.Activate(r.Context(), f.Token, r.PostForm.Get("password"))
	switch {
	case errors.Is(err, account.ErrActivationPassword), errors.Is(err, account.ErrLocked):
		h.log.InfoContext(r.Context(), "account: activation refused", "code", errs.CodeOf(err))
		h.failed(w, r, err, "activate", h.formView(r, "title_activate").with(f))
		return
	case err != nil:
		text, status, ok := messages.ErrorText(l, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		link, key := "/account/register", "go_register"
		if errors.Is(err, account.ErrActivationUsed) {
			link, key = "/account/login", "go_login"
		}
		h.log.InfoContext(r.Context(), "account: activation refused", "code", errs.CodeOf(err))
		h.outcome(w, r, status, "bad", "title_link_bad", text, link, key)
		return
	}
	h.outcome(w, r, http.StatusOK, "ok", "title_activated", messages.Text(l, "activated_body", a.Email), "/account/login", "go_login")
}

// loginAction is where the log-in form posts: the language and the page to
// go to afterwards.
func loginAction(r *http.Request) string {
	q := url.Values{"lang": {string(ui.PickLang(r))}}
	if next := r.URL.Query().Get("next"); next != "" && safeNext(next) == next {
		q.Set("next", next)
	}
	return "/account/login?" + q.Encode()
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if h.sessions.SessionAccount(r.Context()) != "" {
		h.redirectNext(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "login", h.formView(r, "title_login").with(authData{Action: loginAction(r)}))
}

// login checks the password, then logs the session in under a new session
// token and a new form token.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := authData{Email: strings.TrimSpace(r.PostForm.Get("email")), Action: loginAction(r)}
	a, err := h.accounts.Login(ctx, f.Email, r.PostForm.Get("password"))
	if err != nil {
		h.log.InfoContext(ctx, "account: log-in refused", "code", errs.CodeOf(err))
		h.failed(w, r, err, "login", h.formView(r, "title_login").with(f))
		return
	}
	if err := h.sessions.SetSessionAccount(ctx, a.ID); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.forms.Renew(ctx)
	h.log.InfoContext(ctx, "account: logged in", "account_id", a.ID)
	h.redirectNext(w, r)
}

// redirectNext goes to the ?next= page if it is a safe one, else home, in
// the request's language.
func (h *Handler) redirectNext(w http.ResponseWriter, r *http.Request) {
	u, _ := url.Parse(safeNext(r.URL.Query().Get("next")))
	q := u.Query()
	q.Set("lang", string(ui.PickLang(r)))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// logout ends the session: it is deleted from the store.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.ClearSessionAccount(r.Context()); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.seeOther(w, r, "/account/login")
}

// resetForm is the request form, or with ?token= (the mailed link) the
// new-password form, which uses nothing until it is posted.
func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("token"); token != "" {
		h.render(w, r, http.StatusOK, "newpassword", h.formView(r, "title_new_password").with(authData{Token: token}))
		return
	}
	h.render(w, r, http.StatusOK, "reset", h.formView(r, "title_reset").with(authData{}))
}

// requestReset mails a link; the answer is the same whether or not the
// address has an account.
func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	f := authData{Email: strings.TrimSpace(r.PostForm.Get("email"))}
	if err := h.accounts.RequestReset(r.Context(), f.Email); err != nil {
		h.failed(w, r, err, "reset", h.formView(r, "title_reset").with(f))
		return
	}
	l := ui.PickLang(r)
	h.outcome(w, r, http.StatusOK, "info", "title_reset_sent", messages.Text(l, "reset_sent_body", f.Email), "/account/login", "go_login")
}

// confirmReset sets the new password with the link's token. A weak
// password shows the form again (the link still works); a bad link says
// why. Afterwards this browser's session is logged out too.
func (h *Handler) confirmReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := ui.PickLang(r)
	f := authData{Token: r.PostForm.Get("token")}
	a, err := h.accounts.Reset(ctx, f.Token, r.PostForm.Get("password"))
	switch {
	case errors.Is(err, account.ErrWeakPassword), errors.Is(err, account.ErrPasswordTooLong):
		h.failed(w, r, err, "newpassword", h.formView(r, "title_new_password").with(f))
		return
	case err != nil:
		text, status, ok := messages.ErrorText(l, err)
		if !ok {
			h.internalError(w, r, err)
			return
		}
		h.outcome(w, r, status, "bad", "title_link_bad", text, "/account/reset", "go_reset")
		return
	}
	if h.sessions.SessionAccount(ctx) != "" {
		if err := h.sessions.ClearSessionAccount(ctx); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	h.log.InfoContext(ctx, "account: password reset", "account_id", a.ID)
	h.outcome(w, r, http.StatusOK, "ok", "title_password_set", messages.Text(l, "password_set_body"), "/account/login", "go_login")
}
