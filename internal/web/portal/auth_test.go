package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"paygate/internal/account"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/portal"
	"paygate/internal/web/webtest"
)

// sessionCookie is the portal's session cookie in u's jar, or "".
func (u *user) sessionCookie(t *testing.T) string {
	t.Helper()
	su, _ := url.Parse(u.b.srv.URL)
	for _, c := range u.c.Jar.Cookies(su) {
		if c.Name == account.SessionCookieName {
			t.Fatalf("the portal set the account pages' cookie %s", c.Name)
		}
		if c.Name == portal.SessionCookieName {
			return c.Value
		}
	}
	return ""
}

// TestLoginLogout: pages need a log-in and come back after it; log-in
// renews the session under the portal's own cookie and shows the
// merchant and role; log-out ends the session.
func TestLoginLogout(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		b.newStaff(t, b.env.Merchant.ID, "finance@teashop.test", staff.Finance)
		u := b.newUser(t)
		res := u.get(t, "/portal/payments?lang=en&status=succeeded")
		wantStatus(t, "anonymous search", res, http.StatusSeeOther)
		if res.Location != "/portal/login?lang=en&next=%2Fportal%2Fpayments%3Fstatus%3Dsucceeded" {
			t.Fatalf("redirect to %q", res.Location)
		}
		res = u.get(t, res.Location)
		wantStatus(t, "log-in page", res, http.StatusOK)
		webtest.MustContain(t, "log-in page", res.Body, "Merchant log-in", `name="password"`)
		before := u.sessionCookie(t)
		form := webtest.Hidden(res.Body)
		form.Set("email", "Finance@TeaShop.test")
		form.Set("password", password)
		res = u.post(t, "/portal/login?lang=en&next=%2Fportal%2Fpayments%3Fstatus%3Dsucceeded", form)
		wantStatus(t, "log-in", res, http.StatusSeeOther)
		if res.Location != "/portal/payments?lang=en&status=succeeded" {
			t.Fatalf("after log-in: %q", res.Location)
		}
		if after := u.sessionCookie(t); after == "" || after == before {
			t.Fatalf("session token not renewed at log-in: %q → %q", before, after)
		}
		res = u.get(t, res.Location)
		wantStatus(t, "search", res, http.StatusOK)
		webtest.MustContain(t, "search", res.Body, `id="merchant-name">Demo Shop<`, "finance@teashop.test", `id="role">finance<`)
		if strings.Contains(b.logs.String(), password) {
			t.Fatal("the password reached the log")
		}

		wantStatus(t, "log-out", u.post(t, "/portal/logout?lang=en", url.Values{"csrf_token": {u.token(t)}}), http.StatusSeeOther)
		wantStatus(t, "after log-out", u.get(t, "/portal/payments"), http.StatusSeeOther)
		var n int
		if err := d.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE token = ? AND expiry > ?`, u.sessionCookie(t), time.Now().UTC()).Scan(&n); err != nil || n != 0 {
			t.Fatalf("session still live after log-out: %d, %v", n, err)
		}
	})
}

// TestLoginRefusedAndLockout: a wrong password is refused on the form
// with the email kept and never the password; five lock the login, and
// then even the right password is refused.
func TestLoginRefusedAndLockout(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		b.newStaff(t, b.env.Merchant.ID, "viewer@teashop.test", staff.Viewer)
		u := b.newUser(t)
		for i := range 5 {
			res := u.submit(t, "/portal/login?lang=en", "/portal/login?lang=en",
				url.Values{"email": {"viewer@teashop.test"}, "password": {"wrong password 1"}})
			if i < 4 {
				wantStatus(t, "wrong password", res, http.StatusUnauthorized)
				webtest.MustContain(t, "wrong password", res.Body, "The email or password is incorrect.", `value="viewer@teashop.test"`)
			} else {
				wantStatus(t, "fifth wrong password", res, http.StatusForbidden)
				webtest.MustContain(t, "fifth wrong password", res.Body, "this login is blocked for a while")
			}
			webtest.MustNotContain(t, "refused log-in", res.Body, "wrong password 1")
		}
		res := u.submit(t, "/portal/login?lang=zh", "/portal/login?lang=zh",
			url.Values{"email": {"viewer@teashop.test"}, "password": {password}})
		wantStatus(t, "right password while locked", res, http.StatusForbidden)
		webtest.MustContain(t, "right password while locked", res.Body, "该账号已被暂时锁定")
		wantStatus(t, "still logged out", u.get(t, "/portal/payments"), http.StatusSeeOther)

		res = u.submit(t, "/portal/login?lang=en", "/portal/login?lang=en",
			url.Values{"email": {"nobody@teashop.test"}, "password": {password}})
		wantStatus(t, "unknown email", res, http.StatusUnauthorized)
	})
}

// TestSecureCookie: over HTTPS the portal's cookie is Secure, HttpOnly,
// SameSite=Lax, host-only (__Host-), and not the account pages' cookie.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	sm := portal.NewSessions(account.NewSessionStore(dbtest.NewSQLite(t), nil), true)
	if sm.Cookie.Name != "__Host-paygate_portal" || !sm.Cookie.Secure || !sm.Cookie.HttpOnly || sm.Cookie.SameSite != http.SameSiteLaxMode ||
		sm.Cookie.Path != "/" || sm.Cookie.Domain != "" || sm.Cookie.Persist {
		t.Fatalf("secure cookie %+v", sm.Cookie)
	}
	if plain := portal.NewSessions(account.NewSessionStore(dbtest.NewSQLite(t), nil), false); plain.Cookie.Name != "paygate_portal" || plain.Cookie.Secure {
		t.Fatalf("plain cookie %+v", plain.Cookie)
	}
}
