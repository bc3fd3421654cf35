package cashier

import "net/http"

// routes is the cashier's whole route table. Assets live one level deeper
// (/pay/assets/<content hash>/<name>) so that they cannot clash with
// /pay/{id}/status and its siblings. Every response passes
// secure; the one unsafe method is guarded by cross-origin protection.
func (h *Handler) routes() {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(h.forbidden))

	h.mux.Handle("GET /pay/{id}", secure(h.page))
	h.mux.Handle("POST /pay/{id}/card", secure(csrf.Handler(http.HandlerFunc(h.payByCard)).ServeHTTP))
	h.mux.Handle("POST /pay/{id}/account", secure(csrf.Handler(http.HandlerFunc(h.payFromAccount)).ServeHTTP))
	h.mux.Handle("GET /pay/{id}/status", secure(h.status))
	h.mux.Handle("GET /pay/{id}/return", secure(h.returnToShop))
	h.mux.Handle("GET /pay/assets/{version}/{name}", secure(h.assets.ServeHTTP))
}
