package portal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/staff"
	"paygate/internal/web/browsertest"
)

var (
	step       = browsertest.Step
	text       = browsertest.Text
	screenshot = browsertest.Screenshot
)

// The cards of the sheet's payments, one bank each, and their banks'
// clearing accounts in the ledger.
var sheetCards = []struct{ pan, pin, clearing string }{
	{"6222020000000000018", "123456", "bank:icbc:clearing:CNY"},
	{"6214830000000000015", "888888", "bank:cmb:clearing:CNY"},
}

// sheetLine is one line of the refund sheet the browser uploads.
type sheetLine struct {
	order, amount string
	problem       string // what the report must say; "" for a good line
}

// TestBrowserRefundSheet1000 is the must-show of issue 6 (MISSION K8), in
// headless Chromium, in Chinese: a 1,000-line refund sheet (XLSX) with
// 993 good lines over the merchant's succeeded card payments and 7 bad
// ones — an unknown order, more than is left to refund, a payment older
// than 90 days, the same line twice, a malformed amount ("12.3.4"), a
// negative amount, another merchant's order. Finance uploads it: exactly
// those 7 are reported, each with its reason, and nothing moves (no
// refund, card balances and ledger unchanged). On confirmation the status
// page follows the refunds live until the 993 succeeded; then the cards'
// balances at the bank simulator rose by the refunded total, each bank's
// clearing account in the ledger moved by the same amount, and the ledger
// check is clean.
func TestBrowserRefundSheet1000(t *testing.T) {
	t.Parallel()
	browsertest.ChromiumPath(t)
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newTestBundle(t, d)
		mch := b.env.Merchant.ID

		// 993 good payments, alternately on the two cards, and three more
		// for the bad lines; one of merchant B.
		const good = 993
		pays := make([]payment.Payment, good)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range good {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				c := sheetCards[i%2]
				pays[i] = b.paidCard(t, mch, fmt.Sprintf("ORD-%05d", i+1), 50_00+int64(i), c.pan, c.pin)
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		b.paidCard(t, mch, "ORD-OVER", 10_00, sheetCards[0].pan, sheetCards[0].pin)
		old := b.paidCard(t, mch, "ORD-OLD", 10_00, sheetCards[0].pan, sheetCards[0].pin)
		b.paidCard(t, b.other.ID, "B-ORDER-1", 10_00, sheetCards[1].pan, sheetCards[1].pin)
		if _, err := d.ExecRaw(ctx, `UPDATE payments SET paid_at = ? WHERE id = ?`, old.PaidAt.AddDate(0, 0, -91), old.ID); err != nil {
			t.Fatal(err)
		}

		// The sheet: the good lines refund 10.00–14.99 each; the bad ones
		// are spread through it.
		var lines []sheetLine
		total := [2]int64{}
		for i := range good {
			minor := 10_00 + int64(i%500)
			total[i%2] += minor
			lines = append(lines, sheetLine{order: pays[i].MerchantOrderNo, amount: money.New(minor, money.CNY).String()})
		}
		bad := []struct {
			at   int // index in the sheet
			line sheetLine
		}{
			{40, sheetLine{"NO-SUCH-ORDER", "1.00", "order_not_found"}},
			{180, sheetLine{"ORD-OVER", "10.01", "amount_exceeds_refundable"}},
			{333, sheetLine{"ORD-OLD", "1.00", "refund_window_passed"}},
			{500, sheetLine{lines[123].order, lines[123].amount, "duplicate_line"}},
			{650, sheetLine{"ORD-00321", "12.3.4", "amount_malformed"}},
			{800, sheetLine{"ORD-00456", "-5.00", "amount_not_positive"}},
			{999, sheetLine{"B-ORDER-1", "1.00", "order_not_found"}},
		}
		for _, x := range bad {
			lines = slices.Insert(lines, x.at, x.line)
		}
		if len(lines) != 1000 {
			t.Fatalf("%d lines", len(lines))
		}
		wantBad := map[string]string{} // sheet line number → problem
		for i, l := range lines {
			if l.problem != "" {
				wantBad[strconv.Itoa(i+2)] = l.problem // the header is line 1
			}
		}
		sheet := filepath.Join(t.TempDir(), "退款 refunds.xlsx")
		writeSheet(t, sheet, lines)

		cardsBefore, clearingBefore := b.balances(t)
		b.newStaff(t, mch, "finance@teashop.test", staff.Finance)
		dir := t.TempDir()

		bctx := browsertest.New(t, "zh-CN")
		step(t, bctx, "open the portal", chromedp.Navigate(b.srv.URL+"/portal/payments?lang=zh"), chromedp.WaitVisible(chromedp.ID("login-button")))
		step(t, bctx, "log in as finance", chromedp.SendKeys(chromedp.ID("email"), "finance@teashop.test"),
			chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("login-button")),
			chromedp.WaitVisible(chromedp.ID("payments")))
		if got := text(t, bctx, "#role"); got != "财务" {
			t.Fatalf("role shown as %q", got)
		}
		step(t, bctx, "open the refund sheets", chromedp.Click(chromedp.ID("nav-refunds")), chromedp.WaitVisible(chromedp.ID("upload-form")))
		screenshot(t, bctx, dir, "portal-refund-sheets.png")
		stepWithin(t, bctx, time.Minute, "upload the sheet", chromedp.SetUploadFiles(chromedp.ID("sheet"), []string{sheet}),
			chromedp.Click(chromedp.ID("upload-button")), chromedp.WaitVisible(chromedp.ID("bad-lines")))

		// Exactly the 7 bad lines, each with its reason.
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("#bad-lines tbody tr")).map(
			tr => [tr.dataset.line, tr.dataset.problem, tr.querySelector(".problem").textContent.trim()])`))
		if err != nil {
			t.Fatal(err)
		}
		gotBad := map[string]string{}
		for _, row := range got {
			gotBad[row[0]] = row[1]
			if row[2] == "" || row[2] == "problem_"+row[1] {
				t.Errorf("line %s (%s) shows no reason: %q", row[0], row[1], row[2])
			}
		}
		if fmt.Sprint(gotBad) != fmt.Sprint(wantBad) {
			t.Fatalf("bad lines reported %v, want %v", gotBad, wantBad)
		}
		if g, n := text(t, bctx, "#count-good"), text(t, bctx, "#count-bad"); g != "993" || n != "7" {
			t.Fatalf("counts: good %s, bad %s", g, n)
		}
		screenshot(t, bctx, dir, "portal-refund-report.png")

		// Nothing moved.
		var refunds int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM refunds`).Scan(&refunds); err != nil || refunds != 0 {
			t.Fatalf("%d refunds after validation (%v)", refunds, err)
		}
		if cards, clearing := b.balances(t); cards != cardsBefore || clearing != clearingBefore {
			t.Fatalf("validation moved money: cards %v → %v, clearing %v → %v", cardsBefore, cards, clearingBefore, clearing)
		}

		// Confirm, and follow the status page until the sheet is done.
		// The payment service runs on a fake clock: a refund whose bank
		// answer came too late (a loaded machine) is reversed and falls
		// due again only as that clock moves, so keep it moving.
		defer b.keepClockMoving()()
		step(t, bctx, "confirm", chromedp.Click(chromedp.ID("confirm-button")))
		waitFor(t, bctx, 2*time.Minute, "the status page", `document.getElementById("live-note") !== null || document.getElementById("done-note") !== null`)
		// The page may be reloading itself (it does once the sheet is done),
		// so this glimpse of the live counts is only logged.
		gctx, cancel := context.WithTimeout(bctx, 5*time.Second)
		glimpse, err := chromedp.Run(gctx, chromedp.Evaluate[string](`["count-succeeded", "count-in-flight"].map(
			id => (document.getElementById(id) || {}).textContent).join(" succeeded, ") + " in progress"`))
		cancel()
		t.Logf("status page after confirming: %s (%v)", glimpse, err)
		tryScreenshot(t, bctx, dir, "portal-refund-live.png") // the page may be reloading itself
		// Done, with every good line succeeded (read in one evaluation, as
		// the page reloads itself once when the sheet is done).
		waitFor(t, bctx, 3*time.Minute, "the sheet to be done with 993 succeeded and 0 failed",
			`document.getElementById("done-note") !== null && document.readyState === "complete" &&
			 document.getElementById("count-succeeded").textContent === "993" &&
			 document.getElementById("count-failed").textContent === "0"`)
		statuses, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]int](`Array.from(document.querySelectorAll("#lines .line-status")).reduce(
			(m, el) => { m[el.textContent] = (m[el.textContent] || 0) + 1; return m }, {})`))
		if err != nil || statuses["退款成功"] != 993 || statuses["有误"] != 7 {
			t.Fatalf("line statuses %v, %v", statuses, err)
		}
		screenshot(t, bctx, dir, "portal-refund-done.png")

		// The money went back to the cards, and the books agree.
		cards, clearing := b.balances(t)
		for i := range sheetCards {
			if cards[i]-cardsBefore[i] != total[i] {
				t.Errorf("card %s rose by %d, want %d", sheetCards[i].pan, cards[i]-cardsBefore[i], total[i])
			}
			if clearing[i]-clearingBefore[i] != total[i] {
				t.Errorf("%s moved by %d, want %d", sheetCards[i].clearing, clearing[i]-clearingBefore[i], total[i])
			}
		}
		var n, sum int64
		if err := d.QueryRow(ctx, `SELECT count(*), coalesce(sum(amount_minor), 0) FROM refunds WHERE status = 'succeeded'`).Scan(&n, &sum); err != nil ||
			n != good || sum != total[0]+total[1] {
			t.Fatalf("succeeded refunds: %d of %d minor, want %d of %d (%v)", n, sum, good, total[0]+total[1], err)
		}
		report, err := b.env.Ledger.Check(ctx)
		if err != nil || !report.OK() {
			t.Fatalf("ledger check: %+v, %v", report, err)
		}
	})
}

// paidCard makes a succeeded payment of merchantID paid with a card.
func (b *testBundle) paidCard(t *testing.T, merchantID, orderNo string, amount int64, pan, pin string) payment.Payment {
	t.Helper()
	ctx := context.Background()
	p := b.created(t, merchantID, orderNo, amount)
	r, err := b.env.Service.PayByCard(ctx, p.ID, channel.Card{PAN: pan, PIN: pin})
	if err != nil || r.Payment.Status != payment.Succeeded {
		t.Fatalf("paying %s: %+v, %v", orderNo, r.Payment, err)
	}
	return r.Payment
}

// balances are the sheet cards' balances at the simulated banks and
// their banks' clearing accounts in the ledger, in minor units.
func (b *testBundle) balances(t *testing.T) (cards, clearing [2]int64) {
	t.Helper()
	for i, c := range sheetCards {
		cards[i] = b.env.BankBalance(t, c.pan)
		a, err := b.env.Ledger.Balance(context.Background(), c.clearing)
		if err != nil {
			t.Fatal(err)
		}
		clearing[i] = a.Minor()
	}
	return cards, clearing
}

// writeSheet writes lines as a refund sheet in XLSX, every cell text.
func writeSheet(t *testing.T, path string, lines []sheetLine) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const name = "Sheet1"
	header := []any{"商户订单号 merchant_order_no", "退款金额 refund_amount", "退款单号 merchant_refund_no", "退款原因 reason"}
	if err := f.SetSheetRow(name, "A1", &header); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		for c, v := range []string{l.order, l.amount, "", "顾客退货"} {
			cell, _ := excelize.CoordinatesToCellName(c+1, i+2)
			if err := f.SetCellStr(name, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// stepWithin is browsertest.Step with a longer timeout.
func stepWithin(t *testing.T, ctx context.Context, within time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor evaluates a JavaScript condition every half second until it
// holds, across the page reloading itself.
func waitFor(t *testing.T, ctx context.Context, within time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// tryScreenshot is screenshot for a page that may be navigating: a
// failure is only logged.
func tryScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// TestBrowserSearchAndRefund drives the everyday pages in headless
// Chromium, in English: log in as admin, filter the payments by order
// number, open one, refund part of it from its page (the card gets the
// money back), then read the page in Chinese.
func TestBrowserSearchAndRefund(t *testing.T) {
	t.Parallel()
	bctx := browsertest.New(t, "en-US")
	b := newTestBundle(t, dbtest.NewSQLite(t))
	b.paidMany(t, b.env.Merchant.ID, "TEA", 5, func(i int) int64 { return int64(i+1) * 10_00 })
	b.newStaff(t, b.env.Merchant.ID, "admin@teashop.test", staff.Admin)
	dir := t.TempDir()
	balance := b.env.BankBalance(t, cardOK)

	step(t, bctx, "log in", chromedp.Navigate(b.srv.URL+"/portal/?lang=en"), chromedp.WaitVisible(chromedp.ID("login-button")),
		chromedp.SendKeys(chromedp.ID("email"), "admin@teashop.test"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")), chromedp.WaitVisible(chromedp.ID("payments")))
	step(t, bctx, "filter by order number", chromedp.SendKeys(chromedp.ID("f-order-no"), "TEA-00003"),
		chromedp.Click(chromedp.ID("search-button")))
	// The old page is still there until the filtered one replaces it: wait
	// for the filtered one, then count.
	waitFor(t, bctx, 20*time.Second, "the filtered page", `location.search.includes("TEA-00003") && document.querySelector("#payments a.order-link") !== null`)
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#payments tbody tr").length`))
	if err != nil || rows != 1 {
		t.Fatalf("%d rows (%v)", rows, err)
	}
	screenshot(t, bctx, dir, "portal-search.png")
	step(t, bctx, "open the payment", chromedp.Click(`#payments a.order-link`), chromedp.WaitVisible(chromedp.ID("refund-form")))
	if got := text(t, bctx, "#left"); got != "¥30.00" {
		t.Fatalf("left to refund %q", got)
	}
	step(t, bctx, "refund 5.00", chromedp.SetValue(chromedp.ID("refund-amount"), "5.00"),
		chromedp.SendKeys(chromedp.ID("refund-reason"), "broken cup"), chromedp.Click(chromedp.ID("refund-button")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if got := text(t, bctx, "#refunded"); got != "¥5.00" {
		t.Fatalf("refunded %q", got)
	}
	if got := text(t, bctx, "#refund-list"); !strings.Contains(got, "broken cup") || !strings.Contains(got, "Succeeded") {
		t.Fatalf("refunds %q", got)
	}
	if got := b.env.BankBalance(t, cardOK); got != balance+5_00 {
		t.Fatalf("card balance %d, want +500", got)
	}
	screenshot(t, bctx, dir, "portal-payment-en.png")
	step(t, bctx, "switch to Chinese", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("refund-list")))
	if got := text(t, bctx, "#refund-list"); !strings.Contains(got, "退款成功") {
		t.Fatalf("refunds in Chinese %q", got)
	}
}
