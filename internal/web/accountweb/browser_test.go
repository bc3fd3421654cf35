package accountweb_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paygate/internal/account"
	"paygate/internal/db/dbtest"
	"paygate/internal/web/browsertest"
)

var (
	step       = browsertest.Step
	text       = browsertest.Text
	screenshot = browsertest.Screenshot
)

// TestBrowserRegisterActivateLogin drives the pages in headless Chromium
// in Chinese: register (the company field appears only for an
// enterprise), open the mailed activation link and press its button, log
// in, see the balance in Chinese, switch to English, open the statement.
func TestBrowserRegisterActivateLogin(t *testing.T) {
	t.Parallel()
	ctx := browsertest.New(t, "zh-CN")
	b := newTestBundle(t, dbtest.NewSQLite(t))
	dir := t.TempDir()
	const email = "wen@example.com"

	step(t, ctx, "open the registration page", chromedp.Navigate(b.srv.URL+"/account/register?lang=zh"),
		chromedp.WaitVisible(chromedp.ID("register-button")))
	if got := text(t, ctx, "h1"); got != "注册账户" {
		t.Fatalf("registration page title %q", got)
	}
	step(t, ctx, "choose enterprise", chromedp.Click(chromedp.ID("kind-enterprise")), chromedp.WaitVisible(chromedp.ID("company")))
	step(t, ctx, "choose personal", chromedp.Click(chromedp.ID("kind-personal")), chromedp.WaitNotVisible(chromedp.ID("company")))
	step(t, ctx, "register", chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password))
	screenshot(t, ctx, dir, "account-register.png")
	step(t, ctx, "submit", chromedp.Click(chromedp.ID("register-button")), chromedp.WaitVisible(chromedp.ID("message")))
	if got := text(t, ctx, "#message"); !strings.Contains(got, "请查收激活邮件") || !strings.Contains(got, email) {
		t.Fatalf("after registering: %q", got)
	}

	step(t, ctx, "open the activation link", chromedp.Navigate(b.srv.URL+b.link(t, email, account.MailActivation)+"&lang=zh"),
		chromedp.WaitVisible(chromedp.ID("activate-button")))
	step(t, ctx, "activate", chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("activate-button")), chromedp.WaitVisible(chromedp.ID("message-link")))
	if got := text(t, ctx, "#message"); !strings.Contains(got, "账户已激活") {
		t.Fatalf("after activating: %q", got)
	}
	b.fund(t, b.accountID(t, email), 88_00)

	step(t, ctx, "go to log-in", chromedp.Click(chromedp.ID("message-link")), chromedp.WaitVisible(chromedp.ID("login-button")))
	step(t, ctx, "log in", chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")), chromedp.WaitVisible(chromedp.ID("balance")))
	if got := text(t, ctx, "#balance"); got != "¥88.00" {
		t.Fatalf("balance %q", got)
	}
	if got := text(t, ctx, ".balance-card"); !strings.Contains(got, "可用余额") {
		t.Fatalf("balance card in Chinese: %q", got)
	}
	screenshot(t, ctx, dir, "account-home-zh.png")

	step(t, ctx, "switch to English", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("balance")))
	if got := text(t, ctx, ".balance-card"); !strings.Contains(got, "Available balance") || !strings.Contains(got, "¥88.00") {
		t.Fatalf("balance card in English: %q", got)
	}
	if got := text(t, ctx, "#lines"); !strings.Contains(got, "+¥88.00") {
		t.Fatalf("history: %q", got)
	}
	screenshot(t, ctx, dir, "account-home-en.png")

	step(t, ctx, "open the statement", chromedp.Click(chromedp.ID("nav-statement")), chromedp.WaitVisible(chromedp.ID("totals")))
	if got := text(t, ctx, "#st-closing"); got != "¥88.00" {
		t.Fatalf("closing balance %q", got)
	}
	screenshot(t, ctx, dir, "account-statement.png")
}
