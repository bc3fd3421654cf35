package accountweb_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/ledger"
	"paygate/internal/mail"
	"paygate/internal/money"
	"paygate/internal/wallet"
	"paygate/internal/web/webtest"
)

// TestSendToUnregisteredCreatesClaim: money sent to an address with no
// account leaves the balance into a claim and invites the address; when
// it signs up and activates, the money is its balance.
func TestSendToUnregisteredCreatesClaim(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, id := b.newMember(t, "hal@example.com", 100_00)
		res := u.submit(t, "/account/send?lang=en", "/account/send?lang=en",
			url.Values{"to": {"Newbie@Example.com"}, "amount": {"30.50"}, "note": {"lunch 午饭"}})
		wantStatus(t, "send", res, http.StatusSeeOther)
		home := u.get(t, res.Location)
		webtest.MustContain(t, "home after send", home.Body, "You sent ¥30.50 to newbie@example.com. The address has no account yet",
			`id="balance">¥69.50<`, `id="claims"`, "newbie@example.com", "lunch 午饭", "Sent")
		if got := b.balance(t, id); got != 69_50 {
			t.Fatalf("balance %d", got)
		}
		claims, err := b.wallet.Claims(context.Background(), id)
		if err != nil || len(claims) != 1 || claims[0].State != "held" || claims[0].ToEmail != "newbie@example.com" {
			t.Fatalf("claims %+v %v", claims, err)
		}
		if mails, err := b.outbox.List(context.Background(), mail.ListParams{To: "newbie@example.com"}); err != nil || len(mails) != 1 || mails[0].Kind != "claim_invitation" {
			t.Fatalf("invitation: %+v %v", mails, err)
		}

		newbie := b.newUser(t)
		newID := b.register(t, newbie, "newbie@example.com")
		if got := b.balance(t, newID); got != 30_50 {
			t.Fatalf("newbie's balance after activation %d", got)
		}
		wantStatus(t, "newbie logs in", newbie.login(t, "newbie@example.com", password), http.StatusSeeOther)
		webtest.MustContain(t, "newbie's home", newbie.get(t, "/account/?lang=en").Body, `id="balance">¥30.50<`, "Claimed")
		webtest.MustNotContain(t, "sender's home", u.get(t, "/account/?lang=en").Body, `id="claims"`)
	})
}

// TestSendToActiveLandsAtOnce: money sent to an active account is in its
// balance at once.
func TestSendToActiveLandsAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		ivy, ivyID := b.newMember(t, "ivy@example.com", 1_000_00)
		jon, jonID := b.newMember(t, "jon@example.com", 0)
		res := ivy.submit(t, "/account/send?lang=zh", "/account/send?lang=zh",
			url.Values{"to": {"jon@example.com"}, "amount": {"1,000.00"}})
		wantStatus(t, "send", res, http.StatusSeeOther)
		webtest.MustContain(t, "home after send", ivy.get(t, res.Location).Body, "已向 jon@example.com 付款 ¥1,000.00，款项已到账。", `id="balance">¥0.00<`)
		if a, j := b.balance(t, ivyID), b.balance(t, jonID); a != 0 || j != 1_000_00 {
			t.Fatalf("balances %d %d", a, j)
		}
		webtest.MustContain(t, "jon's home", jon.get(t, "/account/?lang=en").Body, `id="balance">¥1,000.00<`, "Received")
		if n := b.count(t, "wallet_claims"); n != 0 {
			t.Fatalf("%d claims", n)
		}
	})
}

// TestDoubleSubmitMovesMoneyOnce: the same send form posted twice, even
// at once, moves the money once; the form changed and posted again with
// its old key is refused and moves nothing.
func TestDoubleSubmitMovesMoneyOnce(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, id := b.newMember(t, "kim@example.com", 500_00)
		_, leoID := b.newMember(t, "leo@example.com", 0)
		form := webtest.Hidden(u.get(t, "/account/send?lang=en").Body)
		if form.Get("key") == "" {
			t.Fatal("the send form has no key")
		}
		form.Set("to", "leo@example.com")
		form.Set("amount", "100")
		entries := b.count(t, "ledger_entries")
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Go(func() { statuses[i] = u.post(t, "/account/send?lang=en", form).Status })
		}
		wg.Wait()
		for _, s := range statuses {
			if s != http.StatusSeeOther {
				t.Fatalf("statuses %v", statuses)
			}
		}
		if a, l := b.balance(t, id), b.balance(t, leoID); a != 400_00 || l != 100_00 {
			t.Fatalf("balances %d %d after a quadruple submit", a, l)
		}
		if n := b.count(t, "ledger_entries"); n != entries+1 {
			t.Fatalf("%d entries, want %d", n, entries+1)
		}
		// Same form to an address without an account: one claim.
		form = webtest.Hidden(u.get(t, "/account/send?lang=en").Body)
		form.Set("to", "mo@example.com")
		form.Set("amount", "50")
		wantStatus(t, "first", u.post(t, "/account/send?lang=en", form), http.StatusSeeOther)
		res := u.post(t, "/account/send?lang=en", form)
		wantStatus(t, "second", res, http.StatusSeeOther)
		webtest.MustContain(t, "second", u.get(t, res.Location).Body, "This transfer had already been made")
		if n := b.count(t, "wallet_claims"); n != 1 {
			t.Fatalf("%d claims", n)
		}
		before := b.snapshot(t)
		form.Set("amount", "60")
		res = u.post(t, "/account/send?lang=en", form)
		wantStatus(t, "changed form, same key", res, http.StatusConflict)
		webtest.MustContain(t, "changed form, same key", res.Body, "This form was already used for a different transfer")
		if b.snapshot(t) != before {
			t.Fatal("the refused send changed state")
		}
		if webtest.Hidden(res.Body).Get("key") == form.Get("key") {
			t.Fatal("the form kept the used key")
		}
		if got := b.balance(t, id); got != 350_00 {
			t.Fatalf("balance %d", got)
		}
	})
}

// TestDoubleSubmitCardFormsMoveMoneyOnce: the same top-up or withdrawal
// form posted twice, even at once, moves money once at the bank and in the
// balance; shown again for an input problem it keeps its key, and posted
// again changed with its used key it is refused and moves nothing.
func TestDoubleSubmitCardFormsMoveMoneyOnce(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, id := b.newMember(t, "pat@example.com", 0)
		tests := []struct {
			page, card, amount string
			pin                string // "": the withdrawal form has none
			balance, bank      int64  // what one request moves
		}{
			{page: "topup", card: cardOK, amount: "100", pin: goodPIN, balance: 100_00, bank: -100_00},
			{page: "withdraw", card: cardOK, amount: "40", balance: -40_00, bank: 40_00},
		}
		for _, tt := range tests {
			path := "/account/" + tt.page + "?lang=en"
			form := webtest.Hidden(u.get(t, path).Body)
			key := form.Get("key")
			if key == "" {
				t.Fatalf("the %s form has no key", tt.page)
			}
			form.Set("card_no", tt.card)
			if tt.pin != "" {
				form.Set("pin", tt.pin)
			}

			form.Set("amount", "lots")
			res := u.post(t, path, form)
			wantStatus(t, tt.page+" bad amount", res, http.StatusBadRequest)
			if got := webtest.Hidden(res.Body).Get("key"); got != key {
				t.Fatalf("%s: the form shown again for a bad amount has key %q, want %q", tt.page, got, key)
			}

			form.Set("amount", tt.amount)
			balBefore, bankBefore := b.balance(t, id), b.env.BankBalance(t, tt.card)
			var wg sync.WaitGroup
			results := make([]webtest.Response, 4)
			for i := range results {
				wg.Go(func() { results[i] = u.post(t, path, form) })
			}
			wg.Wait()
			// Each sees the request done, or still with the bank.
			done := 0
			for _, res := range results {
				switch res.Status {
				case http.StatusSeeOther:
					done++
				case http.StatusOK:
					webtest.MustContain(t, tt.page+" in flight", res.Body, "This form was already submitted and the bank is still processing it.")
				default:
					t.Fatalf("%s: status %d\n%s", tt.page, res.Status, webtest.Excerpt(res.Body))
				}
			}
			if done == 0 {
				t.Fatalf("%s: no post saw it done", tt.page)
			}
			res = u.post(t, path, form)
			wantStatus(t, tt.page+" once more", res, http.StatusSeeOther)
			if got := b.balance(t, id) - balBefore; got != tt.balance {
				t.Fatalf("%s: the balance moved %d, want %d", tt.page, got, tt.balance)
			}
			if got := b.env.BankBalance(t, tt.card) - bankBefore; got != tt.bank {
				t.Fatalf("%s: the card moved %d at the bank, want %d", tt.page, got, tt.bank)
			}

			before := b.snapshot(t)
			form.Set("amount", "1")
			res = u.post(t, path, form)
			wantStatus(t, tt.page+": changed form, same key", res, http.StatusUnprocessableEntity)
			webtest.MustContain(t, tt.page+": changed form, same key", res.Body, "This form was already used for a different top-up or withdrawal")
			if b.snapshot(t) != before {
				t.Fatalf("%s: the refused request changed state", tt.page)
			}
			if got := webtest.Hidden(res.Body).Get("key"); got == key || got == "" {
				t.Fatalf("%s: the form shown again has key %q, want a new one", tt.page, got)
			}
		}
		if n, m := b.count(t, "wallet_topups"), b.count(t, "wallet_withdrawals"); n != 1 || m != 1 {
			t.Fatalf("%d top-ups and %d withdrawals, want one each", n, m)
		}
	})
}

// TestSendProblems: bad input is shown on the form, with what was typed,
// and moves nothing.
func TestSendProblems(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, _ := b.newMember(t, "nia@example.com", 10_00)
		tests := []struct {
			name, to, amount, note string
			status                 int
			want                   string
		}{
			{"BadEmail", "nia at example", "1", "", http.StatusBadRequest, "Enter a valid email address"},
			{"DisplayName", "Nia <x@example.com>", "1", "", http.StatusBadRequest, "Enter a valid email address"},
			{"Letters", "x@example.com", "ten", "", http.StatusBadRequest, "Enter an amount like 100 or 1,000.50."},
			{"Zero", "x@example.com", "0.00", "", http.StatusBadRequest, "The amount must be more than zero."},
			{"Negative", "x@example.com", "-5", "", http.StatusBadRequest, "Enter an amount like"},
			{"ThreeDecimals", "x@example.com", "1.005", "", http.StatusBadRequest, "Enter an amount like"},
			{"BadGrouping", "x@example.com", "1,00", "", http.StatusBadRequest, "Enter an amount like"},
			{"Float", "x@example.com", "1e3", "", http.StatusBadRequest, "Enter an amount like"},
			{"Huge", "x@example.com", "99999999999", "", http.StatusBadRequest, "The amount can be at most ¥999,999,999.00."},
			{"LongNote", "x@example.com", "1", strings.Repeat("长", 201), http.StatusBadRequest, "The note can be at most 200 characters."},
			{"Self", "nia@example.com", "1", "", http.StatusBadRequest, "You cannot send money to your own account."},
			{"TooMuch", "x@example.com", "10.01", "", http.StatusUnprocessableEntity, "Your balance is not enough for this."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := b.snapshot(t)
				res := u.submit(t, "/account/send?lang=en", "/account/send?lang=en", url.Values{"to": {tt.to}, "amount": {tt.amount}, "note": {tt.note}})
				wantStatus(t, tt.name, res, tt.status)
				webtest.MustContain(t, tt.name, res.Body, tt.want, `id="problem"`)
				if tt.name != "LongNote" {
					webtest.MustContain(t, tt.name, res.Body, `value="`+tt.amount+`"`)
				}
				if b.snapshot(t) != before {
					t.Fatal("a refused send changed state")
				}
			})
		}
	})
}

// TestTopUpAndWithdraw tops up from the simulator's approving card, is
// declined by the one without funds (the PIN never comes back or reaches
// the log), withdraws to a card, and checks the statement CSV against the
// ledger line by line and in total.
func TestTopUpAndWithdraw(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, id := b.newMember(t, "ola@example.com", 0)

		res := u.submit(t, "/account/topup?lang=en", "/account/topup?lang=en",
			url.Values{"card_no": {"6222 0200 0000 0000 018"}, "pin": {goodPIN}, "amount": {"1,234.56"}})
		wantStatus(t, "top-up", res, http.StatusSeeOther)
		webtest.MustContain(t, "home after top-up", u.get(t, res.Location).Body, "¥1,234.56 added from card 622202*********0018", `id="balance">¥1,234.56<`, "Top-up")

		before := b.snapshot(t)
		res = u.submit(t, "/account/topup?lang=zh", "/account/topup?lang=zh",
			url.Values{"card_no": {cardNoFunds}, "pin": {goodPIN}, "amount": {"50"}})
		wantStatus(t, "declined top-up", res, http.StatusOK)
		webtest.MustContain(t, "declined top-up", res.Body, "银行未批准", "余额不足", "银行返回码 51")
		webtest.MustNotContain(t, "declined top-up", res.Body, goodPIN, cardNoFunds)
		if got := b.balance(t, id); got != 1_234_56 {
			t.Fatalf("balance after the decline %d", got)
		}
		if after := b.snapshot(t); strings.Count(after, "declined") != 1 {
			t.Fatalf("want one declined top-up recorded:\n%s\nvs\n%s", before, after)
		}
		res = u.submit(t, "/account/topup?lang=en", "/account/topup?lang=en",
			url.Values{"card_no": {cardOK}, "pin": {"12"}, "amount": {"50"}})
		wantStatus(t, "short PIN", res, http.StatusBadRequest)
		webtest.MustContain(t, "short PIN", res.Body, "The card password must be 4–12 digits.", `value="`+cardOK+`"`)
		res = u.submit(t, "/account/topup?lang=en", "/account/topup?lang=en",
			url.Values{"card_no": {"6222020000000000019"}, "pin": {goodPIN}, "amount": {"50"}})
		wantStatus(t, "bad Luhn", res, http.StatusBadRequest)
		webtest.MustContain(t, "bad Luhn", res.Body, "That card number is not valid.")

		res = u.submit(t, "/account/withdraw?lang=en", "/account/withdraw?lang=en",
			url.Values{"card_no": {cardOK}, "amount": {"234.56"}})
		wantStatus(t, "withdraw", res, http.StatusSeeOther)
		webtest.MustContain(t, "home after withdrawal", u.get(t, res.Location).Body, "¥234.56 sent to card 622202*********0018", `id="balance">¥1,000.00<`, "Withdrawal")
		before = b.snapshot(t)
		res = u.submit(t, "/account/withdraw?lang=en", "/account/withdraw?lang=en",
			url.Values{"card_no": {cardOK}, "amount": {"1,000.01"}})
		wantStatus(t, "withdraw too much", res, http.StatusUnprocessableEntity)
		webtest.MustContain(t, "withdraw too much", res.Body, "Your balance is not enough for this.")
		if b.snapshot(t) != before {
			t.Fatal("a refused withdrawal changed state")
		}
		for _, secret := range []string{goodPIN, cardOK, cardNoFunds} {
			if strings.Contains(b.logs.String(), secret) {
				t.Fatalf("the log holds %q:\n%s", secret, b.logs.String())
			}
		}
		checkStatement(t, b, u, id)
	})
}

// checkStatement compares the CSV statement with the ledger: the same
// lines, oldest first, amounts as exact decimals, and the totals.
func checkStatement(t *testing.T, b *testBundle, u *user, id string) {
	t.Helper()
	res := u.get(t, "/account/statement.csv?lang=en")
	wantStatus(t, "statement.csv", res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="paygate-statement-all-all.csv"`) {
		t.Fatalf("content disposition %q", cd)
	}
	if !strings.HasPrefix(res.Body, "\xEF\xBB\xBF") {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\xEF\xBB\xBF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "Time,Description,Amount,Balance after" {
		t.Fatalf("header %q", recs[0])
	}
	page, err := b.ledger.History(context.Background(), wallet.Account(id, money.CNY), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	lines := page.Lines
	if len(recs)-1 != len(lines) {
		t.Fatalf("%d CSV lines, %d in the ledger", len(recs)-1, len(lines))
	}
	sum := money.Zero(money.CNY)
	for i, rec := range recs[1:] {
		ln := lines[len(lines)-1-i] // the CSV is oldest first
		if rec[1] != ln.Description || rec[2] != ln.Amount.String() || rec[3] != ln.BalanceAfter.String() {
			t.Errorf("CSV line %d %q, ledger %+v", i+1, rec, ln)
		}
		a, err := money.Parse(rec[2], money.CNY)
		if err != nil {
			t.Fatalf("amount %q: %v", rec[2], err)
		}
		if sum, err = sum.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	bal, err := b.wallet.Balance(context.Background(), id, money.CNY)
	if err != nil {
		t.Fatal(err)
	}
	if sum != bal || recs[len(recs)-1][3] != bal.String() {
		t.Fatalf("CSV total %s, last balance %s; the ledger says %s", sum, recs[len(recs)-1][3], bal)
	}

	// The printable statement says the same.
	res = u.get(t, "/account/statement?lang=en")
	wantStatus(t, "statement", res, http.StatusOK)
	webtest.MustContain(t, "statement", res.Body, "Account statement", `id="st-opening">¥0.00<`, `id="st-closing">`+formatCNY(bal)+`<`,
		`id="st-count">`+strconv.Itoa(len(lines))+`<`, "data-print")
}

// formatCNY writes a non-negative amount as the pages do: ¥1,234.50.
func formatCNY(a money.Amount) string {
	s := a.String()
	intPart, frac, _ := strings.Cut(s, ".")
	var out []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i])
	}
	return "¥" + string(out) + "." + frac
}

// TestHistoryFilters: the overview's history filters by date and
// direction and pages; the CSV follows the same filter; bad filters are
// shown, never a 500.
func TestHistoryFilters(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := newTestBundle(t, d)
		u, id := b.newMember(t, "pat@example.com", 1_000_00)
		b.newMember(t, "quinn@example.com", 0)
		for i := range 24 {
			res := u.submit(t, "/account/send?lang=en", "/account/send?lang=en",
				url.Values{"to": {"quinn@example.com"}, "amount": {"1." + string(rune('0'+i%10)) + "0"}, "note": {"n" + strconv.Itoa(i)}})
			wantStatus(t, "send", res, http.StatusSeeOther)
		}
		res := u.get(t, "/account/?lang=en")
		if n := strings.Count(res.Body, `<td class="num out">`); n != 20 {
			t.Fatalf("first page shows %d debits, want 20", n)
		}
		older := hrefOf(t, res.Body, "older")
		res = u.get(t, older)
		if n := strings.Count(res.Body, "<tr><td class=\"nowrap\">"); n != 5 { // 4 sends and the funding
			t.Fatalf("second page shows %d lines, want 5\n%s", n, webtest.Excerpt(res.Body))
		}
		webtest.MustContain(t, "second page", res.Body, `id="newest"`)
		webtest.MustNotContain(t, "second page", res.Body, `id="older"`)

		res = u.get(t, "/account/?lang=en&dir=in")
		if n := strings.Count(res.Body, "<tr><td class=\"nowrap\">"); n != 1 || !strings.Contains(res.Body, `<td class="num in">&#43;¥1,000.00</td>`) {
			t.Fatalf("money in: %d lines\n%s", n, webtest.Excerpt(res.Body))
		}
		webtest.MustContain(t, "filtered", res.Body, `href="/account/statement.csv?dir=in&amp;lang=en"`)
		res = u.get(t, "/account/?lang=en&from=2000-01-01&to=2000-01-31")
		webtest.MustContain(t, "old range", res.Body, "No transactions match.")

		csvIn := u.get(t, "/account/statement.csv?lang=en&dir=out")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvIn.Body, "\xEF\xBB\xBF"))).ReadAll()
		if err != nil || len(recs) != 25 {
			t.Fatalf("CSV of debits: %d records, %v", len(recs), err)
		}
		page, err := b.ledger.Search(context.Background(), wallet.Account(id, money.CNY), ledger.HistoryFilter{Direction: ledger.DirectionOut, Limit: 100})
		if err != nil || len(page.Lines) != 24 {
			t.Fatalf("ledger debits: %d, %v", len(page.Lines), err)
		}

		res = u.get(t, "/account/statement?lang=en&dir=out")
		wantStatus(t, "statement of debits", res, http.StatusOK)
		webtest.MustContain(t, "statement of debits", res.Body, `id="st-count">24<`, `id="st-in" class="in">¥0.00<`)
		webtest.MustNotContain(t, "statement of debits", res.Body, `id="st-opening"`, `id="st-closing"`) // balances need every line

		for _, q := range []string{"from=yesterday", "to=2026-13-01", "from=2026-03-02&to=2026-03-01", "dir=sideways&before=-3", "before=abc"} {
			res := u.get(t, "/account/?lang=en&"+q)
			wantStatus(t, q, res, http.StatusOK)
		}
		res = u.get(t, "/account/?lang=en&from=yesterday")
		webtest.MustContain(t, "bad date", res.Body, "Dates must look like 2026-03-31.")
		res = u.get(t, "/account/?lang=en&from=2026-03-02&to=2026-03-01")
		webtest.MustContain(t, "bad range", res.Body, "The start date must not be after the end date.")
		wantStatus(t, "bad CSV filter", u.get(t, "/account/statement.csv?from=x"), http.StatusBadRequest)
	})
}

// hrefOf returns the href of the element with id, unescaped.
func hrefOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s in\n%s", id, webtest.Excerpt(body))
	}
	start := strings.LastIndex(body[:i], `href="`)
	end := strings.Index(body[start+6:], `"`)
	return strings.ReplaceAll(body[start+6:start+6+end], "&amp;", "&")
}
