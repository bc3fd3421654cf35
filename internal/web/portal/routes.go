package portal

import (
	"net/http"

	"paygate/internal/account"
	"paygate/internal/batchrefund"
	"paygate/internal/staff"
)

// routes is the whole route table. Every page passes secure, the
// cross-origin check, the session and the form-token check (which lets
// only GET and HEAD through without a token); the assets skip the session.
// h.auth pages need a log-in and redirect to /portal/login otherwise;
// h.allow pages also need the role to allow the action, else 403.
func (h *Handler) routes() http.Handler {
	pages := http.NewServeMux()
	pages.HandleFunc("GET /portal", h.toHome)
	pages.HandleFunc("GET /portal/{$}", h.auth(h.home))
	pages.HandleFunc("GET /portal/login", h.loginForm)
	pages.HandleFunc("POST /portal/login", h.login)
	pages.HandleFunc("POST /portal/logout", h.logout)

	pages.HandleFunc("GET /portal/payments", h.allow(staff.ViewPayments, h.searchPage))
	pages.HandleFunc("GET /portal/payments.csv", h.allow(staff.ExportPayments, h.exportCSV))
	pages.HandleFunc("GET /portal/payments.xlsx", h.allow(staff.ExportPayments, h.exportXLSX))
	pages.HandleFunc("GET /portal/payments/{id}", h.allow(staff.ViewPayments, h.paymentPage))
	pages.HandleFunc("POST /portal/payments/{id}/refund", h.allow(staff.Refund, h.refund))
	pages.HandleFunc("POST /portal/payments/{id}/resend", h.allow(staff.Resend, h.resend))

	pages.HandleFunc("GET /portal/keys", h.allow(staff.ViewPayments, h.keysPage))
	pages.HandleFunc("POST /portal/keys", h.allow(staff.ManageKeys, h.addKey))
	pages.HandleFunc("GET /portal/settings", h.allow(staff.ViewPayments, h.settingsPage))
	pages.HandleFunc("POST /portal/settings", h.allow(staff.ChangeSettings, h.saveSettings))

	pages.HandleFunc("GET /portal/refunds", h.allow(staff.BatchRefund, h.batchesPage))
	pages.HandleFunc("GET /portal/refunds/template.xlsx", h.allow(staff.BatchRefund, h.template(batchrefund.XLSX)))
	pages.HandleFunc("GET /portal/refunds/template.csv", h.allow(staff.BatchRefund, h.template(batchrefund.CSV)))
	pages.HandleFunc("POST /portal/refunds", h.allow(staff.BatchRefund, h.upload))
	pages.HandleFunc("GET /portal/refunds/{id}", h.allow(staff.BatchRefund, h.batchPage))
	pages.HandleFunc("GET /portal/refunds/{id}/status", h.allow(staff.BatchRefund, h.batchStatus))
	pages.HandleFunc("POST /portal/refunds/{id}/confirm", h.allow(staff.BatchRefund, h.confirm))
	pages.HandleFunc("POST /portal/refunds/{id}/discard", h.allow(staff.BatchRefund, h.discard))
	pages.HandleFunc("GET /portal/refunds/{id}/results.xlsx", h.allow(staff.BatchRefund, h.results(batchrefund.XLSX)))
	pages.HandleFunc("GET /portal/refunds/{id}/results.csv", h.allow(staff.BatchRefund, h.results(batchrefund.CSV)))
	pages.HandleFunc("/portal/", h.notFound)

	xorigin, err := account.NewCSRF(nil, http.HandlerFunc(h.crossOrigin))
	if err != nil { // only for a bad trusted origin, and there is none
		panic(err)
	}
	site := secure(xorigin(h.d.Sessions.LoadAndSave(h.forms.Check(pages))))
	root := http.NewServeMux()
	root.Handle("GET /portal/assets/{version}/{name}", secure(h.assets))
	root.Handle("/portal", site)
	root.Handle("/portal/", site)
	return root
}
