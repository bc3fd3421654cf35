// Package apidoc is the merchant API's reference: an OpenAPI 3.1 document
// written by hand (openapi.json, embedded; the single source of truth) and a
// readable HTML page rendered from it on the server.
//
//	GET /openapi.json  the document
//	GET /docs          the reference page (API 参考): endpoints, parameters,
//	                   schemas, notifications, error codes, signing with a
//	                   worked example
//
// The page is self-contained: no script, no external assets, one inline
// style sheet allowed by its hash in the page's Content-Security-Policy.
// Tests keep the document in step with the code: every route, every error
// code and every JSON field of the API must appear in it.
package apidoc

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI 3.1 document (JSON). The caller must not
// modify it.
func Document() []byte { return document }

// Routes registers GET /docs and GET /openapi.json on mux.
func Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /docs", serveDocs)
	mux.HandleFunc("GET /openapi.json", serveDocument)
}

// Handler returns a handler that serves GET /docs and GET /openapi.json
// (and 404 for anything else).
func Handler() http.Handler {
	mux := http.NewServeMux()
	Routes(mux)
	return mux
}

// csp is the page's policy: nothing but the one inline style sheet.
var csp = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func styleHash() string {
	sum := sha256.Sum256([]byte(style))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// page renders the reference page once; the document never changes.
var page = sync.OnceValues(func() ([]byte, error) {
	v, err := buildView(document)
	if err != nil {
		return nil, fmt.Errorf("apidoc: %w", err)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("apidoc: render: %w", err)
	}
	return buf.Bytes(), nil
})

func serveDocs(w http.ResponseWriter, r *http.Request) {
	b, err := page()
	if err != nil {
		http.Error(w, "The API reference could not be rendered.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(b)
}

func serveDocument(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*") // public, so that API tools can load it
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(document)
}
