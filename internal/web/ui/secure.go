package ui

import "net/http"

// Secure sets the headers every page response carries, then calls next:
// Cache-Control no-store (pages show money and card forms), the page
// package's Content-Security-Policy csp, nosniff, no framing (also
// frame-ancestors in csp) and no referrer (links may carry tokens).
func Secure(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
