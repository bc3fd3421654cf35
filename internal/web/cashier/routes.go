package cashier

import "net/http"

// routes is the cashier's whole route table. Assets live one level deeper
// (/pay/assets/<content hash>/<name>) so that they cannot clash with
// /pay/{id}/status and its siblings. Every response passes
// secureHeaders; the one unsafe method is guarded by cross-origin protection.
func (h *Handler) routes() {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(h.forbidden))

	h.mux.Handle("GET /pay/{id}", h.secure(h.page))
	h.mux.Handle("POST /pay/{id}/card", h.secure(csrf.Handler(http.HandlerFunc(h.payByCard)).ServeHTTP))
	h.mux.Handle("POST /pay/{id}/account", h.secure(csrf.Handler(http.HandlerFunc(h.payFromAccount)).ServeHTTP))
	h.mux.Handle("GET /pay/{id}/status", h.secure(h.status))
	h.mux.Handle("GET /pay/{id}/return", h.secure(h.returnToShop))
	h.mux.Handle("GET /pay/assets/{version}/{name}", h.secure(h.asset))
}
