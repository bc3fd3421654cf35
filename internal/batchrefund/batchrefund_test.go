package batchrefund_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"paygate/internal/batchrefund"
	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/payment/refundworker"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

// equateAmounts compares amounts (which have unexported fields) with ==.
var equateAmounts = cmp.Comparer(func(a, b money.Amount) bool { return a == b })

// testBundle is the payment back end (bank simulator included), a refund
// worker that is not started (tests drive it with drain), and the service.
type testBundle struct {
	*paymenttest.Env
	d      *db.DB
	svc    *batchrefund.Service
	worker *refundworker.Worker
	woken  sync.WaitGroup
}

func setup(t testing.TB, d *db.DB) *testBundle {
	t.Helper()
	e := paymenttest.New(t, d)
	b := &testBundle{Env: e, d: d, worker: refundworker.New(e.Service, refundworker.Options{PollInterval: 20 * time.Millisecond})}
	t.Cleanup(b.worker.Stop)
	b.svc = batchrefund.New(d, e.Service, batchrefund.Options{WakeFunc: b.worker.Wake})
	t.Cleanup(b.svc.Close)
	return b
}

// payMany makes n succeeded card payments of amount each, with order
// numbers prefix-0000…, several at once.
func (b *testBundle) payMany(t testing.TB, prefix string, n int, amount int64) []payment.Payment {
	t.Helper()
	out := make([]payment.Payment, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx := context.Background()
			p, err := b.Service.Create(ctx, payment.CreateParams{MerchantID: b.Merchant.ID, MerchantOrderNo: fmt.Sprintf("%s-%04d", prefix, i),
				Amount: cny(amount), Subject: "批量退款测试 batch refund test"})
			if err != nil {
				errc <- err
				return
			}
			r, err := b.Service.PayByCard(ctx, p.ID, channel.Card{PAN: paymenttest.CardOK, PIN: "123456"})
			if err != nil || r.Payment.Status != payment.Succeeded {
				errc <- fmt.Errorf("paying %s: %+v, %v", p.MerchantOrderNo, r.Payment.Status, err)
				return
			}
			out[i] = r.Payment
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	return out
}

// otherMerchantPaid makes a succeeded payment of another merchant.
func (b *testBundle) otherMerchantPaid(t testing.TB, orderNo string) payment.Payment {
	t.Helper()
	ctx := context.Background()
	other, err := merchant.NewStore(b.d, id.NewGenerator(nil, nil)).Create(ctx, "Other Shop", "http://127.0.0.1:1/other", merchant.FeePlan{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Service.Create(ctx, payment.CreateParams{MerchantID: other.ID, MerchantOrderNo: orderNo, Amount: cny(100_00), Subject: "other"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Service.PayByCard(ctx, p.ID, channel.Card{PAN: paymenttest.CardOK, PIN: "123456"})
	if err != nil || r.Payment.Status != payment.Succeeded {
		t.Fatalf("paying the other merchant: %v %v", r.Payment.Status, err)
	}
	return r.Payment
}

// ageBy moves a payment's success back in time.
func (b *testBundle) ageBy(t testing.TB, p payment.Payment, d time.Duration) {
	t.Helper()
	if _, err := b.d.ExecRaw(context.Background(), `UPDATE payments SET paid_at = ? WHERE id = ?`, p.PaidAt.Add(-d), p.ID); err != nil {
		t.Fatal(err)
	}
}

// drain runs the refund worker until no refund is pending or processing.
// The payment service runs on a fake clock: a refund tried again later
// (after a bank timeout, say) falls due only when the clock moves on.
func (b *testBundle) drain(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		n, err := b.worker.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			continue
		}
		var open int
		if err := b.d.QueryRow(ctx, `SELECT COUNT(*) FROM refunds WHERE status IN ('pending', 'processing')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			return
		}
		b.Clock.Advance(time.Minute)
		time.Sleep(20 * time.Millisecond) // reversals are acknowledged in real time
	}
	t.Fatal("refunds still open after a minute")
}

func (b *testBundle) balance(t testing.TB, account string) int64 {
	t.Helper()
	a, err := b.Ledger.Balance(context.Background(), account)
	if err != nil {
		t.Fatalf("balance of %s: %v", account, err)
	}
	return a.Minor()
}

func (b *testBundle) checkBooks(t testing.TB) {
	t.Helper()
	if r, err := b.Ledger.Check(context.Background()); err != nil || !r.OK() {
		t.Fatalf("ledger check: %v %v", r.Problems, err)
	}
}

func (b *testBundle) countRefunds(t testing.TB) int {
	t.Helper()
	var n int
	if err := b.d.QueryRow(context.Background(), `SELECT COUNT(*) FROM refunds`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sheet is a refund sheet as CSV: the template's header, then rows.
func sheet(t testing.TB, rows [][]string) []byte {
	t.Helper()
	data, _, err := batchrefund.Template(batchrefund.CSV)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(data)
	w := csv.NewWriter(buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sheetXLSX is the same as an XLSX workbook.
func sheetXLSX(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	all := append([][]string{{"商户订单号 merchant_order_no", "退款金额 refund_amount", "退款单号 merchant_refund_no", "退款原因 reason"}}, rows...)
	for i, row := range all {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// problems maps the bad lines to their problem codes.
func problems(lines []batchrefund.Line) map[int]string {
	out := map[int]string{}
	for _, l := range lines {
		if l.Problem != "" {
			out[l.No] = l.Problem
		}
	}
	return out
}

// mustShowSheet is the sheet: good lines refunding about 10.00 each
// from the payments in turn, with the seven bad lines put among them. It
// returns the rows, the bad lines' numbers with their problems, and the
// sum of the good lines.
func mustShowSheet(pays []payment.Payment, lines int, old, other payment.Payment) ([][]string, map[int]string, int64) {
	bad := map[int][]string{ // sheet row → cells
		7:   {"NO-SUCH-ORDER-1", "10.00", "", "unknown order"},
		150: {pays[1].MerchantOrderNo, "100.00", "", "more than is left"}, // 100.00 paid, 10.00 refunded on row 3
		301: {old.MerchantOrderNo, "1.00", "", "older than 90 days"},
		402: nil, // the same line twice: row 401 again
		555: {pays[3].MerchantOrderNo, "12.3.4", "", "malformed"},
		700: {pays[4].MerchantOrderNo, "-5.00", "", "negative"},
		999: {other.MerchantOrderNo, "1.00", "", "another merchant's order"},
	}
	want := map[int]string{
		7: batchrefund.ProblemOrderNotFound, 150: batchrefund.ProblemAmountExceeds, 301: batchrefund.ProblemWindowPassed,
		402: batchrefund.ProblemDuplicateLine, 555: batchrefund.ProblemAmountMalformed, 700: batchrefund.ProblemAmountNotPositive,
		999: batchrefund.ProblemOrderNotFound,
	}
	var rows [][]string
	good, total := 0, int64(0)
	for row := 2; row <= lines+1; row++ {
		cells, isBad := bad[row]
		switch {
		case isBad && cells == nil:
			cells = rows[len(rows)-1]
		case !isBad:
			// 10.00, 10.01, …: one order's lines differ, or they would be duplicates.
			amount := cny(10_00 + int64(good/len(pays)))
			cells = []string{pays[good%len(pays)].MerchantOrderNo, amount.String(), "", fmt.Sprintf("退货 line %d", row)}
			good++
		}
		rows = append(rows, cells)
		if !isBad {
			a, _ := money.Parse(cells[1], money.CNY)
			total += a.Minor()
		}
	}
	return rows, want, total
}

// TestMustShow is the must-show at the engine: a 1,000-line sheet
// with 7 bad lines (unknown order, amount above what is refundable,
// payment older than 90 days, the same line twice, malformed amount,
// negative amount, another merchant's order) reports exactly those 7 with
// reasons and moves nothing; confirming refunds the 993 good lines, which
// all succeed; the card's balance at the bank and the ledger agree, the
// books balance, and confirming again creates nothing twice.
func TestMustShow(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "ORDER", 200, 100_00)
		old := b.payMany(t, "OLD", 1, 100_00)[0]
		b.ageBy(t, old, 91*24*time.Hour)
		other := b.otherMerchantPaid(t, "OTHER-1")
		rows, want, total := mustShowSheet(pays, 1000, old, other)
		card0, clearing0 := b.BankBalance(t, paymenttest.CardOK), b.balance(t, "bank:icbc:clearing:CNY")

		start := time.Now()
		batch, lines, err := b.svc.Validate(ctx, b.Merchant.ID, "退款 refunds.xlsx", sheetXLSX(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("validated 1,000 lines in %v", time.Since(start))
		if diff := cmp.Diff(want, problems(lines)); diff != "" {
			t.Fatalf("bad lines (-want +got):\n%s", diff)
		}
		for _, l := range lines {
			if l.Problem != "" && (l.Message == "" || strings.Contains(l.Message, other.ID) || strings.Contains(l.Message, "Other Shop")) {
				t.Errorf("line %d: message %q", l.No, l.Message)
			}
		}
		if batch.State != batchrefund.Validated || batch.Lines != 1000 || batch.Good != 993 || batch.Bad != 7 ||
			batch.Total != cny(total) || batch.FileName != "退款 refunds.xlsx" || !strings.HasPrefix(batch.ID, "rfb_") {
			t.Fatalf("batch %+v", batch)
		}
		// Nothing moved.
		if n := b.countRefunds(t); n != 0 {
			t.Fatalf("%d refunds after validation", n)
		}
		if c, l := b.BankBalance(t, paymenttest.CardOK), b.balance(t, "bank:icbc:clearing:CNY"); c != card0 || l != clearing0 {
			t.Fatalf("validation moved money: card %d → %d, clearing %d → %d", card0, c, clearing0, l)
		}

		// Confirm: 993 refunds, all succeeded.
		start = time.Now()
		batch, err = b.svc.Confirm(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("confirmed 993 lines in %v", time.Since(start))
		if batch.State != batchrefund.Queued || batch.ConfirmedAt == nil {
			t.Fatalf("confirmed batch %+v", batch)
		}
		start = time.Now()
		b.drain(t)
		t.Logf("refunded 993 lines in %v", time.Since(start))
		batch, lines, err = b.svc.Get(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if batch.State != batchrefund.Done || batch.Succeeded != 993 || batch.Failed != 0 || batch.Refunded != cny(total) {
			t.Fatalf("batch after the refunds %+v", batch)
		}
		for _, l := range lines {
			if _, bad := want[l.No]; bad != (l.Status == "") || (!bad && (l.Status != payment.RefundSucceeded || l.RefundID == "")) {
				t.Fatalf("line %+v", l)
			}
		}
		// The card got back exactly the refunds, and the books say so.
		if got := b.BankBalance(t, paymenttest.CardOK); got != card0+total {
			t.Errorf("card balance %d, want %d", got, card0+total)
		}
		if got := b.balance(t, "bank:icbc:clearing:CNY"); got != clearing0+total {
			t.Errorf("icbc clearing %d, want %d", got, clearing0+total)
		}
		b.checkBooks(t)

		// Confirming again changes nothing.
		again, err := b.svc.Confirm(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(batch, again, equateAmounts); diff != "" {
			t.Errorf("second Confirm (-first +second):\n%s", diff)
		}
		b.drain(t)
		if n := b.countRefunds(t); n != 993 {
			t.Errorf("%d refunds after confirming twice, want 993", n)
		}
		if got := b.BankBalance(t, paymenttest.CardOK); got != card0+total {
			t.Errorf("card balance %d after confirming twice, want %d", got, card0+total)
		}

		// The results: one row per line.
		data, ct, err := b.svc.Results(ctx, b.Merchant.ID, batch.ID, batchrefund.CSV)
		if err != nil || ct != "text/csv; charset=utf-8" {
			t.Fatalf("Results = %s, %v", ct, err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 1001 {
			t.Fatalf("results: %d records, %v", len(recs), err)
		}
		results := map[string]int{}
		for _, r := range recs[1:] {
			results[r[5]]++
		}
		if diff := cmp.Diff(map[string]int{"succeeded": 993, "rejected": 7}, results); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		if r := recs[700-1]; r[0] != "700" || r[2] != "'-5.00" || r[5] != "rejected" || r[6] != batchrefund.ProblemAmountNotPositive {
			t.Errorf("results line 700: %q", r)
		}
	})
}

// TestValidateNothingMoves: validating reads; only the batch is written.
// The problem codes that need the database, on a CSV sheet.
func TestValidate(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "ORD", 4, 100_00)
		unpaid := b.Create(t, "UNPAID-1", 100_00, "")
		// A refund with a merchant refund number, already under way.
		if _, err := b.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: b.Merchant.ID, PaymentID: pays[3].ID,
			MerchantRefundNo: "USED-1", Amount: cny(10_00)}); err != nil {
			t.Fatal(err)
		}
		rows := [][]string{
			{pays[0].MerchantOrderNo, "60.00", "", ""},                   // 2
			{pays[0].MerchantOrderNo, "50.00", "", ""},                   // 3: 60 + 50 > 100
			{pays[0].MerchantOrderNo, "40", "", ""},                      // 4: exactly what is left
			{"", "1.00", "", ""},                                         // 5
			{unpaid.MerchantOrderNo, "1.00", "", ""},                     // 6
			{pays[3].MerchantOrderNo, "1.00", "USED-1", ""},              // 7: used by a refund
			{pays[3].MerchantOrderNo, "90.01", "", ""},                   // 8: 10.00 in flight
			{pays[1].MerchantOrderNo, "1.00", "RF-A", ""},                // 9
			{pays[1].MerchantOrderNo, "2.00", "RF-A", ""},                // 10: used above
			{pays[2].MerchantOrderNo, "1", "RF-A", ""},                   // 11: another payment: fine
			{pays[2].MerchantOrderNo, "1.001", "", ""},                   // 12
			{pays[2].MerchantOrderNo, "0.00", "", ""},                    // 13
			{pays[2].MerchantOrderNo, "1", "RF B", ""},                   // 14
			{pays[2].MerchantOrderNo, "1", "", strings.Repeat("因", 257)}, // 15
			{pays[2].MerchantOrderNo, "1", "RF-A", ""},                   // 16: the same as 11
			{strings.ToLower(pays[2].MerchantOrderNo), "1", "", ""},      // 17: order numbers are exact
		}
		refunds0 := b.countRefunds(t)
		batch, lines, err := b.svc.Validate(ctx, b.Merchant.ID, `C:\Users\shop\退款.csv`, sheet(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{
			3: batchrefund.ProblemAmountExceeds, 5: batchrefund.ProblemMissingOrder, 6: batchrefund.ProblemNotRefundable,
			7: batchrefund.ProblemRefundNoUsed, 8: batchrefund.ProblemAmountExceeds, 10: batchrefund.ProblemRefundNoUsed,
			12: batchrefund.ProblemAmountMalformed, 13: batchrefund.ProblemAmountNotPositive, 14: batchrefund.ProblemRefundNoInvalid,
			15: batchrefund.ProblemReasonTooLong, 16: batchrefund.ProblemDuplicateLine, 17: batchrefund.ProblemOrderNotFound,
		}
		if diff := cmp.Diff(want, problems(lines)); diff != "" {
			t.Fatalf("bad lines (-want +got):\n%s", diff)
		}
		if lines[0].PaymentID != pays[0].ID || lines[0].Amount != cny(60_00) {
			t.Errorf("line 2: %+v", lines[0])
		}
		if batch.Good != 4 || batch.Bad != 12 || batch.Total != cny(60_00+40_00+1_00+1_00) || batch.FileName != "退款.csv" {
			t.Errorf("batch %+v", batch)
		}
		if n := b.countRefunds(t); n != refunds0 {
			t.Errorf("refunds %d → %d", refunds0, n)
		}

		// Stored as returned, and only for this merchant.
		got, stored, err := b.svc.Get(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(batch, got, equateAmounts); diff != "" {
			t.Errorf("Get batch (-validated +stored):\n%s", diff)
		}
		if diff := cmp.Diff(lines, stored, equateAmounts); diff != "" {
			t.Errorf("Get lines (-validated +stored):\n%s", diff)
		}
		other := b.otherMerchantPaid(t, "OTHER-1")
		for name, err := range map[string]error{
			"Get":     func() error { _, _, err := b.svc.Get(ctx, other.MerchantID, batch.ID); return err }(),
			"Confirm": func() error { _, err := b.svc.Confirm(ctx, other.MerchantID, batch.ID); return err }(),
			"Results": func() error {
				_, _, err := b.svc.Results(ctx, other.MerchantID, batch.ID, batchrefund.XLSX)
				return err
			}(),
			"Discard": b.svc.Discard(ctx, other.MerchantID, batch.ID),
			"Unknown": func() error { _, _, err := b.svc.Get(ctx, b.Merchant.ID, "rfb_nope"); return err }(),
		} {
			if !errors.Is(err, batchrefund.ErrBatchNotFound) {
				t.Errorf("%s as another merchant: %v, want ErrBatchNotFound", name, err)
			}
		}
		if list, err := b.svc.List(ctx, other.MerchantID, 10); err != nil || len(list) != 0 {
			t.Errorf("another merchant's list: %v, %v", list, err)
		}
	})
}

// TestSheetErrorStoresNothing: an unreadable sheet is one error, and no
// batch.
func TestSheetErrorStoresNothing(t *testing.T) {
	t.Parallel()
	d := dbtest.NewSQLite(t)
	b := setup(t, d)
	svc := batchrefund.New(d, b.Service, batchrefund.Options{MaxLines: 3})
	for name, data := range map[string][]byte{
		"NoHeader":     []byte("a,b\n1,2\n"),
		"TooManyLines": sheet(t, [][]string{{"A", "1"}, {"B", "1"}, {"C", "1"}, {"D", "1"}}),
	} {
		if _, _, err := svc.Validate(context.Background(), b.Merchant.ID, name+".csv", data); !errors.Is(err, batchrefund.ErrSheetInvalid) {
			t.Errorf("%s: %v, want ErrSheetInvalid", name, err)
		}
	}
	if list, err := svc.List(context.Background(), b.Merchant.ID, 10); err != nil || len(list) != 0 {
		t.Errorf("batches %v, %v", list, err)
	}
}

// TestConfirmRefusedMeanwhile: a line that no longer fits when confirmed
// (the payment was refunded through the API meanwhile) is marked failed;
// the others go ahead.
func TestConfirmRefusedMeanwhile(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "ORD", 2, 100_00)
		batch, _, err := b.svc.Validate(ctx, b.Merchant.ID, "r.csv", sheet(t, [][]string{
			{pays[0].MerchantOrderNo, "80.00", "", ""},
			{pays[1].MerchantOrderNo, "30.00", "MINE-1", ""},
		}))
		if err != nil || batch.Good != 2 {
			t.Fatalf("Validate: %+v, %v", batch, err)
		}
		if _, err := b.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: b.Merchant.ID, PaymentID: pays[0].ID,
			Amount: cny(50_00)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Confirm(ctx, b.Merchant.ID, batch.ID); err != nil {
			t.Fatal(err)
		}
		b.drain(t)
		batch, lines, err := b.svc.Get(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if batch.State != batchrefund.Done || batch.Succeeded != 1 || batch.Failed != 1 || batch.Refunded != cny(30_00) {
			t.Errorf("batch %+v", batch)
		}
		if l := lines[0]; l.Status != payment.RefundFailed || l.Problem != batchrefund.ProblemAmountExceeds || l.RefundID != "" ||
			!strings.HasPrefix(l.Message, "Refused on confirmation") {
			t.Errorf("refused line %+v", l)
		}
		if l := lines[1]; l.Status != payment.RefundSucceeded || l.RefundID == "" {
			t.Errorf("good line %+v", l)
		}
		r, err := b.Service.GetRefund(ctx, b.Merchant.ID, lines[1].RefundID)
		if err != nil || r.MerchantRefundNo != "MINE-1" || r.BatchID != batch.ID {
			t.Errorf("refund %+v, %v", r, err)
		}
		data, _, err := b.svc.Results(ctx, b.Merchant.ID, batch.ID, batchrefund.XLSX)
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, err := f.GetRows(f.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[1][0] != "2" || got[1][5] != "failed" || got[1][6] != batchrefund.ProblemAmountExceeds ||
			got[2][5] != "succeeded" || got[2][8] != lines[1].RefundID {
			t.Errorf("results %q", got)
		}
	})
}

// TestResume: a confirmation cut short — the batch queued, some refunds
// made but not recorded on their lines — is finished by Resume (or by
// confirming again) without making any refund twice.
func TestResume(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "ORD", 3, 100_00)
		batch, _, err := b.svc.Validate(ctx, b.Merchant.ID, "r.csv", sheet(t, [][]string{
			{pays[0].MerchantOrderNo, "10.00", "", ""},
			{pays[1].MerchantOrderNo, "20.00", "", ""},
			{pays[2].MerchantOrderNo, "30.00", "OWN-3", ""},
		}))
		if err != nil {
			t.Fatal(err)
		}
		// The crash: queued, and the refund of line 2 made by the lost run.
		if _, err := d.ExecRaw(ctx, `UPDATE refund_batches SET state = 'queued', confirmed_at = ? WHERE id = ?`, time.Now().UTC(), batch.ID); err != nil {
			t.Fatal(err)
		}
		lost, err := b.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: b.Merchant.ID, PaymentID: pays[0].ID,
			MerchantRefundNo: batch.ID + "-2", Amount: cny(10_00), BatchID: batch.ID})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := b.svc.Status(ctx, b.Merchant.ID, batch.ID); err != nil || st.State != batchrefund.Queued {
			t.Fatalf("status before resuming: %+v, %v", st, err)
		}
		if n, err := b.svc.Resume(ctx); err != nil || n != 1 {
			t.Fatalf("Resume = %d, %v", n, err)
		}
		if n, err := b.svc.Resume(ctx); err != nil || n != 0 {
			t.Fatalf("second Resume = %d, %v", n, err)
		}
		b.drain(t)
		batch, lines, err := b.svc.Get(ctx, b.Merchant.ID, batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if batch.State != batchrefund.Done || batch.Succeeded != 3 || lines[0].RefundID != lost.ID {
			t.Fatalf("batch %+v, line 2 %+v", batch, lines[0])
		}
		if n := b.countRefunds(t); n != 3 {
			t.Errorf("%d refunds, want 3", n)
		}
		list, err := b.svc.List(ctx, b.Merchant.ID, 0)
		if err != nil || len(list) != 1 || list[0].State != batchrefund.Done || list[0].Succeeded != 3 {
			t.Errorf("List = %+v, %v", list, err)
		}
	})
}

// TestDiscard: a discarded batch cannot be confirmed, a confirmed one
// cannot be discarded.
func TestDiscard(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "ORD", 1, 100_00)
		rows := [][]string{{pays[0].MerchantOrderNo, "10.00", "", ""}}
		first, _, err := b.svc.Validate(ctx, b.Merchant.ID, "1.csv", sheet(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		second, _, err := b.svc.Validate(ctx, b.Merchant.ID, "2.csv", sheet(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := b.svc.Discard(ctx, b.Merchant.ID, first.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.svc.Confirm(ctx, b.Merchant.ID, first.ID); !errors.Is(err, batchrefund.ErrBatchDiscarded) {
			t.Errorf("Confirm discarded: %v", err)
		}
		if _, err := b.svc.Confirm(ctx, b.Merchant.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Discard(ctx, b.Merchant.ID, second.ID); !errors.Is(err, batchrefund.ErrBatchConfirmed) {
			t.Errorf("Discard confirmed: %v", err)
		}
		list, err := b.svc.List(ctx, b.Merchant.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, l := range list {
			states = append(states, l.FileName+" "+l.State)
		}
		if diff := cmp.Diff([]string{"2.csv queued", "1.csv discarded"}, states); diff != "" {
			t.Errorf("List, newest first (-want +got):\n%s", diff)
		}
		if n := b.countRefunds(t); n != 1 {
			t.Errorf("%d refunds, want 1", n)
		}
	})
}

// TestQueue: Queue returns at once and the refunds are created in the
// background; with the worker running, the batch ends done.
func TestQueue(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		pays := b.payMany(t, "Q", 50, 10_00)
		rows := [][]string{{"merchant_order_no", "refund_amount"}}
		for _, p := range pays {
			rows = append(rows, []string{p.MerchantOrderNo, "1.00"})
		}
		batch, _, err := b.svc.Validate(ctx, b.Merchant.ID, "q.csv", sheet(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.worker.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if batch, err = b.svc.Queue(ctx, b.Merchant.ID, batch.ID); err != nil || batch.State != batchrefund.Queued {
			t.Fatalf("queue: %+v %v", batch, err)
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
			got, err := b.svc.Status(ctx, b.Merchant.ID, batch.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == batchrefund.Done {
				if got.Succeeded != 50 {
					t.Fatalf("done: %+v", got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %+v", got)
			}
		}
	})
}
