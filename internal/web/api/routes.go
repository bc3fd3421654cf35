package api

import "net/http"

// Routes registers every route of the merchant API on mux.
func (a *API) Routes(mux *http.ServeMux) {
	mux.Handle("POST /v1/payments", a.authed(a.createPayment, true))
	mux.Handle("GET /v1/payments", a.authed(a.listPayments, false))
	mux.Handle("GET /v1/payments/{id}", a.authed(a.getPayment, false))
	mux.Handle("POST /v1/payments/{id}/close", a.authed(a.closePayment, true))
	mux.Handle("GET /v1/payments/{id}/refunds", a.authed(a.listRefunds, false))
	mux.Handle("POST /v1/refunds", a.authed(a.createRefund, true))
	mux.Handle("GET /v1/refunds/{id}", a.authed(a.getRefund, false))
	mux.Handle("GET /v1/gateway-keys", http.HandlerFunc(a.gatewayKeys))
}
