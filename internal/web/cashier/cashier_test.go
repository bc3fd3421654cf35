package cashier_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"paygate/internal/payment"
	"paygate/internal/web/cashier"
	"paygate/internal/web/webtest"
)

// TestDeclinesThenSuccess: each decline card shows its reason, its bank
// code and the form again, without echoing the PIN; then a good card pays
// and the payer is sent back to the shop.
func TestDeclinesThenSuccess(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	p := b.create(t, "order-1", 10_000_00, "https://shop.example/return?order=order-1") // above card 059's limit

	for _, tc := range []struct {
		name, pan, pin, lang, code, reason string
	}{
		{"InsufficientFunds", cardNoFunds, "123456", "en", "51", "Insufficient funds."},
		{"InsufficientFundsZH", cardNoFunds, "123456", "zh", "51", "余额不足"},
		{"WrongPIN", cardWrongPIN, "987654", "en", "55", "Incorrect card password (PIN)."},
		{"OverLimit", cardLimit, "123456", "en", "61", "above this card&#39;s payment limit"},
		{"DoNotHonour", cmbDecline, "888888", "en", "05", "Your bank declined this payment."},
		{"DoNotHonourZH", cmbDecline, "888888", "zh", "05", "发卡银行拒绝了这笔交易"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.pay(t, p.ID, tc.lang, cardForm(tc.pan, tc.pin))
			if r.Status != http.StatusOK {
				t.Fatalf("status %d:\n%s", r.Status, webtest.Excerpt(r.Body))
			}
			code := map[string]string{"en": "Bank response code " + tc.code, "zh": "银行返回码 " + tc.code}[tc.lang]
			webtest.MustContain(t, tc.name, r.Body, tc.reason, code, `id="panel-bankcard"`, `name="card_no"`, `type="password"`,
				`value="payer@example.com"`)
			webtest.MustNotContain(t, tc.name, r.Body, tc.pin, tc.pan)
			if got := b.status(t, p.ID); got != payment.Created {
				t.Fatalf("payment %s after a decline, want created", got)
			}
		})
	}
	// A reload of the page still tells why the last try failed.
	r := b.get(t, "/pay/"+p.ID+"?lang=en")
	webtest.MustContain(t, "reload after decline", r.Body, "Payment declined", "Your bank declined this payment.", "Bank response code 05")

	r = b.pay(t, p.ID, "en", cardForm(cardOK, "123456"))
	if r.Status != http.StatusSeeOther || r.Location != "/pay/"+p.ID+"?lang=en" {
		t.Fatalf("good card: %d %q", r.Status, r.Location)
	}
	r = b.get(t, r.Location)
	webtest.MustContain(t, "success page", r.Body, "Payment successful", "¥10,000.00", "622202*********0018", "order-1",
		`href="/pay/`+p.ID+`/return?lang=en"`)
	if got := len(b.attempts(t, p.ID)); got != 7 {
		t.Fatalf("%d attempts, want 7", got)
	}
	// Paying again changes nothing: the payer lands on the receipt.
	r = b.pay(t, p.ID, "en", cardForm(cmbOK, "888888"))
	if r.Status != http.StatusSeeOther || len(b.attempts(t, p.ID)) != 7 {
		t.Fatalf("second payment: %d, %d attempts", r.Status, len(b.attempts(t, p.ID)))
	}
	r = b.get(t, "/pay/"+p.ID+"/return?lang=en")
	want := "https://shop.example/return?order=order-1&payment_id=" + p.ID + "&status=succeeded"
	if r.Status != http.StatusSeeOther || r.Location != want {
		t.Fatalf("return: %d %q, want %q", r.Status, r.Location, want)
	}
	// The log has masked card numbers only, and never a PIN.
	logs := b.logBuf.String()
	webtest.MustContain(t, "log", logs, "622202*********0026", "payment_id="+p.ID)
	webtest.MustNotContain(t, "log", logs, cardNoFunds, cardOK, "123456", "987654", "888888", "payer@example.com")
}

// TestBadInput: malformed input gets a readable message, keeps what the
// payer typed (never the PIN) and makes no attempt.
func TestBadInput(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	p := b.create(t, "order-bad", 12_34, "")
	for _, tc := range []struct {
		name     string
		form     url.Values
		lang     string
		want     string
		keepCard bool
	}{
		{"EmptyCard", url.Values{"card_no": {""}, "pin": {"123456"}}, "en", "Please enter your card number.", false},
		{"EmptyCardZH", url.Values{"card_no": {" "}, "pin": {"123456"}}, "zh", "请输入银行卡号。", false},
		{"Letters", url.Values{"card_no": {"6222abc"}, "pin": {"123456"}}, "en", "That card number is not valid.", true},
		{"TooShort", url.Values{"card_no": {"622202"}, "pin": {"123456"}}, "en", "That card number is not valid.", true},
		{"BadCheckDigit", url.Values{"card_no": {"6222020000000000019"}, "pin": {"123456"}}, "en", "That card number is not valid.", true},
		{"NoPIN", url.Values{"card_no": {cardOK}, "pin": {""}}, "en", "The card password must be 4–12 digits.", true},
		{"ShortPIN", url.Values{"card_no": {cardOK}, "pin": {"123"}}, "en", "The card password must be 4–12 digits.", true},
		{"LongPIN", url.Values{"card_no": {cardOK}, "pin": {"1234567890123"}}, "zh", "银行卡密码应为 4–12 位数字。", true},
		{"LetterPIN", url.Values{"card_no": {cardOK}, "pin": {"12ab56"}}, "en", "The card password must be 4–12 digits.", true},
		{"BadEmail", url.Values{"card_no": {cardOK}, "pin": {"123456"}, "email": {"not-an-email"}}, "en", "That email address is not valid.", true},
		{"UnknownBank", url.Values{"card_no": {"4111111111111111"}, "pin": {"123456"}}, "en", "We cannot take cards from this bank yet.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.pay(t, p.ID, tc.lang, tc.form)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.Status)
			}
			webtest.MustContain(t, tc.name, r.Body, tc.want, `id="panel-bankcard"`)
			if pin := tc.form.Get("pin"); pin != "" {
				webtest.MustNotContain(t, tc.name, r.Body, pin)
			}
			if tc.keepCard {
				webtest.MustContain(t, tc.name, r.Body, `value="`+strings.ReplaceAll(tc.form.Get("card_no"), " ", "")+`"`)
			}
		})
	}
	if n := len(b.attempts(t, p.ID)); n != 0 || b.status(t, p.ID) != payment.Created {
		t.Fatalf("bad input made %d attempts; payment %s", n, b.status(t, p.ID))
	}
	// Spaces in the card number are fine.
	r := b.pay(t, p.ID, "en", url.Values{"card_no": {"6222 0200 0000 0000 018"}, "pin": {"123456"}})
	if r.Status != http.StatusSeeOther || b.status(t, p.ID) != payment.Succeeded {
		t.Fatalf("spaced card number: %d, payment %s", r.Status, b.status(t, p.ID))
	}
	// No return URL: the return route says the page can be closed.
	r = b.get(t, "/pay/"+p.ID+"/return?lang=en")
	if r.Status != http.StatusOK {
		t.Fatalf("return without return_url: %d", r.Status)
	}
	webtest.MustContain(t, "no return url", r.Body, "You can close this page now.")
}

// TestUnknownOutcome: card 042 never answers; the payer sees the processing
// page, the status turns back to created once the reversal is acknowledged,
// and the page then says no money was taken and offers the form again.
func TestUnknownOutcome(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	p := b.create(t, "order-silent", 12_34, "")
	before, err := b.sim.Balance(context.Background(), cardSilent, "CNY")
	if err != nil {
		t.Fatal(err)
	}
	r := b.pay(t, p.ID, "en", cardForm(cardSilent, "123456"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("silent card: %d\n%s", r.Status, webtest.Excerpt(r.Body))
	}
	page := b.get(t, r.Location)
	if b.status(t, p.ID) == payment.Processing {
		webtest.MustContain(t, "processing page", page.Body, "Confirming your payment", `data-poll="/pay/`+p.ID+`/status"`)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct{ Status string }
		s := b.get(t, "/pay/"+p.ID+"/status")
		if err := json.Unmarshal([]byte(s.Body), &st); err != nil {
			t.Fatalf("status body %q: %v", s.Body, err)
		}
		if st.Status == "created" {
			break
		}
		if st.Status != "processing" || time.Now().After(deadline) {
			t.Fatalf("status %q", st.Status)
		}
		if err := b.svc.ResolveUnknown(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	page = b.get(t, "/pay/"+p.ID+"?lang=en")
	webtest.MustContain(t, "after reversal", page.Body, "Not paid — no money was taken", "No money was taken; you can pay again.",
		`id="panel-bankcard"`)
	if after, _ := b.sim.Balance(context.Background(), cardSilent, "CNY"); after != before {
		t.Fatalf("bank balance %d, want %d", after, before)
	}
	r = b.pay(t, p.ID, "en", cardForm(cmbOK, "888888"))
	if r.Status != http.StatusSeeOther || b.status(t, p.ID) != payment.Succeeded {
		t.Fatalf("retry: %d, payment %s", r.Status, b.status(t, p.ID))
	}
}

// TestExpiredClosedNotFound: pages for payments that can no longer be paid.
func TestExpiredClosedNotFound(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	closed := b.create(t, "order-closed", 100, "https://shop.example/back")
	if _, err := b.svc.Close(context.Background(), b.mch.ID, closed.ID); err != nil {
		t.Fatal(err)
	}
	r := b.get(t, "/pay/"+closed.ID+"?lang=en")
	if r.Status != http.StatusGone {
		t.Fatalf("closed: %d", r.Status)
	}
	webtest.MustContain(t, "closed", r.Body, "This payment is closed", "order-closed", "/pay/"+closed.ID+"/return?lang=en")
	webtest.MustNotContain(t, "closed", r.Body, `id="panel-bankcard"`)
	r = b.pay(t, closed.ID, "en", cardForm(cardOK, "123456"))
	if r.Status != http.StatusSeeOther || len(b.attempts(t, closed.ID)) != 0 {
		t.Fatalf("pay closed: %d, %d attempts", r.Status, len(b.attempts(t, closed.ID)))
	}

	expired := b.create(t, "order-expired", 100, "")
	if r := b.get(t, "/pay/"+expired.ID+"?lang=en"); r.Status != http.StatusOK || !strings.Contains(r.Body, `data-seconds="1799"`) &&
		!strings.Contains(r.Body, `data-seconds="1800"`) {
		t.Fatalf("open payment: %d, countdown missing:\n%s", r.Status, webtest.Excerpt(r.Body))
	}
	b.clock.Advance(31 * time.Minute)
	r = b.get(t, "/pay/"+expired.ID)
	if r.Status != http.StatusGone {
		t.Fatalf("expired: %d", r.Status)
	}
	webtest.MustContain(t, "expired", r.Body, "订单已过期", "未扣款")
	r = b.pay(t, expired.ID, "en", cardForm(cardOK, "123456"))
	if r.Status != http.StatusSeeOther || len(b.attempts(t, expired.ID)) != 0 {
		t.Fatalf("pay expired: %d, %d attempts", r.Status, len(b.attempts(t, expired.ID)))
	}
	s := b.get(t, "/pay/"+expired.ID+"/status")
	webtest.MustContain(t, "expired status", s.Body, `"status":"expired"`)

	for _, path := range []string{"/pay/pay_nosuchthing", "/pay/pay_nosuchthing/return"} {
		r = b.get(t, path+"?lang=en")
		if r.Status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, r.Status)
		}
		webtest.MustContain(t, path, r.Body, "Payment not found")
	}
	if s := b.get(t, "/pay/pay_nosuchthing/status"); s.Status != http.StatusNotFound {
		t.Fatalf("status of nothing: %d", s.Status)
	}
}

// TestLanguage: ?lang wins, then Accept-Language, then Chinese; each page
// links to the other language.
func TestLanguage(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	p := b.create(t, "order-lang", 12_34, "")
	for _, tc := range []struct {
		name, query, accept, want, notWant, switchTo string
	}{
		{"Default", "", "", "确认支付 ¥12.34", "Pay ¥12.34", "?lang=en"},
		{"QueryEN", "?lang=en", "zh-CN", "Pay ¥12.34", "确认支付", "?lang=zh"},
		{"QueryZH", "?lang=zh", "en-US,en;q=0.9", "确认支付 ¥12.34", "Pay ¥12.34", "?lang=en"},
		{"HeaderEN", "", "en-GB,en;q=0.9,zh;q=0.5", "Pay ¥12.34", "确认支付", "?lang=zh"},
		{"HeaderZH", "", "zh-TW,zh;q=0.9,en;q=0.5", "确认支付 ¥12.34", "Pay ¥12.34", "?lang=en"},
		{"HeaderOther", "", "fr-FR,fr;q=0.9", "确认支付 ¥12.34", "Pay ¥12.34", "?lang=en"},
		{"HeaderOtherThenEN", "", "de-DE,en;q=0.5", "Pay ¥12.34", "确认支付", "?lang=zh"},
		{"BadQuery", "?lang=xx", "en", "Pay ¥12.34", "确认支付", "?lang=zh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.get(t, "/pay/"+p.ID+tc.query, "Accept-Language", tc.accept)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			webtest.MustContain(t, tc.name, r.Body, tc.want, `id="lang-switch" href="/pay/`+p.ID+tc.switchTo+`"`, "¥12.34", "CNY", "order-lang", "一杯咖啡 coffee")
			webtest.MustNotContain(t, tc.name, r.Body, tc.notWant)
		})
	}
}

// TestSecurity: headers on every response, cross-origin POSTs refused with
// nothing changed, assets served from the package.
func TestSecurity(t *testing.T) {
	t.Parallel()
	b := newTestBundle(t)
	p := b.create(t, "order-sec", 12_34, "")
	for _, path := range []string{"/pay/" + p.ID, "/pay/" + p.ID + "/status", "/pay/nothing", "/pay/assets/x/cashier.css"} {
		r := b.get(t, path)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	page := b.get(t, "/pay/"+p.ID).Body
	webtest.MustNotContain(t, "page", page, "<script>", "style=", "http://", "https://", "onclick")
	webtest.MustContain(t, "page", page, `autocomplete="off"`, `inputmode="numeric"`, `type="password"`)

	for _, tc := range []struct{ name, header, value string }{
		{"SecFetchSite", "Sec-Fetch-Site", "cross-site"},
		{"Origin", "Origin", "https://evil.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/pay/"+p.ID+"/card?lang=en",
				strings.NewReader(cardForm(cardOK, "123456").Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(tc.header, tc.value)
			r := b.do(t, req)
			if r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.Status)
			}
			webtest.MustContain(t, tc.name, r.Body, "did not come from the checkout page")
		})
	}
	if n := len(b.attempts(t, p.ID)); n != 0 {
		t.Fatalf("cross-origin POSTs made %d attempts", n)
	}
	for name, ctype := range map[string]string{"cashier.css": "text/css", "cashier.js": "text/javascript", "icon.svg": "image/svg+xml"} {
		r := b.get(t, "/pay/assets/v/"+name)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), ctype) || r.Body == "" {
			t.Errorf("asset %s: %d %q", name, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if r := b.get(t, "/pay/assets/v/nothing.js"); r.Status != http.StatusNotFound {
		t.Errorf("missing asset: %d", r.Status)
	}
}

func TestDefaultReturnURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"https://shop.example/r", "https://shop.example/r?payment_id=pay_1&status=succeeded"},
		{"https://shop.example/r?a=1#top", "https://shop.example/r?a=1&payment_id=pay_1&status=succeeded#top"},
	} {
		got := cashier.DefaultReturnURL(payment.Payment{ID: "pay_1", Status: payment.Succeeded, ReturnURL: tc.in})
		if got != tc.want {
			t.Errorf("DefaultReturnURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
