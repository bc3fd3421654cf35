package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/payment"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

// TestSingleRefund: finance refunds part of a card payment from its page:
// the refund goes to the card through the bank simulator (the card's
// balance rises by the refund), shows on the page, and the same form sent
// again refunds nothing more. Too much, or a malformed amount, is refused
// on the form with its reason, and nothing moves.
func TestSingleRefund(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ctx := context.Background()
		p := b.paid(t, b.env.Merchant.ID, "TEA-REFUND", 100_00)
		b.newStaff(t, b.env.Merchant.ID, "finance@teashop.test", staff.Finance)
		u := b.login(t, "finance@teashop.test")
		page := "/portal/payments/" + p.ID + "?lang=en"

		res := u.get(t, page)
		wantStatus(t, "payment page", res, http.StatusOK)
		webtest.MustContain(t, "payment page", res.Body, `id="refund-form"`, `id="left">¥100.00<`, "622202*********0018")
		webtest.MustNotContain(t, "payment page", res.Body, cardOK)
		form := webtest.Hidden(res.Body)

		for _, tt := range []struct {
			name, amount string
			status       int
			text         string
		}{
			{"TooMuch", "100.01", http.StatusUnprocessableEntity, "more than what is left to refund"},
			{"Malformed", "12.3.4", http.StatusBadRequest, "Enter an amount like 12.34."},
			{"Negative", "-5", http.StatusBadRequest, "Enter an amount like 12.34."},
			{"Zero", "0.00", http.StatusBadRequest, "The amount must be more than zero."},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before, balance := b.snapshot(t), b.env.BankBalance(t, cardOK)
				f := url.Values{"csrf_token": {form.Get("csrf_token")}, "key": {form.Get("key")}, "amount": {tt.amount}}
				res := u.post(t, "/portal/payments/"+p.ID+"/refund?lang=en", f)
				wantStatus(t, tt.name, res, tt.status)
				webtest.MustContain(t, tt.name, res.Body, tt.text, `id="refund-form"`)
				if b.snapshot(t) != before || b.env.BankBalance(t, cardOK) != balance {
					t.Fatal("a refused refund changed state")
				}
			})
		}

		balance := b.env.BankBalance(t, cardOK)
		f := url.Values{"csrf_token": {form.Get("csrf_token")}, "key": {form.Get("key")}, "amount": {"12.34"}, "reason": {"退货 returned"}}
		res = u.post(t, "/portal/payments/"+p.ID+"/refund?lang=en", f)
		wantStatus(t, "refund", res, http.StatusSeeOther)
		res = u.get(t, res.Location)
		wantStatus(t, "after the refund", res, http.StatusOK)
		webtest.MustContain(t, "after the refund", res.Body, `id="flash"`, "succeeded", "¥12.34", `id="refunded">¥12.34<`,
			`id="left">¥87.66<`, "退货 returned")
		if got := b.env.BankBalance(t, cardOK); got != balance+12_34 {
			t.Fatalf("card balance %d, want %d + 1234", got, balance)
		}
		refunds, err := b.env.Service.Refunds(ctx, b.env.Merchant.ID, p.ID)
		if err != nil || len(refunds) != 1 || refunds[0].Status != payment.RefundSucceeded || refunds[0].Amount.Minor() != 12_34 {
			t.Fatalf("refunds %+v, %v", refunds, err)
		}

		// The same form again (a double click, a retry): nothing more.
		res = u.post(t, "/portal/payments/"+p.ID+"/refund?lang=en", f)
		wantStatus(t, "the same form again", res, http.StatusSeeOther)
		if got := b.env.BankBalance(t, cardOK); got != balance+12_34 {
			t.Fatalf("card balance %d after the form was sent twice", got)
		}
		if refunds, _ := b.env.Service.Refunds(ctx, b.env.Merchant.ID, p.ID); len(refunds) != 1 {
			t.Fatalf("%d refunds after the form was sent twice", len(refunds))
		}
		// A new form is a new refund, with the merchant's refund number.
		res = u.submit(t, page, "/portal/payments/"+p.ID+"/refund?lang=en", url.Values{"amount": {"7.66"}, "refund_no": {"RF-2"}})
		wantStatus(t, "second refund", res, http.StatusSeeOther)
		res = u.get(t, page)
		webtest.MustContain(t, "after two refunds", res.Body, `id="refunded">¥20.00<`, "RF-2")
		if got := b.env.BankBalance(t, cardOK); got != balance+20_00 {
			t.Fatalf("card balance %d, want +2000", got)
		}
	})
}

// TestViewerCannotChangeAnything: a viewer sees payments but no refund,
// key, settings or resend form, and every such POST, even with a valid
// form token, is a 403 that changes nothing; the refund sheet pages are
// refused too. Finance can refund but not change keys or settings.
func TestViewerCannotChangeAnything(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		p := b.paid(t, b.env.Merchant.ID, "TEA-1", 50_00)
		evt := b.event(t, b.env.Merchant.ID, p.ID)
		b.newStaff(t, b.env.Merchant.ID, "viewer@teashop.test", staff.Viewer)
		b.newStaff(t, b.env.Merchant.ID, "finance@teashop.test", staff.Finance)
		viewer := b.login(t, "viewer@teashop.test")
		finance := b.login(t, "finance@teashop.test")

		res := viewer.get(t, "/portal/payments/"+p.ID+"?lang=en")
		wantStatus(t, "viewer's payment page", res, http.StatusOK)
		webtest.MustContain(t, "viewer's payment page", res.Body, "Your role (viewer) cannot refund.", evt)
		webtest.MustNotContain(t, "viewer's payment page", res.Body, `id="refund-form"`, "resend-button", `id="nav-refunds"`)
		for _, page := range []string{"/portal/keys?lang=en", "/portal/settings?lang=en"} {
			res := viewer.get(t, page)
			wantStatus(t, page, res, http.StatusOK)
			webtest.MustContain(t, page, res.Body, "Only an administrator can change this.")
			webtest.MustNotContain(t, page, res.Body, `id="key-form"`, `id="settings-form"`)
		}

		tok := viewer.token(t)
		before, balance := b.snapshot(t), b.env.BankBalance(t, cardOK)
		for _, tt := range []struct {
			u    *user
			path string
			form url.Values
		}{
			{viewer, "/portal/payments/" + p.ID + "/refund", url.Values{"amount": {"1.00"}, "key": {"k-0123456789012345678901234567"}}},
			{viewer, "/portal/payments/" + p.ID + "/resend", url.Values{"event_id": {evt}}},
			{viewer, "/portal/keys", url.Values{"pem": {testPEM(t)}}},
			{viewer, "/portal/settings", url.Values{"notify_url": {"https://evil.example/n"}}},
			{viewer, "/portal/refunds/rfb_x/confirm", url.Values{}},
			{finance, "/portal/keys", url.Values{"pem": {testPEM(t)}}},
			{finance, "/portal/settings", url.Values{"notify_url": {"https://evil.example/n"}}},
		} {
			form := url.Values{"csrf_token": {tok}}
			if tt.u == finance {
				form.Set("csrf_token", finance.token(t))
			}
			for k, v := range tt.form {
				form[k] = v
			}
			res := tt.u.post(t, tt.path+"?lang=en", form)
			wantStatus(t, tt.path, res, http.StatusForbidden)
			webtest.MustContain(t, tt.path, res.Body, "is not allowed to")
		}
		for _, path := range []string{"/portal/refunds", "/portal/refunds/template.xlsx", "/portal/refunds/rfb_x"} {
			wantStatus(t, path, viewer.get(t, path), http.StatusForbidden)
		}
		if b.snapshot(t) != before || b.env.BankBalance(t, cardOK) != balance {
			t.Fatal("refused requests changed state")
		}
		wantStatus(t, "finance's sheet page", finance.get(t, "/portal/refunds"), http.StatusOK)
	})
}

var eventIDRE = regexp.MustCompile(`data-event="(evt_[0-9A-Z]+)"`)
