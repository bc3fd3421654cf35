package accountweb_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"paygate/internal/db/dbtest"
	"paygate/internal/web/webtest"
)

// TestPagesHeadersAndLanguage: every page is no-store behind a self-only
// CSP and picks its language as the cashier does; the language switch
// keeps a mailed link's token; assets are served from hashed URLs; unknown
// pages are a 404 page, not a panic.
func TestPagesHeadersAndLanguage(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t, dbtest.NewSQLite(t))
	u := b.newUser(t)

	for _, path := range []string{"/account/login", "/account/register", "/account/reset", "/account/activate?token=x", "/account/nope", "/account/"} {
		res := u.get(t, path)
		for h, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	res := u.get(t, "/account/nope?lang=en")
	wantStatus(t, "unknown page", res, http.StatusNotFound)
	webtest.MustContain(t, "unknown page", res.Body, "Page not found")
	wantStatus(t, "/account", u.get(t, "/account"), http.StatusSeeOther)

	tests := []struct{ accept, want string }{
		{"", "登录"},
		{"en-US,en;q=0.9", "Log in with your email address"},
		{"fr-FR, en;q=0.5", "Log in with your email address"},
		{"en;q=0, zh-TW", "用电子邮箱和密码登录"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/account/login", nil)
		req.Header.Set("Accept-Language", tt.accept)
		res := u.do(t, req)
		webtest.MustContain(t, "Accept-Language "+tt.accept, res.Body, tt.want)
	}
	res = u.get(t, "/account/login?lang=en")
	webtest.MustContain(t, "?lang=en", res.Body, `id="lang-switch" href="/account/login?lang=zh"`, "中文")

	// The switch on a link's page keeps the token, and nothing else.
	res = u.get(t, "/account/reset?token=abc&lang=en&x=1")
	webtest.MustContain(t, "reset link page", res.Body, `href="/account/reset?lang=zh&amp;token=abc"`)

	assets := regexp.MustCompile(`/account/assets/[0-9a-f]{12}/account\.(css|js)`).FindAllString(res.Body, -1)
	if len(assets) != 2 {
		t.Fatalf("asset URLs %q", assets)
	}
	for _, a := range assets {
		res := u.get(t, a)
		wantStatus(t, a, res, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/") {
			t.Errorf("%s: content type %q", a, ct)
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s sets a cookie", a)
		}
	}
	wantStatus(t, "unknown asset", u.get(t, "/account/assets/0/x.css"), http.StatusNotFound)
	if strings.Contains(b.logs.String(), "panic") {
		t.Fatal("a page panicked")
	}
}
