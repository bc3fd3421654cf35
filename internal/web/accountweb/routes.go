package accountweb

import (
	"net/http"

	"paygate/internal/account"
)

// routes is the whole route table. Every page passes secure, the
// cross-origin check, the session and the form-token check (which lets
// only GET and HEAD through without a token); the assets skip the session.
// Pages marked h.auth need a log-in and redirect to /account/login
// otherwise.
func (h *Handler) routes() http.Handler {
	pages := http.NewServeMux()
	pages.HandleFunc("GET /account", h.toHome)
	pages.HandleFunc("GET /account/{$}", h.auth(h.home))

	pages.HandleFunc("GET /account/register", h.registerForm)
	pages.HandleFunc("POST /account/register", h.register)
	pages.HandleFunc("GET /account/activate", h.activateForm) // the mailed link: shows a button
	pages.HandleFunc("POST /account/activate", h.activate)
	pages.HandleFunc("GET /account/login", h.loginForm)
	pages.HandleFunc("POST /account/login", h.login)
	pages.HandleFunc("POST /account/logout", h.logout)
	pages.HandleFunc("GET /account/reset", h.resetForm) // with ?token= (the mailed link): the new-password form
	pages.HandleFunc("POST /account/reset", h.requestReset)
	pages.HandleFunc("POST /account/reset/confirm", h.confirmReset)

	pages.HandleFunc("GET /account/send", h.auth(h.sendForm))
	pages.HandleFunc("POST /account/send", h.auth(h.send))
	pages.HandleFunc("GET /account/topup", h.auth(h.topUpForm))
	pages.HandleFunc("POST /account/topup", h.auth(h.topUp))
	pages.HandleFunc("GET /account/withdraw", h.auth(h.withdrawForm))
	pages.HandleFunc("POST /account/withdraw", h.auth(h.withdraw))
	pages.HandleFunc("GET /account/statement", h.auth(h.statement))
	pages.HandleFunc("GET /account/statement.csv", h.auth(h.statementCSV))
	pages.HandleFunc("/account/", h.notFound)

	xorigin, err := account.NewCSRF(nil, http.HandlerFunc(h.crossOrigin))
	if err != nil { // only for a bad trusted origin, and there is none
		panic(err)
	}
	root := http.NewServeMux()
	root.Handle("GET /account/assets/{version}/{name}", secure(h.assets))
	root.Handle("/account", secure(xorigin(h.sessions.LoadAndSave(h.forms.Check(pages)))))
	root.Handle("/account/", secure(xorigin(h.sessions.LoadAndSave(h.forms.Check(pages)))))
	return root
}
