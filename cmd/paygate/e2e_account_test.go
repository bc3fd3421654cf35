package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paygate/internal/db"
	"paygate/internal/ledger"
	"paygate/internal/mail/mailtest"
	"paygate/internal/web/browsertest"
)

var activationLink = regexp.MustCompile(`https?://\S+/account/activate\?token=[A-Za-z0-9_\-]+`)

// TestRegisterTopUpPayFromBalance is issue 5's flow in a real browser
// against `paygate demo` with a real SMTP server: register → the
// activation email arrives over SMTP → activate (with the password) → log in → top up 1,000.00
// from card 018 over ISO 8583 → buy at the shop and pay from the balance
// on the cashier → the shop shows the order paid from a verified
// notification; the bank simulator, the ledger and the account page agree,
// and the books check clean.
func TestRegisterTopUpPayFromBalance(t *testing.T) {
	t.Parallel()
	sink := mailtest.NewSink(t, nil)
	urls, dir := startDemo(t, "PAYGATE_SMTP_HOST=127.0.0.1", fmt.Sprintf("PAYGATE_SMTP_PORT=%d", sink.Addr.Port), "PAYGATE_SMTP_TLS=none")
	gw := urls["gateway"]
	const (
		email    = "wang.fang@example.com"
		password = "Tea-time 2026"
		card     = "6222020000000000018"
	)
	bankBefore := simBalance(t, dir, card)

	ctx := browsertest.New(t, "en-US")
	browsertest.Step(t, ctx, "register", chromedp.Navigate(gw+"/account/register?lang=en"), chromedp.WaitVisible(chromedp.ID("register-button")),
		chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("register-button")), chromedp.WaitVisible(chromedp.ID("message")))

	var link string
	for n := 1; link == "" && n <= 5; n++ { // the demo payer's own activation email goes out too
		for _, m := range sink.WaitMessages(t, n) {
			if strings.Contains(m.To, email) {
				if link = activationLink.FindString(m.Text); link == "" {
					t.Fatalf("no activation link in the email:\n%s", m.Text)
				}
			}
		}
	}
	if link == "" {
		t.Fatalf("no email to %s among %d", email, len(sink.Messages()))
	}
	browsertest.Step(t, ctx, "open the activation link", chromedp.Navigate(link+"&lang=en"), chromedp.WaitVisible(chromedp.ID("activate-button")),
		chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("activate-button")), chromedp.WaitVisible(chromedp.ID("message-link")))
	browsertest.Step(t, ctx, "log in", chromedp.Click(chromedp.ID("message-link")), chromedp.WaitVisible(chromedp.ID("login-button")),
		chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")), chromedp.WaitVisible(chromedp.ID("balance")))
	browsertest.Step(t, ctx, "top up 1,000.00 from card 018", chromedp.Click(chromedp.ID("nav-topup")), chromedp.WaitVisible(chromedp.ID("topup-button")),
		chromedp.SendKeys(chromedp.ID("card_no"), card), chromedp.SendKeys(chromedp.ID("pin"), "123456"),
		chromedp.SendKeys(chromedp.ID("amount"), "1000.00"), chromedp.Click(chromedp.ID("topup-button")), chromedp.WaitVisible(chromedp.ID("balance")))
	if got := browsertest.Text(t, ctx, "#balance"); got != "¥1,000.00" {
		t.Fatalf("balance after the top-up %q", got)
	}

	browsertest.Step(t, ctx, "buy at the shop", chromedp.Navigate(urls["shop"]+"/"), chromedp.WaitVisible(chromedp.ID("buy-tea")),
		chromedp.Click(chromedp.ID("buy-tea")), chromedp.WaitVisible(chromedp.ID("tab-account")))
	browsertest.Step(t, ctx, "choose the account balance", chromedp.Click(chromedp.ID("tab-account")), chromedp.WaitVisible(chromedp.ID("account-pay-button")))
	browsertest.Step(t, ctx, "pay from the balance", chromedp.SendKeys(chromedp.ID("account_email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("account-pay-button")), chromedp.WaitVisible(chromedp.ID("success")))
	browsertest.ReturnToShop(t, ctx, "#order-status.paid")
	if body := browsertest.Text(t, ctx, "main"); !strings.Contains(body, "signed notification evt_") {
		t.Fatalf("the order page does not name the notification:\n%s", body)
	}

	// The bank moved 1,000.00 once; the ledger holds it as the bank's debt
	// to us, and the balance is 1,000.00 less the tea.
	if got := simBalance(t, dir, card); got != bankBefore-1_000_00 {
		t.Fatalf("card balance at the bank %d, want %d", got, bankBefore-1_000_00)
	}
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "paygate.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var acct string
	if err := d.QueryRow(context.Background(), `SELECT id FROM accounts WHERE email = ?`, email).Scan(&acct); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(d, nil)
	clearing, err := l.Balance(context.Background(), "bank:icbc:clearing:CNY")
	if err != nil || clearing.Minor() != -1_000_00 {
		t.Fatalf("icbc clearing %v %v, want -1000.00 (due from the bank)", clearing, err)
	}
	wallet, err := l.Balance(context.Background(), "wallet:"+acct+":CNY")
	if err != nil || wallet.Minor() != 1_000_00-168_00 {
		t.Fatalf("wallet %v %v, want 832.00", wallet, err)
	}
	browsertest.Step(t, ctx, "see the balance", chromedp.Navigate(gw+"/account/?lang=en"), chromedp.WaitVisible(chromedp.ID("balance")))
	if got := browsertest.Text(t, ctx, "#balance"); got != "¥832.00" {
		t.Fatalf("balance on the account page %q", got)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"ledger", "check", "--data-dir", dir}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("ledger check: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
}

// simBalance reads a card's CNY balance from the demo bank simulator's
// database (the bank's side of the books).
func simBalance(t *testing.T, dir, pan string) int64 {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "bank", "banksim.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var v int64
	if err := sdb.QueryRow(`SELECT balance_minor FROM sim_balances WHERE pan = ? AND currency = 'CNY'`, pan).Scan(&v); err != nil {
		t.Fatalf("bank balance of %s: %v", pan, err)
	}
	return v
}
