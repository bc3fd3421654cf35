package accountweb_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"paygate/internal/account"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/web/webtest"
)

// TestRegisterActivateLogin walks the whole way in: register, the mailed
// link, a confirm page that uses nothing (mail scanners open links), the
// activation, a log-in under a new session token, and the balance page.
func TestRegisterActivateLogin(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u := b.newUser(t)

		res := u.get(t, "/account/register?lang=en")
		wantStatus(t, "register page", res, http.StatusOK)
		webtest.MustContain(t, "register page", res.Body, "Create an account", `name="csrf_token"`, `value="enterprise"`)
		res = u.submit(t, "/account/register?lang=en", "/account/register?lang=en",
			url.Values{"email": {"Ann@Example.com"}, "password": {password}, "kind": {"personal"}})
		wantStatus(t, "register", res, http.StatusOK)
		webtest.MustContain(t, "register", res.Body, "We sent an activation link to ann@example.com")

		link := b.link(t, "ann@example.com", account.MailActivation)
		if !strings.HasPrefix(link, "/account/activate?token=") {
			t.Fatalf("activation link %q", link)
		}
		before := b.snapshot(t)
		for range 2 { // a mail scanner, then the person
			res = u.get(t, link)
			wantStatus(t, "activation link", res, http.StatusOK)
			webtest.MustContain(t, "activation link", res.Body, "激活账户", `name="token"`, `id="password"`, `action="/account/activate?lang=zh"`)
		}
		if after := b.snapshot(t); after != before {
			t.Fatalf("GET on the activation link changed state:\n%s\nvs\n%s", before, after)
		}
		res = u.login(t, "ann@example.com", password)
		wantStatus(t, "log-in before activation", res, http.StatusForbidden)
		webtest.MustContain(t, "log-in before activation", res.Body, "This account is not activated yet")

		res = u.submit(t, link+"&lang=en", "/account/activate?lang=en", url.Values{"password": {password}})
		wantStatus(t, "activate", res, http.StatusOK)
		webtest.MustContain(t, "activate", res.Body, "ann@example.com is active now")
		a, err := b.accounts.Get(context.Background(), b.accountID(t, "ann@example.com"))
		if err != nil || a.Status != account.Active {
			t.Fatalf("account after activation: %+v %v", a, err)
		}

		res = u.get(t, "/account/?lang=en")
		wantStatus(t, "home before log-in", res, http.StatusSeeOther)
		if res.Location != "/account/login?lang=en" {
			t.Fatalf("home before log-in redirects to %q", res.Location)
		}
		anonymous := u.cookie(t)
		res = u.login(t, "ann@example.com", password)
		wantStatus(t, "log-in", res, http.StatusSeeOther)
		if res.Location != "/account/?lang=en" {
			t.Fatalf("log-in redirects to %q", res.Location)
		}
		if c := u.cookie(t); c == "" || c == anonymous {
			t.Fatalf("log-in kept the session token %q", c)
		}
		// The token from before the log-in is worth nothing now (fixation).
		planted := b.newUser(t)
		su, _ := url.Parse(b.srv.URL)
		planted.c.Jar.SetCookies(su, []*http.Cookie{{Name: account.SessionCookieName, Value: anonymous, Path: "/"}})
		wantStatus(t, "home with the pre-log-in token", planted.get(t, "/account/?lang=en"), http.StatusSeeOther)

		for _, tt := range []struct{ lang, want string }{{"en", "Available balance"}, {"zh", "可用余额"}} {
			res = u.get(t, "/account/?lang="+tt.lang)
			wantStatus(t, "home "+tt.lang, res, http.StatusOK)
			webtest.MustContain(t, "home "+tt.lang, res.Body, tt.want, `id="balance">¥0.00<`, "ann@example.com")
		}
		res = u.get(t, "/account/login?lang=en&next=/account/send")
		wantStatus(t, "log-in page when logged in", res, http.StatusSeeOther)
		if res.Location != "/account/send?lang=en" {
			t.Fatalf("log-in page when logged in redirects to %q", res.Location)
		}

		// Log-out ends the session in the store.
		res = u.post(t, "/account/logout?lang=en", url.Values{"csrf_token": {u.formToken(t, "/account/?lang=en")}})
		wantStatus(t, "log-out", res, http.StatusSeeOther)
		wantStatus(t, "home after log-out", u.get(t, "/account/?lang=en"), http.StatusSeeOther)
		if n := b.count(t, "sessions WHERE account_id <> '' AND expiry > '1971-01-01'"); n != 0 {
			t.Fatalf("%d logged-in sessions still live after log-out", n)
		}
	})
}

// TestRegisterKinds registers personal and enterprise accounts; an
// enterprise without a company, a weak password or a taken address is
// refused on the form, with the form kept and nothing created.
func TestRegisterKinds(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		b.register(t, b.newUser(t), "taken@example.com")
		tests := []struct {
			name, email, pw, kind, company string
			status                         int
			want                           []string
		}{
			{"Personal", "p@example.com", password, "personal", "", http.StatusOK, []string{"We sent an activation link"}},
			{"Enterprise", "e@example.com", password, "enterprise", "Acme 有限公司", http.StatusOK, []string{"We sent an activation link"}},
			{"EnterpriseWithoutCompany", "x@example.com", password, "enterprise", "", http.StatusBadRequest,
				[]string{"An enterprise account needs the company name", `value="x@example.com"`}},
			{"WeakPassword", "w@example.com", "weakweakweak", "personal", "", http.StatusBadRequest, []string{"Use a password of at least 10 characters"}},
			{"BadEmail", "not an email", password, "personal", "", http.StatusBadRequest, []string{"Enter a valid email address"}},
			{"Taken", "taken@example.com", password, "personal", "", http.StatusConflict, []string{"This email already has an account"}},
			{"BadKind", "k@example.com", password, "robot", "", http.StatusBadRequest, []string{"The account kind must be personal or enterprise"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := b.snapshot(t)
				res := b.newUser(t).submit(t, "/account/register?lang=en", "/account/register?lang=en",
					url.Values{"email": {tt.email}, "password": {tt.pw}, "kind": {tt.kind}, "company": {tt.company}})
				wantStatus(t, tt.name, res, tt.status)
				webtest.MustContain(t, tt.name, res.Body, tt.want...)
				webtest.MustNotContain(t, tt.name, res.Body, tt.pw)
				if tt.status != http.StatusOK && b.snapshot(t) != before {
					t.Fatal("a refused registration changed state")
				}
			})
		}
		a, err := b.accounts.Get(context.Background(), b.accountID(t, "e@example.com"))
		if err != nil || a.Kind != account.Enterprise || a.Company != "Acme 有限公司" {
			t.Fatalf("enterprise account: %+v %v", a, err)
		}
	})
}

// TestActivationLinkRefusals: an expired link, a used link and a made-up
// one are each refused with a clear message, and nothing changes.
func TestActivationLinkRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u := b.newUser(t)
		register := func(email string) string {
			res := u.submit(t, "/account/register?lang=en", "/account/register?lang=en",
				url.Values{"email": {email}, "password": {password}, "kind": {"personal"}})
			wantStatus(t, "register", res, http.StatusOK)
			return b.link(t, email, account.MailActivation)
		}
		expired := register("late@example.com")
		b.clock.Advance(25 * time.Hour)
		used := register("twice@example.com")
		wantStatus(t, "first activation", u.submit(t, used+"&lang=en", "/account/activate?lang=en", url.Values{"password": {password}}), http.StatusOK)

		tests := []struct {
			name, link string
			status     int
			want       []string
		}{
			{"Expired", expired, http.StatusConflict, []string{"This activation link has expired", `href="/account/register?lang=en"`}},
			{"Reused", used, http.StatusConflict, []string{"This activation link has already been used", `href="/account/login?lang=en"`}},
			{"Invalid", "/account/activate?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound, []string{"This activation link is not valid"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := b.snapshot(t)
				res := u.submit(t, tt.link+"&lang=en", "/account/activate?lang=en", url.Values{"password": {password}})
				wantStatus(t, tt.name, res, tt.status)
				webtest.MustContain(t, tt.name, res.Body, tt.want...)
				if after := b.snapshot(t); after != before {
					t.Fatalf("refused activation changed state:\n%s\nvs\n%s", before, after)
				}
			})
		}
		if a, _ := b.accounts.Get(context.Background(), b.accountID(t, "late@example.com")); a.Status != account.Pending {
			t.Fatalf("expired link activated the account: %+v", a)
		}
		res := u.get(t, "/account/activate?lang=zh")
		wantStatus(t, "link without a token", res, http.StatusNotFound)
		webtest.MustContain(t, "link without a token", res.Body, "激活链接无效")
	})
}

// TestWrongPasswordAndLockout: a wrong password is refused with a clear
// message and logs nothing in; the fifth in a row locks the account, so
// that even the right password is refused until the lock ends. Only the
// failure counters change.
func TestWrongPasswordAndLockout(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		owner, id := b.newMember(t, "bo@example.com", 500_00)
		balance := b.balance(t, id)
		u := b.newUser(t)
		for i := 1; i <= 4; i++ {
			res := u.login(t, "bo@example.com", "wrong password 1")
			wantStatus(t, "wrong password", res, http.StatusUnauthorized)
			webtest.MustContain(t, "wrong password", res.Body, "The email or password is incorrect.", `value="bo@example.com"`)
			webtest.MustNotContain(t, "wrong password", res.Body, "wrong password 1")
			wantStatus(t, "home after a wrong password", u.get(t, "/account/"), http.StatusSeeOther)
		}
		res := u.login(t, "bo@example.com", "wrong password 1")
		wantStatus(t, "fifth wrong password", res, http.StatusForbidden)
		webtest.MustContain(t, "fifth wrong password", res.Body, "Too many failed log-in attempts")
		before := b.snapshot(t)
		res = u.submit(t, "/account/login?lang=zh", "/account/login?lang=zh", url.Values{"email": {"bo@example.com"}, "password": {password}})
		wantStatus(t, "right password while locked", res, http.StatusForbidden)
		webtest.MustContain(t, "right password while locked", res.Body, "密码错误次数过多")
		wantStatus(t, "home while locked", u.get(t, "/account/"), http.StatusSeeOther)
		if after := b.snapshot(t); after != before {
			t.Fatalf("a refused log-in changed state:\n%s\nvs\n%s", before, after)
		}
		if got := b.balance(t, id); got != balance {
			t.Fatalf("balance %d, want %d", got, balance)
		}
		// The session logged in before keeps working; the lock ends in time.
		wantStatus(t, "the owner's session", owner.get(t, "/account/"), http.StatusOK)
		b.clock.Advance(16 * time.Minute)
		wantStatus(t, "log-in after the lock", u.login(t, "bo@example.com", password), http.StatusSeeOther)
	})
}

// TestPasswordReset: the request page answers the same for known and
// unknown addresses; the link opens a form that uses nothing; a weak
// password keeps the link usable; the reset logs every session out; the
// link works once.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		other, _ := b.newMember(t, "cy@example.com", 0)
		u := b.newUser(t)
		answers := map[string]string{}
		for _, email := range []string{"cy@example.com", "nobody@example.com"} {
			res := u.submit(t, "/account/reset?lang=en", "/account/reset?lang=en", url.Values{"email": {email}})
			wantStatus(t, "reset request "+email, res, http.StatusOK)
			answers[email] = strings.ReplaceAll(webtest.Excerpt(res.Body), email, "EMAIL")
		}
		if answers["cy@example.com"] != answers["nobody@example.com"] {
			t.Fatalf("reset answers differ:\n%s\nvs\n%s", answers["cy@example.com"], answers["nobody@example.com"])
		}
		link := b.link(t, "cy@example.com", account.MailReset)
		if !strings.HasPrefix(link, "/account/reset?token=") {
			t.Fatalf("reset link %q", link)
		}
		before := b.snapshot(t)
		res := u.get(t, link+"&lang=en")
		wantStatus(t, "reset link", res, http.StatusOK)
		webtest.MustContain(t, "reset link", res.Body, "Choose a new password", `action="/account/reset/confirm?lang=en"`)
		if after := b.snapshot(t); after != before {
			t.Fatal("opening the reset link changed state")
		}
		res = u.submit(t, link+"&lang=en", "/account/reset/confirm?lang=en", url.Values{"password": {"short"}})
		wantStatus(t, "weak new password", res, http.StatusBadRequest)
		webtest.MustContain(t, "weak new password", res.Body, "Use a password of at least 10 characters", `name="token"`)
		const newPassword = "new battery staple 2"
		res = u.submit(t, link+"&lang=en", "/account/reset/confirm?lang=en", url.Values{"password": {newPassword}})
		wantStatus(t, "reset", res, http.StatusOK)
		webtest.MustContain(t, "reset", res.Body, "Password changed")
		wantStatus(t, "the other session after the reset", other.get(t, "/account/"), http.StatusSeeOther)
		wantStatus(t, "old password", u.login(t, "cy@example.com", password), http.StatusUnauthorized)
		wantStatus(t, "new password", u.login(t, "cy@example.com", newPassword), http.StatusSeeOther)

		again := b.newUser(t)
		res = again.submit(t, link+"&lang=en", "/account/reset/confirm?lang=en", url.Values{"password": {"yet another one 3"}})
		wantStatus(t, "reused reset link", res, http.StatusConflict)
		webtest.MustContain(t, "reused reset link", res.Body, "This password reset link has already been used")
		wantStatus(t, "new password still", b.newUser(t).login(t, "cy@example.com", newPassword), http.StatusSeeOther)
	})
}

// TestLoginNextIsLocal: the page to go to after log-in is only ever a
// local account page.
func TestLoginNextIsLocal(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t, dbtest.NewSQLite(t))
	b.register(t, b.newUser(t), "dee@example.com")
	tests := []struct{ next, want string }{
		{"/account/send", "/account/send?lang=en"},
		{"/account/?from=2026-01-01&dir=in", "/account/?dir=in&from=2026-01-01&lang=en"},
		{"https://evil.example/account/", "/account/?lang=en"},
		{"//evil.example/account/", "/account/?lang=en"},
		{"/\\evil.example", "/account/?lang=en"},
		{"/pay/123", "/account/?lang=en"},
	}
	for _, tt := range tests {
		u := b.newUser(t)
		q := url.Values{"lang": {"en"}, "next": {tt.next}}
		res := u.submit(t, "/account/login?"+q.Encode(), "/account/login?"+q.Encode(),
			url.Values{"email": {"dee@example.com"}, "password": {password}})
		wantStatus(t, "log-in next="+tt.next, res, http.StatusSeeOther)
		if res.Location != tt.want {
			t.Errorf("next=%q: redirected to %q, want %q", tt.next, res.Location, tt.want)
		}
	}
	// A page that needs a log-in comes back after it.
	u := b.newUser(t)
	res := u.get(t, "/account/send?lang=en")
	wantStatus(t, "send before log-in", res, http.StatusSeeOther)
	if res.Location != "/account/login?lang=en&next=%2Faccount%2Fsend" {
		t.Fatalf("send before log-in redirects to %q", res.Location)
	}
}

// TestResetEndsOtherSessions: a password reset logs out every browser of
// the account, also one whose request was in flight during the reset and
// wrote its session back afterwards (scs saves the session at the end of
// every request, with an upsert).
func TestResetEndsOtherSessions(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newTestBundle(t, d)
		a, _ := b.newMember(t, "ann@example.com", 0)
		c := b.newUser(t) // the same person in another browser, or a thief with the password
		wantStatus(t, "log-in in B", c.login(t, "ann@example.com", password), http.StatusSeeOther)
		for name, u := range map[string]*user{"A": a, "B": c} {
			wantStatus(t, name+"'s home before", u.get(t, "/account/?lang=en"), http.StatusOK)
		}
		// What A's in-flight request holds: its token and session data.
		token := a.cookie(t)
		var data []byte
		if err := d.QueryRow(ctx, `SELECT data FROM sessions WHERE token = ?`, token).Scan(&data); err != nil {
			t.Fatal(err)
		}

		b.clock.Advance(time.Minute)
		if err := b.accounts.RequestReset(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		link := b.link(t, "ann@example.com", account.MailReset)
		res := c.submit(t, link+"&lang=en", "/account/reset/confirm?lang=en", url.Values{"password": {"new Password 2"}})
		wantStatus(t, "reset in B", res, http.StatusOK)

		t.Run("NextRequest", func(t *testing.T) {
			res := a.get(t, "/account/?lang=en")
			wantStatus(t, "A after the reset", res, http.StatusSeeOther)
			if !strings.HasPrefix(res.Location, "/account/login") {
				t.Fatalf("A sent to %q, want the log-in page", res.Location)
			}
		})
		t.Run("RequestInFlight", func(t *testing.T) {
			// The request A had in flight ends after the reset: scs commits
			// its session back.
			if err := b.sessions.Commit(token, data, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			a.c.Jar.SetCookies(mustURL(t, b.srv.URL), []*http.Cookie{{Name: account.SessionCookieName, Value: token, Path: "/"}})
			for _, path := range []string{"/account/?lang=en", "/account/statement?lang=en"} {
				res := a.get(t, path)
				wantStatus(t, "A's resurrected session "+path, res, http.StatusSeeOther)
				if !strings.HasPrefix(res.Location, "/account/login") {
					t.Fatalf("A sent to %q, want the log-in page", res.Location)
				}
			}
			var n int
			if err := d.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE token = ? AND expiry > ?`, token, time.Now().UTC()).Scan(&n); err != nil || n != 0 {
				t.Fatalf("the refused session is still live (%d, %v)", n, err)
			}
		})
		t.Run("NewLogIn", func(t *testing.T) {
			wantStatus(t, "log-in with the new password", a.login(t, "ann@example.com", "new Password 2"), http.StatusSeeOther)
			wantStatus(t, "home after a new log-in", a.get(t, "/account/?lang=en"), http.StatusOK)
		})
	})
}

// TestActivationNeedsRegistrationPassword: Mallory registers Bob's address,
// which has money waiting for it, with her password. Bob's activation
// link, with his own password, activates nothing (and counts as a wrong
// password); only the password chosen at registration activates it.
func TestActivationNeedsRegistrationPassword(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newTestBundle(t, d)
		alice, _ := b.newMember(t, "alice@example.com", 100_00)
		res := alice.submit(t, "/account/send?lang=en", "/account/send?lang=en", url.Values{"to": {"bob@example.com"}, "amount": {"40.00"}})
		wantStatus(t, "send to bob", res, http.StatusSeeOther)

		const mallorys = "Mallory's pass 1"
		mallory := b.newUser(t)
		res = mallory.submit(t, "/account/register?lang=en", "/account/register?lang=en",
			url.Values{"email": {"bob@example.com"}, "password": {mallorys}, "kind": {"personal"}})
		wantStatus(t, "mallory registers bob's address", res, http.StatusOK)
		link := b.link(t, "bob@example.com", account.MailActivation)
		id := b.accountID(t, "bob@example.com")

		bob := b.newUser(t)
		before := b.snapshot(t)
		res = bob.submit(t, link+"&lang=en", "/account/activate?lang=en", url.Values{"password": {password}})
		wantStatus(t, "bob activates with his password", res, http.StatusUnauthorized)
		webtest.MustContain(t, "refused activation", res.Body, "This is not the password chosen when this email was registered",
			`id="password"`, `id="activate-button"`)
		var failed int
		if err := d.QueryRow(ctx, `SELECT failed_logins FROM accounts WHERE id = ?`, id).Scan(&failed); err != nil || failed != 1 {
			t.Fatalf("failed_logins = %d (%v), want the wrong password counted", failed, err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE accounts SET failed_logins = 0, failed_since = NULL WHERE id = ?`, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if after := b.snapshot(t); after != before {
			t.Fatalf("refused activation changed state:\n%s\nvs\n%s", before, after)
		}
		if a, err := b.accounts.Get(ctx, id); err != nil || a.Status != account.Pending || b.balance(t, id) != 0 {
			t.Fatalf("account after the refused activation: %+v %v", a, err)
		}

		res = bob.submit(t, link+"&lang=en", "/account/activate?lang=en", url.Values{"password": {mallorys}})
		wantStatus(t, "activation with the registration's password", res, http.StatusOK)
		webtest.MustContain(t, "activated", res.Body, "bob@example.com is active now")
		if got := b.balance(t, id); got != 40_00 {
			t.Fatalf("balance after activation %d, want the claim", got)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
