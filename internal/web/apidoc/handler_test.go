package apidoc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestDocsPage(t *testing.T) {
	res, body := get(t, Handler(), "/docs")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs = %d: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	var ex struct {
		Ex signingExample `json:"x-paygate-signing-example"`
	}
	json.Unmarshal(Document(), &ex)
	for _, want := range []string{
		"<!DOCTYPE html>", "API reference",
		"POST</span> <code>/v1/payments</code>", "GET</span> <code>/v1/payments</code>",
		"GET</span> <code>/v1/payments/{id}</code>", "POST</span> <code>/v1/payments/{id}/close</code>",
		"GET</span> <code>/v1/gateway-keys</code>",
		"merchant_order_no", "cashier_url", "Idempotency-Key", "Paygate-Sign-Type", "Paygate-Key-Id",
		"payment.succeeded", "payment.closed", "24 h",
		"<code>payment_not_found</code>", "<code>signature_invalid</code>", "<code>idempotency_key_reused</code>",
		"Worked example", "错误码", strings.ReplaceAll(ex.Ex.Signature, "+", "&#43;"), "1767225600",
		`id="schema-Payment"`, `id="schema-CreatePaymentRequest"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/docs does not contain %q", want)
		}
	}
	// Every documented error code is in the page's table.
	for _, c := range docCodes(t) {
		if !strings.Contains(body, "<code>"+c.Code+"</code>") {
			t.Errorf("/docs lacks error code %s", c.Code)
		}
	}
	// Strict page: no script, no external assets, style allowed by hash.
	lower := strings.ToLower(body)
	for _, bad := range []string{"<script", "javascript:", "http://", "https://cdn", "<link", "@import", " style=\"", "onclick"} {
		if strings.Contains(lower, bad) {
			t.Errorf("/docs contains %q", bad)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	start, end := strings.Index(body, "<style>"), strings.Index(body, "</style>")
	if start < 0 || end < start {
		t.Fatal("no style element")
	}
	sum := sha256.Sum256([]byte(body[start+len("<style>") : end]))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
		t.Errorf("CSP %q does not allow the page's style (%s)", csp, h)
	}
	if strings.Count(body, "<style") != 1 {
		t.Error("more than one style element")
	}
}

func TestOpenAPIJSON(t *testing.T) {
	res, body := get(t, Handler(), "/openapi.json")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if body != string(Document()) || !json.Valid([]byte(body)) {
		t.Error("GET /openapi.json is not the embedded document")
	}
}

func TestRoutesOnMux(t *testing.T) {
	mux := http.NewServeMux()
	Routes(mux)
	if res, _ := get(t, mux, "/docs"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /docs on a mux = %d", res.StatusCode)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/docs", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /docs = %d, want 405", rec.Code)
	}
}
