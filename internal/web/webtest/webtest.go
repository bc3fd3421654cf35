// Package webtest holds the helpers of the tests that drive paygate's
// pages over HTTP: exchanges that do not follow redirects, checks of what a
// page holds, and a buffer for the handler's log lines.
package webtest

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Response is a finished HTTP exchange.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string // the Location header of a redirect
}

// NewClient returns a client that does not follow redirects, so that
// tests see them, with a 30 s timeout and the cookie jar jar (nil for
// none).
func NewClient(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do sends req with c and reads the whole response; a transport error
// fails t.
func Do(t *testing.T, c *http.Client, req *http.Request) Response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location")}
}

// Get gets rawURL with c; header is pairs of names and values to set.
func Get(t *testing.T, c *http.Client, rawURL string, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	setHeader(req, header)
	return Do(t, c, req)
}

// PostForm posts form to rawURL with c as a same-origin browser would;
// header is pairs of names and values to add or replace.
func PostForm(t *testing.T, c *http.Client, rawURL string, form url.Values, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	setHeader(req, header)
	return Do(t, c, req)
}

func setHeader(req *http.Request, header []string) {
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
}

// MustContain fails t unless body holds every want; what names the body.
func MustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, Excerpt(body))
		}
	}
}

// MustNotContain fails t if body holds any of bad; what names the body.
func MustNotContain(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("%s: must not contain %q", what, w)
		}
	}
}

// Excerpt is the page's main element, for failure messages.
func Excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if j := strings.Index(body, "</main>"); j >= 0 {
		body = body[:j]
	}
	return body
}

// SyncBuffer collects a handler's log lines, written from many goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements [io.Writer].
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// Hidden returns the hidden fields of a page (form token, key, link
// token), the first of each name.
func Hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		if v.Get(m[1]) == "" {
			v.Set(m[1], html.UnescapeString(m[2]))
		}
	}
	return v
}

// Submit opens base+page with c, fills the page's hidden fields into form
// (form's own values win), and posts it to base+action as a same-origin
// browser would. A page that is not a 200 fails the test.
func Submit(t *testing.T, c *http.Client, base, page, action string, form url.Values) Response {
	t.Helper()
	res := Get(t, c, base+page)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", page, res.Status, Excerpt(res.Body))
	}
	f := url.Values{}
	for k, v := range Hidden(res.Body) {
		f[k] = v
	}
	for k, v := range form {
		f[k] = v
	}
	return PostForm(t, c, base+action, f)
}
