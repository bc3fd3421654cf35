package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

func TestHealthz(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ping       error
		wantStatus int
		wantBody   string
	}{
		{"Up", nil, http.StatusOK, `"status":"ok"`},
		{"DatabaseDown", errors.New("connection refused"), http.StatusServiceUnavailable, `"status":"unavailable"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(Deps{Logger: slog.New(slog.DiscardHandler), DB: pingFunc(func(context.Context) error { return tt.ping }), Engine: "sqlite"})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("GET /healthz = %d %s", rec.Code, rec.Body.String())
			}
			if strings.Contains(rec.Body.String(), "refused") {
				t.Fatal("the cause leaked to the client")
			}
		})
	}
}

func TestPanicBecomes500WithRequestID(t *testing.T) {
	t.Parallel()
	h := withRequestLog(slog.New(slog.DiscardHandler), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	id := rec.Header().Get("Paygate-Request-Id")
	if rec.Code != http.StatusInternalServerError || id == "" || !strings.Contains(rec.Body.String(), id) || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("panic → %d %q (request id %q)", rec.Code, rec.Body.String(), id)
	}
}
