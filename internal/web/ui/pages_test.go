package ui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"paygate/internal/web/ui"
)

var pageFS = fstest.MapFS{
	"templates/layout.html": {Data: []byte(`<link rel="stylesheet" href="{{asset "site.css"}}"><main>{{template "content" .}}</main>`)},
	"templates/hello.html":  {Data: []byte(`{{define "content"}}Hello, {{.}}{{end}}`)},
	"templates/broken.html": {Data: []byte(`{{define "content"}}{{.Missing}}{{end}}`)},
	"assets/site.css":       {Data: []byte("body{}")},
	"assets/logo.svg":       {Data: []byte("<svg/>")},
	"assets/data.bin":       {Data: []byte{1, 2}},
}

// TestPages: assets are served under their content hash with their type,
// behind the secure headers; a page renders framed by its layout, and a
// template error is a plain 500 with the error returned.
func TestPages(t *testing.T) {
	t.Parallel()
	assets := ui.MustLoadAssets(pageFS, "assets", "/x/assets/")
	pages := ui.MustParsePages(pageFS, assets, "hello", "broken")
	const csp = "default-src 'none'"
	mux := http.NewServeMux()
	mux.Handle("GET /x/assets/{version}/{name}", ui.Secure(csp, assets))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	url := assets.URL("site.css")
	if !regexp.MustCompile(`^/x/assets/[0-9a-f]{12}/site\.css$`).MatchString(url) {
		t.Fatalf("URL = %q", url)
	}
	for path, want := range map[string]struct {
		status      int
		ctype, body string
	}{
		url:                       {200, "text/css; charset=utf-8", "body{}"},
		"/x/assets/old/logo.svg":  {200, "image/svg+xml", "<svg/>"},
		"/x/assets/v/data.bin":    {200, "application/octet-stream", "\x01\x02"},
		"/x/assets/v/missing.css": {404, "", ""},
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want.status || want.status == 200 && (res.Header.Get("Content-Type") != want.ctype || string(body) != want.body) {
			t.Errorf("%s: %d %q %q", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		for h, v := range map[string]string{"Cache-Control": "no-store", "Content-Security-Policy": csp,
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := res.Header.Get(h); got != v {
				t.Errorf("%s: %s %q, want %q", path, h, got, v)
			}
		}
	}

	w := httptest.NewRecorder()
	if err := pages.Render(w, http.StatusTeapot, "hello", "<Ann>"); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusTeapot || w.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
		w.Body.String() != `<link rel="stylesheet" href="`+url+`"><main>Hello, &lt;Ann&gt;</main>` {
		t.Errorf("hello: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	for _, name := range []string{"broken", "unknown"} {
		w := httptest.NewRecorder()
		err := pages.Render(w, http.StatusOK, name, struct{}{})
		if err == nil || w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "<main>") {
			t.Errorf("%s: %v, %d %q", name, err, w.Code, w.Body)
		}
	}
}
