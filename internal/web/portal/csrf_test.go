package portal_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/staff"
	"paygate/internal/web/webtest"
)

// The refusal of a forged or stale form.
const refusedEN = "The form expired or did not come from this site, and nothing was changed."

// TestFormTokenRequired posts every form of the portal as an admin, who
// may do everything, without the form token, with a made-up one, and from
// another site: each is refused with 403 before anything runs, and
// nothing changes — no refund, key, setting, resend, sheet, log-in or
// log-out.
func TestFormTokenRequired(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		p := b.paid(t, b.env.Merchant.ID, "TEA-1", 50_00)
		evt := b.event(t, b.env.Merchant.ID, p.ID)
		b.newStaff(t, b.env.Merchant.ID, "admin@teashop.test", staff.Admin)
		u := b.login(t, "admin@teashop.test")
		valid := u.token(t)
		forms := []struct {
			path string
			form url.Values
		}{
			{"/portal/payments/" + p.ID + "/refund", url.Values{"amount": {"1.00"}, "key": {"k-0123456789012345678901234567"}}},
			{"/portal/payments/" + p.ID + "/resend", url.Values{"event_id": {evt}}},
			{"/portal/keys", url.Values{"pem": {testPEM(t)}}},
			{"/portal/settings", url.Values{"notify_url": {"https://evil.example/n"}}},
			{"/portal/login", url.Values{"email": {"admin@teashop.test"}, "password": {password}}},
			{"/portal/logout", url.Values{}},
		}
		before := b.snapshot(t)
		for _, tt := range forms {
			for _, variant := range []struct {
				name   string
				token  string
				header []string
			}{
				{"Missing", "", nil},
				{"Wrong", "bm90IHRoZSB0b2tlbg", nil},
				{"CrossSite", valid, []string{"Sec-Fetch-Site", "cross-site"}},
				{"OtherOrigin", valid, []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}},
			} {
				t.Run(strings.TrimPrefix(tt.path, "/portal/")+variant.name, func(t *testing.T) {
					form := url.Values{}
					for k, v := range tt.form {
						form[k] = v
					}
					if variant.token != "" {
						form.Set("csrf_token", variant.token)
					}
					res := u.post(t, tt.path+"?lang=en", form, variant.header...)
					wantStatus(t, tt.path, res, http.StatusForbidden)
					webtest.MustContain(t, tt.path, res.Body, refusedEN)
					if b.snapshot(t) != before {
						t.Fatalf("a refused %s changed state", tt.path)
					}
					wantStatus(t, "still logged in", u.get(t, "/portal/payments"), http.StatusOK)
				})
			}
		}
		// The sheet upload is multipart: refused alike without its token.
		for _, token := range []string{"", "bm90IHRoZSB0b2tlbg"} {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			if token != "" {
				mw.WriteField("csrf_token", token)
			}
			fw, _ := mw.CreateFormFile("sheet", "refunds.csv")
			fw.Write([]byte("商户订单号,退款金额\nTEA-1,1.00\n"))
			mw.Close()
			req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/portal/refunds?lang=en", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			res := webtest.Do(t, u.c, req)
			wantStatus(t, "upload without the token", res, http.StatusForbidden)
		}
		if b.snapshot(t) != before {
			t.Fatal("a refused upload changed state")
		}
	})
}
