package cashier_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paygate/internal/web/browsertest"
)

// newBrowser starts headless Chromium (English) for these tests.
func newBrowser(t *testing.T) context.Context { return browsertest.New(t, "en-US") }

var (
	step       = browsertest.Step
	text       = browsertest.Text
	screenshot = browsertest.Screenshot
)

// TestBrowserPay drives the cashier in headless Chromium: a decline with
// its message, a retry with a good card, the receipt, and the way back to a
// tiny shop page.
func TestBrowserPay(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	b := newTestBundle(t)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Shop</title><h1 id="shop">Thank you</h1><p id="order">%s %s</p>`,
			r.URL.Query().Get("payment_id"), r.URL.Query().Get("status"))
	}))
	t.Cleanup(shop.Close)
	p := b.create(t, "order-20240518-0042", 12_800_00, shop.URL+"/return")
	dir := t.TempDir()
	page := b.srv.URL + "/pay/" + p.ID + "?lang=en"

	// The phone-width view first, then the desktop.
	step(t, ctx, "open on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("card_no")))
	screenshot(t, ctx, dir, "cashier-phone.png")
	step(t, ctx, "open on a desktop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("card_no")))
	if got := text(t, ctx, "#amount"); !strings.Contains(got, "¥12,800.00") {
		t.Fatalf("amount %q", got)
	}
	if got := text(t, ctx, "#countdown"); !strings.Contains(got, ":") || got == "--:--" {
		t.Fatalf("countdown %q: the script did not run", got)
	}

	// Typing a CMB number selects CMB; an ICBC number selects ICBC.
	step(t, ctx, "type a cmb card", chromedp.SendKeys(chromedp.ID("card_no"), "621483"),
		chromedp.WaitVisible(chromedp.ID("bank-detected")))
	if checked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=bank]:checked").value`)); err != nil || checked != "cmb" {
		t.Fatalf("bank after typing 621483: %q %v", checked, err)
	}
	step(t, ctx, "type a declined card", chromedp.SetValue(chromedp.ID("card_no"), ""),
		chromedp.SendKeys(chromedp.ID("card_no"), cardNoFunds), chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.SendKeys(chromedp.ID("email"), "payer@example.com"))
	if checked, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=bank]:checked").value`)); checked != "icbc" {
		t.Fatalf("bank after typing an icbc card: %q", checked)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("card_no"))); v != "6222 0200 0000 0000 026" {
		t.Fatalf("card number shown as %q", v)
	}
	screenshot(t, ctx, dir, "cashier-filled.png")
	step(t, ctx, "pay with card 026", chromedp.Click(chromedp.ID("pay-button")), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := text(t, ctx, "#notice"); !strings.Contains(got, "Insufficient funds.") || !strings.Contains(got, "Bank response code 51") {
		t.Fatalf("decline notice %q", got)
	}
	screenshot(t, ctx, dir, "cashier-declined.png")
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("pin"))); v != "" {
		t.Fatal("the PIN field kept a value after the decline")
	}

	step(t, ctx, "retry with card 018", chromedp.SendKeys(chromedp.ID("card_no"), cardOK), chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.Click(chromedp.ID("pay-button")), chromedp.WaitVisible(chromedp.ID("success")))
	if got := text(t, ctx, "#success"); !strings.Contains(got, "Payment successful") || !strings.Contains(got, "622202*********0018") {
		t.Fatalf("success page %q", got)
	}
	screenshot(t, ctx, dir, "cashier-success.png")
	browsertest.ReturnToShop(t, ctx, "#shop")
	if got := text(t, ctx, "#order"); got != p.ID+" succeeded" {
		t.Fatalf("shop page shows %q", got)
	}
	// The page the user asked for: the cashier form on a desktop.
	step(t, ctx, "open another payment", chromedp.Navigate(b.srv.URL+"/pay/"+b.create(t, "order-20240518-0043", 12_800_00, shop.URL+"/return").ID+"?lang=en"),
		chromedp.WaitVisible(chromedp.ID("card_no")))
	screenshot(t, ctx, dir, "cashier.png")
}
