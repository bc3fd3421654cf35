package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

// TestMerchantIsolation: merchant A's admin, who may do everything, gets
// 404 for merchant B's payment page, refund, resend, refund sheet and its
// status, results, confirmation and discarding — exactly like ids that do
// not exist — and nothing of B's changes; A's searches and exports never
// hold B's payments.
func TestMerchantIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ctx := context.Background()
		mine := b.paid(t, b.env.Merchant.ID, "SAME-ORDER", 20_00)
		theirs := b.paid(t, b.other.ID, "SAME-ORDER", 30_00)
		theirEvent := b.event(t, b.other.ID, theirs.ID)
		theirBatch, _, err := b.batches.Validate(ctx, b.other.ID, "b.csv", []byte("商户订单号,退款金额\nSAME-ORDER,1.00\n"))
		if err != nil {
			t.Fatal(err)
		}
		b.newStaff(t, b.env.Merchant.ID, "admin@teashop.test", staff.Admin)
		b.newStaff(t, b.other.ID, "admin@other.test", staff.Admin)
		u := b.login(t, "admin@teashop.test")
		tok := u.token(t)

		before, balance := b.snapshot(t), b.env.BankBalance(t, cardOK)
		for _, path := range []string{
			"/portal/payments/" + theirs.ID, "/portal/payments/pay_nope",
			"/portal/refunds/" + theirBatch.ID, "/portal/refunds/" + theirBatch.ID + "/status",
			"/portal/refunds/" + theirBatch.ID + "/results.csv", "/portal/refunds/" + theirBatch.ID + "/results.xlsx",
			"/portal/refunds/rfb_nope",
		} {
			res := u.get(t, path+"?lang=en")
			wantStatus(t, path, res, http.StatusNotFound)
			webtest.MustNotContain(t, path, res.Body, "30.00", "Other Shop")
		}
		for _, tt := range []struct {
			path string
			form url.Values
		}{
			{"/portal/payments/" + theirs.ID + "/refund", url.Values{"amount": {"1.00"}, "key": {"k-0123456789012345678901234567"}}},
			{"/portal/payments/" + theirs.ID + "/resend", url.Values{"event_id": {theirEvent}}},
			{"/portal/payments/" + mine.ID + "/resend", url.Values{"event_id": {theirEvent}}},
			{"/portal/refunds/" + theirBatch.ID + "/confirm", url.Values{}},
			{"/portal/refunds/" + theirBatch.ID + "/discard", url.Values{}},
		} {
			form := url.Values{"csrf_token": {tok}}
			for k, v := range tt.form {
				form[k] = v
			}
			res := u.post(t, tt.path+"?lang=en", form)
			wantStatus(t, tt.path, res, http.StatusNotFound)
		}
		if b.snapshot(t) != before || b.env.BankBalance(t, cardOK) != balance {
			t.Fatal("requests about merchant B's objects changed state")
		}

		for _, path := range []string{"/portal/payments?lang=en", "/portal/payments?order_no=SAME-ORDER",
			"/portal/payments.csv", "/portal/payments.xlsx", "/portal/payments.csv?order_no=SAME-ORDER", "/portal/refunds"} {
			res := u.get(t, path)
			wantStatus(t, path, res, http.StatusOK)
			webtest.MustNotContain(t, path, res.Body, theirs.ID, theirBatch.ID)
		}
		res := u.get(t, "/portal/payments.csv?order_no=SAME-ORDER")
		if rows := readCSV(t, res.Body); len(rows) != 2 || rows[1][0] != mine.ID {
			t.Fatalf("export of SAME-ORDER: %v", rows)
		}
		// And B's admin sees B's, not A's.
		res = b.login(t, "admin@other.test").get(t, "/portal/payments?lang=en")
		if !strings.Contains(res.Body, theirs.ID) || strings.Contains(res.Body, mine.ID) {
			t.Fatal("merchant B's admin sees the wrong payments")
		}
	})
}

// TestNotificationsAndResend: a payment's page lists its notifications
// with their attempts; finance resends one, which makes it due again.
func TestNotificationsAndResend(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ctx := context.Background()
		p := b.paid(t, b.env.Merchant.ID, "TEA-N", 20_00)
		other := b.paid(t, b.env.Merchant.ID, "TEA-OTHER", 20_00)
		evt := b.event(t, b.env.Merchant.ID, p.ID)
		otherEvt := b.event(t, b.env.Merchant.ID, other.ID)
		if _, err := d.ExecRaw(ctx, `UPDATE notify_events SET state = 'failed', failed_at = created_at WHERE id = ?`, evt); err != nil {
			t.Fatal(err)
		}
		b.newStaff(t, b.env.Merchant.ID, "finance@teashop.test", staff.Finance)
		u := b.login(t, "finance@teashop.test")
		res := u.get(t, "/portal/payments/"+p.ID+"?lang=en")
		wantStatus(t, "payment page", res, http.StatusOK)
		webtest.MustContain(t, "payment page", res.Body, evt, "payment.succeeded", "Failed", "resend-button")
		webtest.MustNotContain(t, "payment page", res.Body, otherEvt)

		res = u.submit(t, "/portal/payments/"+p.ID+"?lang=en", "/portal/payments/"+p.ID+"/resend?lang=en", url.Values{"event_id": {evt}})
		wantStatus(t, "resend", res, http.StatusSeeOther)
		n, err := b.outbox.Get(ctx, evt)
		if err != nil || n.State != "pending" {
			t.Fatalf("after resend: %+v, %v", n, err)
		}
		webtest.MustContain(t, "after resend", u.get(t, res.Location).Body, `id="flash"`, evt)
	})
}
