package accountweb_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paygate/internal/account"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/web/webtest"
)

// The refusal of a forged or stale form, in both languages.
const (
	refusedEN = "The form expired or did not come from this site, and nothing was changed."
	refusedZH = "表单已过期或并非来自本站，未做任何更改。"
)

// TestPostWithoutFormTokenRefused posts every form of the site, otherwise
// valid, without the form token and with a made-up one: each is refused
// with the bilingual message, and nothing changes — no log-in, no
// activation, no mail, no money, no log-out.
func TestPostWithoutFormTokenRefused(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ctx := context.Background()
		member, _ := b.newMember(t, "al@example.com", 500_00)
		anon := b.newUser(t)
		anon.get(t, "/account/login") // a session with a form token of its own
		res := anon.submit(t, "/account/register", "/account/register",
			url.Values{"email": {"pending@example.com"}, "password": {password}, "kind": {"personal"}})
		wantStatus(t, "register", res, http.StatusOK)
		activate := b.link(t, "pending@example.com", account.MailActivation)
		if err := b.accounts.RequestReset(ctx, "al@example.com"); err != nil {
			t.Fatal(err)
		}
		reset := b.link(t, "al@example.com", account.MailReset)
		token := func(link string) string { u, _ := url.Parse(link); return u.Query().Get("token") }

		tests := []struct {
			name string
			u    *user
			path string
			form url.Values
		}{
			{"Login", anon, "/account/login", url.Values{"email": {"al@example.com"}, "password": {password}}},
			{"Register", anon, "/account/register", url.Values{"email": {"new@example.com"}, "password": {password}, "kind": {"personal"}}},
			{"Activate", anon, "/account/activate", url.Values{"token": {token(activate)}, "password": {password}}},
			{"RequestReset", anon, "/account/reset", url.Values{"email": {"al@example.com"}}},
			{"ConfirmReset", anon, "/account/reset/confirm", url.Values{"token": {token(reset)}, "password": {"stolen password 9"}}},
			{"Send", member, "/account/send", url.Values{"to": {"x@example.com"}, "amount": {"10"}, "key": {"k1"}}},
			{"TopUp", member, "/account/topup", url.Values{"card_no": {cardOK}, "pin": {goodPIN}, "amount": {"10"}}},
			{"Withdraw", member, "/account/withdraw", url.Values{"card_no": {cardOK}, "amount": {"10"}}},
			{"Logout", member, "/account/logout", url.Values{}},
		}
		for _, tt := range tests {
			for _, variant := range []struct{ name, token string }{{"Missing", ""}, {"Wrong", "bm90IHRoZSB0b2tlbg"}} {
				t.Run(tt.name+variant.name, func(t *testing.T) {
					before := b.snapshot(t)
					form := url.Values{}
					for k, v := range tt.form {
						form[k] = v
					}
					if variant.token != "" {
						form.Set("csrf_token", variant.token)
					}
					res := tt.u.post(t, tt.path+"?lang=en", form)
					wantStatus(t, tt.path, res, http.StatusForbidden)
					webtest.MustContain(t, tt.path, res.Body, refusedEN, refusedZH, "Reload the page and try again")
					if after := b.snapshot(t); after != before {
						t.Fatalf("a refused %s changed state:\n%s\nvs\n%s", tt.path, before, after)
					}
					wantStatus(t, "the member's session", member.get(t, "/account/"), http.StatusOK)
					wantStatus(t, "the anonymous session", anon.get(t, "/account/"), http.StatusSeeOther)
				})
			}
		}
		// A browser with no session at all.
		res = b.newUser(t).post(t, "/account/login?lang=zh", url.Values{"email": {"al@example.com"}, "password": {password}, "csrf_token": {"x"}})
		wantStatus(t, "log-in without a session", res, http.StatusForbidden)
		webtest.MustContain(t, "log-in without a session", res.Body, refusedZH)
		if strings.Contains(b.logs.String(), password) {
			t.Fatal("a password reached the log")
		}
	})
}

// TestFormTokenFromAnotherSession: a form token belongs to its session; a
// form made in one browser and sent with another browser's cookie is
// refused.
func TestFormTokenFromAnotherSession(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		b.register(t, b.newUser(t), "eve@example.com")
		one, two := b.newUser(t), b.newUser(t)
		tokenOne := one.formToken(t, "/account/login")
		if tokenTwo := two.formToken(t, "/account/login"); tokenTwo == tokenOne {
			t.Fatal("two sessions share a form token")
		}
		before := b.snapshot(t)
		res := two.post(t, "/account/login?lang=en", url.Values{"email": {"eve@example.com"}, "password": {password}, "csrf_token": {tokenOne}})
		wantStatus(t, "log-in with another session's token", res, http.StatusForbidden)
		webtest.MustContain(t, "log-in with another session's token", res.Body, refusedEN)
		if b.snapshot(t) != before {
			t.Fatal("refused log-in changed state")
		}
		wantStatus(t, "home", two.get(t, "/account/"), http.StatusSeeOther)

		// Log-in gives a new form token: the anonymous one stops working.
		wantStatus(t, "log-in", one.login(t, "eve@example.com", password), http.StatusSeeOther)
		res = one.post(t, "/account/logout?lang=en", url.Values{"csrf_token": {tokenOne}})
		wantStatus(t, "log-out with the pre-log-in token", res, http.StatusForbidden)
		wantStatus(t, "still logged in", one.get(t, "/account/"), http.StatusOK)
	})
}

// TestCookieFromAnotherAccount: account A's cookie with a form minted in
// B's session is refused and moves nothing; A's cookie only ever shows A,
// whatever the URL says, and no page carries an account id.
func TestCookieFromAnotherAccount(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		alice, aliceID := b.newMember(t, "alice@example.com", 300_00)
		bob, bobID := b.newMember(t, "bob@example.com", 700_00)

		bobsForm := webtest.Hidden(bob.get(t, "/account/send?lang=en").Body)
		before := b.snapshot(t)
		for _, path := range []string{"/account/send", "/account/topup", "/account/withdraw", "/account/logout"} {
			form := url.Values{"csrf_token": {bobsForm.Get("csrf_token")}, "key": {bobsForm.Get("key")},
				"to": {"carol@example.com"}, "amount": {"10.00"}, "card_no": {cardOK}, "pin": {goodPIN}}
			res := alice.post(t, path+"?lang=en", form)
			wantStatus(t, "alice's cookie, bob's form: "+path, res, http.StatusForbidden)
			webtest.MustContain(t, path, res.Body, refusedEN)
		}
		if after := b.snapshot(t); after != before {
			t.Fatalf("refused requests changed state:\n%s\nvs\n%s", before, after)
		}

		for _, path := range []string{"/account/", "/account/?account=" + bobID, "/account/?account_id=" + bobID + "&lang=en",
			"/account/statement?account=" + bobID, "/account/statement.csv?account=" + bobID} {
			res := alice.get(t, path)
			wantStatus(t, path, res, http.StatusOK)
			webtest.MustNotContain(t, path, res.Body, "bob@example.com", "700.00", bobID)
		}
		res := alice.get(t, "/account/?account="+bobID)
		webtest.MustContain(t, "alice's home", res.Body, "alice@example.com", `id="balance">¥300.00<`)
		for _, path := range []string{"/account/", "/account/send", "/account/topup", "/account/withdraw", "/account/statement", "/account/statement.csv"} {
			res := alice.get(t, path)
			webtest.MustNotContain(t, path, res.Body, "acct_")
		}

		// Alice's own form sends from Alice.
		res = alice.submit(t, "/account/send?lang=en", "/account/send?lang=en", url.Values{"to": {"carol@example.com"}, "amount": {"10.00"}})
		wantStatus(t, "alice sends", res, http.StatusSeeOther)
		if a, bb := b.balance(t, aliceID), b.balance(t, bobID); a != 290_00 || bb != 700_00 {
			t.Fatalf("balances alice %d bob %d, want 29000 and 70000", a, bb)
		}
	})
}

// TestCrossOriginRefused: a POST the browser marks as cross-site, or whose
// Origin is another host, is refused even with a valid form token.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, _ := b.newMember(t, "fay@example.com", 100_00)
		form := webtest.Hidden(u.get(t, "/account/send?lang=en").Body)
		form.Set("to", "gus@example.com")
		form.Set("amount", "5")
		before := b.snapshot(t)
		for _, header := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		} {
			res := u.post(t, "/account/send?lang=en", form, header...)
			wantStatus(t, strings.Join(header, " "), res, http.StatusForbidden)
			webtest.MustContain(t, strings.Join(header, " "), res.Body, refusedEN)
		}
		if b.snapshot(t) != before {
			t.Fatal("a cross-origin POST changed state")
		}
		wantStatus(t, "same-origin", u.post(t, "/account/send?lang=en", form), http.StatusSeeOther)
	})
}
