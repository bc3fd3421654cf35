// Package web holds paygate's shared HTTP plumbing: the server's route
// table, the middleware every request passes (request id, structured log,
// panic recovery) and the health endpoint. The merchant API, the cashier, the
// portal and the console mount their routes here as they arrive.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// Pinger is what the health check asks: is the database answering?
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the handlers need.
type Deps struct {
	Logger  *slog.Logger
	DB      Pinger
	Engine  string // "sqlite" or "postgres", shown by /healthz
	Version string
	// Mount registers the routes of each surface (merchant API, cashier…).
	Mount []func(*http.ServeMux)
}

// NewHandler returns the gateway's HTTP handler with every route and the
// common middleware.
func NewHandler(d Deps) http.Handler {
	mux := http.NewServeMux()
	routes(mux, d)
	return withRequestLog(d.Logger, mux)
}

// routes is the whole route table.
func routes(mux *http.ServeMux, d Deps) {
	mux.Handle("GET /healthz", healthz(d))
	for _, mount := range d.Mount {
		mount(mux)
	}
}

// healthz answers 200 when the database answers within two seconds, else 503.
func healthz(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]string{"status": "ok", "db": d.Engine, "version": d.Version}
		status := http.StatusOK
		if err := d.DB.Ping(ctx); err != nil {
			d.Logger.WarnContext(ctx, "health check: database not answering", "err", err)
			body["status"], status = "unavailable", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	})
}

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id the middleware gave the request, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// withRequestLog gives every request an id (echoed as Paygate-Request-Id),
// logs it when done, and turns a panic into a logged 500.
func withRequestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := "req_" + hex.EncodeToString(b[:])
		w.Header().Set("Paygate-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic in handler", "request_id", id, "panic", p)
				http.Error(rec, `{"error":{"code":"internal","message":"Internal error.","request_id":"`+id+`"}}`, http.StatusInternalServerError)
			}
			log.InfoContext(ctx, "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}
