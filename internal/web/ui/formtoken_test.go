package ui_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"paygate/internal/web/ui"
)

// mapSession is one session's values.
type mapSession struct {
	mu sync.Mutex
	m  map[string]any
}

func (s *mapSession) GetString(_ context.Context, key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := s.m[key].(string)
	return v
}

func (s *mapSession) Put(_ context.Context, key string, val any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = val
}

// TestFormTokens: GET passes; a POST passes only with the session's
// token, url-encoded or multipart (when multipart is allowed), within its
// size bound; Renew makes the old token worthless.
func TestFormTokens(t *testing.T) {
	t.Parallel()
	sess := &mapSession{m: map[string]any{}}
	var ran, refused, bad int
	f := &ui.FormTokens{Session: sess, MaxBytes: 1 << 10, MaxMultipartBytes: 4 << 10,
		Refuse:  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { refused++; w.WriteHeader(http.StatusForbidden) }),
		BadForm: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { bad++; w.WriteHeader(http.StatusBadRequest) }),
	}
	var file string
	h := f.Check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran++
		if r.MultipartForm != nil {
			fh := r.MultipartForm.File["sheet"][0]
			rd, _ := fh.Open()
			b, _ := io.ReadAll(rd)
			file = string(b)
		}
	}))
	tok := f.Token(httptest.NewRequest(http.MethodGet, "/", nil))
	if tok == "" || f.Token(httptest.NewRequest(http.MethodGet, "/", nil)) != tok {
		t.Fatal("Token is not stable within a session")
	}
	form := func(token, extra string) *http.Request {
		v := url.Values{"x": {extra}}
		if token != "" {
			v.Set(ui.FormTokenField, token)
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	multi := func(token string, size int) *http.Request {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if token != "" {
			mw.WriteField(ui.FormTokenField, token)
		}
		fw, _ := mw.CreateFormFile("sheet", "a.csv")
		fw.Write(bytes.Repeat([]byte("a"), size))
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		return r
	}
	tests := []struct {
		name              string
		req               *http.Request
		ran, refused, bad int
	}{
		{"Get", httptest.NewRequest(http.MethodGet, "/", nil), 1, 0, 0},
		{"Head", httptest.NewRequest(http.MethodHead, "/", nil), 1, 0, 0},
		{"Good", form(tok, "1"), 1, 0, 0},
		{"Missing", form("", "1"), 0, 1, 0},
		{"Wrong", form(tok+"x", "1"), 0, 1, 0},
		{"TooLarge", form(tok, strings.Repeat("a", 2<<10)), 0, 0, 1},
		{"Multipart", multi(tok, 100), 1, 0, 0},
		{"MultipartMissing", multi("", 100), 0, 1, 0},
		{"MultipartTooLarge", multi(tok, 5<<10), 0, 0, 1},
		{"NoBody", httptest.NewRequest(http.MethodPost, "/", nil), 0, 1, 0},
	}
	for _, tt := range tests {
		ran, refused, bad = 0, 0, 0
		h.ServeHTTP(httptest.NewRecorder(), tt.req)
		if ran != tt.ran || refused != tt.refused || bad != tt.bad {
			t.Errorf("%s: ran %d refused %d bad %d; want %d %d %d", tt.name, ran, refused, bad, tt.ran, tt.refused, tt.bad)
		}
	}
	if file != strings.Repeat("a", 100) {
		t.Errorf("the handler read the file as %q", file)
	}

	// An upload the caller may not make is refused before its body is read.
	f.MayUpload = func(*http.Request) bool { return false }
	ran, refused = 0, 0
	up := multi(tok, 100)
	h.ServeHTTP(httptest.NewRecorder(), up)
	if ran != 0 || refused != 1 || up.MultipartForm != nil {
		t.Errorf("a refused upload: ran %d refused %d, body read %v", ran, refused, up.MultipartForm != nil)
	}
	f.MayUpload = nil

	f.MaxMultipartBytes = 0
	ran, bad = 0, 0
	h.ServeHTTP(httptest.NewRecorder(), multi(tok, 10))
	if ran != 0 || bad != 1 {
		t.Error("a multipart form was accepted where none is")
	}
	f.Renew(context.Background())
	refused = 0
	h.ServeHTTP(httptest.NewRecorder(), form(tok, "1"))
	if refused != 1 || f.Token(httptest.NewRequest(http.MethodGet, "/", nil)) == tok {
		t.Error("the token before Renew still works")
	}
	if a, b := ui.NewSecret(), ui.NewSecret(); a == b || len(a) != 43 {
		t.Errorf("NewSecret: %q %q", a, b)
	}
}
