package payment_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"paygate/internal/banksim"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
)

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

// refund creates a refund of p and makes one try at it.
func (b *bundle) refund(t *testing.T, p payment.Payment, no string, amount int64) payment.Refund {
	t.Helper()
	ctx := context.Background()
	r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, MerchantRefundNo: no,
		Amount: cny(amount), Reason: "returned goods 退货"})
	if err != nil {
		t.Fatalf("CreateRefund %s: %v", no, err)
	}
	if r, err = b.svc.ProcessRefund(ctx, r.ID); err != nil {
		t.Fatalf("ProcessRefund %s: %v", no, err)
	}
	return r
}

func (b *bundle) balance(t *testing.T, account string) int64 {
	t.Helper()
	a, err := b.ledger.Balance(context.Background(), account)
	if err != nil {
		t.Fatalf("balance of %s: %v", account, err)
	}
	return a.Minor()
}

func (b *bundle) checkBooks(t *testing.T) {
	t.Helper()
	if r, err := b.ledger.Check(context.Background()); err != nil || !r.OK() {
		t.Fatalf("ledger check: %v %v", r.Problems, err)
	}
}

func (b *bundle) events(typ string) []paymenttest.Event {
	var out []paymenttest.Event
	for _, e := range b.sent() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// TestCardRefunds: full and partial refunds to the card. The card's
// balance at the bank rises by exactly what was refunded, the merchant's
// pending balance gives the amount less the fee returned in proportion
// (cumulatively, half-even), the fee income gives that back, the books
// balance, and each success is notified with the refund.
func TestCardRefunds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		refunds     []int64
		wantPending int64 // after paying 100.00 with a fee of 0.60: 99.40
		wantFees    int64
	}{
		{"Full", []int64{100_00}, 0, 0},
		{"Partial", []int64{30_00}, 99_40 - (30_00 - 18), 60 - 18},
		{"PartialsToFull", []int64{33_33, 33_33, 33_34}, 0, 0},
		{"TwoPartials", []int64{30_00, 20_00}, 99_40 - (30_00 - 18) - (20_00 - 12), 60 - 30},
		{"OneFen", []int64{1, 1}, 99_40 - 2, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Engines(t, func(t *testing.T, d *db.DB) {
				b := setup(t, d)
				ctx := context.Background()
				p := b.Paid(t, "order-"+tt.name, 100_00)
				if p.Fee.Minor() != 60 {
					t.Fatalf("fee %v", p.Fee)
				}
				before := b.bankBalance(t, cardOK)
				var total int64
				for i, amt := range tt.refunds {
					r := b.refund(t, p, fmt.Sprintf("r%d", i), amt)
					if r.Status != payment.RefundSucceeded || r.SucceededAt == nil || r.Method != "bankcard" ||
						r.MerchantOrderNo != p.MerchantOrderNo || r.Amount != cny(amt) || r.Attempts != 1 {
						t.Fatalf("refund %d: %+v", i, r)
					}
					atts, err := b.svc.RefundAttempts(ctx, r.ID)
					if err != nil || len(atts) != 1 || atts[0].State != payment.AttemptApproved || atts[0].STAN == "" || atts[0].Bank != "icbc" {
						t.Fatalf("attempts %+v %v", atts, err)
					}
					total += amt
				}
				if got := b.bankBalance(t, cardOK); got != before+total {
					t.Fatalf("card balance %d, want %d", got, before+total)
				}
				got, _ := b.svc.Lookup(ctx, p.ID)
				if got.Refunded.Minor() != total || !got.Refunding.IsZero() || got.Status != payment.Succeeded {
					t.Fatalf("payment refunded %v refunding %v status %s", got.Refunded, got.Refunding, got.Status)
				}
				if pend := b.balance(t, "merchant:"+b.mch.ID+":pending:CNY"); pend != tt.wantPending {
					t.Errorf("merchant pending %d, want %d", pend, tt.wantPending)
				}
				if fees := b.balance(t, "income:fees:CNY"); fees != tt.wantFees {
					t.Errorf("fees %d, want %d", fees, tt.wantFees)
				}
				if clr := b.balance(t, "bank:icbc:clearing:CNY"); clr != -100_00+total {
					t.Errorf("icbc clearing %d, want %d", clr, -100_00+total)
				}
				b.checkBooks(t)
				evs := b.events("refund.succeeded")
				if len(evs) != len(tt.refunds) || evs[0].Refund.Status != payment.RefundSucceeded || evs[0].URL != b.mch.NotifyURL {
					t.Fatalf("notifications %+v", evs)
				}
				left, open, err := b.svc.Refundable(ctx, p)
				if err != nil || left.Minor() != 100_00-total || !open {
					t.Fatalf("Refundable = %v %v %v", left, open, err)
				}
			})
		})
	}
}

// TestRefundRules: what CreateRefund refuses, and that a refusal writes
// nothing.
func TestRefundRules(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "rules", 10_00)
		unpaid := b.create(t, "unpaid", 10_00)
		params := func(no string, amount int64) payment.RefundParams {
			return payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, MerchantRefundNo: no, Amount: cny(amount)}
		}

		// Several partial refunds up to the amount, then one more.
		for i, amt := range []int64{4_00, 3_00, 3_00} {
			if r := b.refund(t, p, fmt.Sprintf("part-%d", i), amt); r.Status != payment.RefundSucceeded {
				t.Fatalf("part %d: %+v", i, r)
			}
		}
		if _, err := b.svc.CreateRefund(ctx, params("one-more", 1)); !errors.Is(err, payment.ErrRefundExceeds) {
			t.Fatalf("refund past the amount: %v", err)
		}
		// The same merchant_refund_no again: the same refund.
		again, err := b.svc.CreateRefund(ctx, params("part-1", 3_00))
		if err != nil || again.MerchantRefundNo != "part-1" || again.Status != payment.RefundSucceeded {
			t.Fatalf("same refund no: %+v %v", again, err)
		}
		if _, err := b.svc.CreateRefund(ctx, params("part-1", 2_00)); !errors.Is(err, payment.ErrRefundNoReused) {
			t.Fatalf("same refund no, other amount: %v", err)
		}
		refunds, err := b.svc.Refunds(ctx, b.mch.ID, p.ID)
		if err != nil || len(refunds) != 3 {
			t.Fatalf("refunds %+v %v", refunds, err)
		}

		q := b.Paid(t, "rules-2", 10_00)
		before := countRefunds(t, d)
		bad := []struct {
			name string
			p    payment.RefundParams
			want error
		}{
			{"NotSucceeded", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: unpaid.ID, Amount: cny(1)}, payment.ErrNotRefundable},
			{"NoPayment", payment.RefundParams{MerchantID: b.mch.ID, Amount: cny(1)}, payment.ErrRefundInvalid},
			{"ZeroAmount", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, Amount: cny(0)}, payment.ErrRefundInvalid},
			{"NegativeAmount", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, Amount: cny(-5)}, payment.ErrRefundInvalid},
			{"OtherCurrency", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, Amount: money.New(1, money.USD)}, payment.ErrRefundInvalid},
			{"SpaceInRefundNo", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, MerchantRefundNo: "a b", Amount: cny(1)}, payment.ErrRefundInvalid},
			{"TooMuch", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, Amount: cny(10_01)}, payment.ErrRefundExceeds},
			{"OtherMerchant", payment.RefundParams{MerchantID: "mch_other", PaymentID: q.ID, Amount: cny(1)}, payment.ErrNotFound},
			{"OtherMerchantByOrderNo", payment.RefundParams{MerchantID: "mch_other", MerchantOrderNo: "rules-2", Amount: cny(1)}, payment.ErrNotFound},
			{"UnknownPayment", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: "pay_nope", Amount: cny(1)}, payment.ErrNotFound},
			{"MismatchedOrderNo", payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, MerchantOrderNo: "rules", Amount: cny(1)}, payment.ErrRefundInvalid},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := b.svc.CreateRefund(ctx, tt.p); !errors.Is(err, tt.want) {
					t.Fatalf("CreateRefund = %v, want %v", err, tt.want)
				}
			})
		}
		if n := countRefunds(t, d); n != before {
			t.Fatalf("refusals wrote %d refunds", n-before)
		}
		if got, _ := b.svc.Lookup(ctx, q.ID); !got.Refunding.IsZero() {
			t.Fatalf("refusals hold %v", got.Refunding)
		}
		// By order number, with a generated refund number.
		r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, MerchantOrderNo: "rules-2", Amount: cny(1_00)})
		if err != nil || r.PaymentID != q.ID || r.MerchantRefundNo != r.ID || r.Status != payment.RefundPending {
			t.Fatalf("by order no: %+v %v", r, err)
		}
		if _, err := b.svc.GetRefund(ctx, "mch_other", r.ID); !errors.Is(err, payment.ErrRefundNotFound) {
			t.Fatalf("another merchant's refund: %v", err)
		}
		if _, err := b.svc.Refunds(ctx, "mch_other", q.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("another merchant's payment's refunds: %v", err)
		}
		if got, err := b.svc.GetRefund(ctx, b.mch.ID, r.ID); err != nil || got.ID != r.ID {
			t.Fatalf("GetRefund: %+v %v", got, err)
		}

		// The window: 90 days after the payment succeeded, by the service clock.
		b.clock.Advance(89 * 24 * time.Hour)
		if _, open, _ := b.svc.Refundable(ctx, q); !open {
			t.Fatal("window closed after 89 days")
		}
		b.clock.Advance(2 * 24 * time.Hour)
		if _, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: q.ID, Amount: cny(1)}); !errors.Is(err, payment.ErrRefundWindowPassed) {
			t.Fatalf("after 91 days: %v", err)
		}
		if _, open, _ := b.svc.Refundable(ctx, q); open {
			t.Fatal("window open after 91 days")
		}
		b.checkBooks(t)
	})
}

func countRefunds(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM refunds`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentRefundsNeverExceed: 30 partial refunds of one payment,
// asked for at once, that together exceed it: only those that fit are
// created, each is carried out once even when tried twice at once, and the
// sum refunded — in the books and on the card — is exactly the amount paid.
func TestConcurrentRefundsNeverExceed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "concurrent", 100_00)
		before := b.bankBalance(t, cardOK)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			created  []payment.Refund
			exceeded int
		)
		for i := range 30 {
			wg.Go(func() {
				r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID,
					MerchantRefundNo: fmt.Sprintf("c-%02d", i), Amount: cny(5_00)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created = append(created, r)
				case errors.Is(err, payment.ErrRefundExceeds):
					exceeded++
				default:
					t.Errorf("CreateRefund: %v", err)
				}
			})
		}
		wg.Wait()
		if len(created) != 20 || exceeded != 10 {
			t.Fatalf("%d created, %d refused; want 20 and 10", len(created), exceeded)
		}
		for _, r := range created {
			for range 2 { // two callers race for each refund
				wg.Go(func() {
					if _, err := b.svc.ProcessRefund(ctx, r.ID); err != nil {
						t.Errorf("ProcessRefund: %v", err)
					}
				})
			}
		}
		wg.Wait()
		var sum int64
		for _, r := range created {
			got, _ := b.svc.LookupRefund(ctx, r.ID)
			atts, _ := b.svc.RefundAttempts(ctx, r.ID)
			if got.Status != payment.RefundSucceeded || len(atts) != 1 {
				t.Fatalf("refund %s: %s with %d attempts", r.ID, got.Status, len(atts))
			}
			sum += got.Amount.Minor()
		}
		got, _ := b.svc.Lookup(ctx, p.ID)
		if sum != 100_00 || got.Refunded.Minor() != 100_00 || !got.Refunding.IsZero() {
			t.Fatalf("refunded %d (payment says %v, refunding %v), want 100.00", sum, got.Refunded, got.Refunding)
		}
		if bal := b.bankBalance(t, cardOK); bal != before+100_00 {
			t.Fatalf("card balance %d, want %d", bal, before+100_00)
		}
		if pend := b.balance(t, "merchant:"+b.mch.ID+":pending:CNY"); pend != 0 {
			t.Fatalf("merchant pending %d after a full refund", pend)
		}
		if fees := b.balance(t, "income:fees:CNY"); fees != 0 {
			t.Fatalf("fees %d after a full refund", fees)
		}
		b.checkBooks(t)
	})
}

// TestLostRefundAnswerIsRetriedOnce: the bank's answer to the first try is
// lost. The try is unknown and reversed (the bank takes its credit back),
// the refund is due again after a wait, and the second try — a new attempt
// with a new STAN — succeeds: the card is credited exactly once.
func TestLostRefundAnswerIsRetriedOnce(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "lost-answer", 50_00)
		before := b.bankBalance(t, cardOK)
		r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, Amount: cny(20_00)})
		if err != nil {
			t.Fatal(err)
		}
		b.Sim.SetFaults(banksim.Faults{Drop: 1})
		r, err = b.svc.ProcessRefund(ctx, r.ID)
		b.Sim.SetFaults(banksim.Faults{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != payment.RefundProcessing && r.Status != payment.RefundPending {
			t.Fatalf("after a lost answer: %+v", r)
		}
		// The reversal is acknowledged: the refund is pending again.
		waitRefund(t, b, r.ID, payment.RefundPending)
		if got := b.bankBalance(t, cardOK); got != before {
			t.Fatalf("card balance %d after the reversal, want %d", got, before)
		}
		// Due again only after a wait.
		if ids, err := b.svc.ClaimRefunds(ctx, "test", 10, time.Minute); err != nil || len(ids) != 0 {
			t.Fatalf("claimed at once: %v %v", ids, err)
		}
		b.clock.Advance(11 * time.Second)
		if ids, err := b.svc.ClaimRefunds(ctx, "test", 10, time.Minute); err != nil || len(ids) != 1 || ids[0] != r.ID {
			t.Fatalf("claimed after the wait: %v %v", ids, err)
		}
		if r, _ = b.svc.ProcessRefund(ctx, r.ID); r.Status != payment.RefundSucceeded {
			t.Fatalf("second try: %+v", r)
		}
		atts, _ := b.svc.RefundAttempts(ctx, r.ID)
		if len(atts) != 2 || atts[0].State != payment.AttemptReversed || atts[1].State != payment.AttemptApproved ||
			atts[0].STAN == atts[1].STAN || r.Attempts != 2 {
			t.Fatalf("attempts %+v", atts)
		}
		if got := b.bankBalance(t, cardOK); got != before+20_00 {
			t.Fatalf("card balance %d, want %d (credited once)", got, before+20_00)
		}
		if evs := b.events("refund.succeeded"); len(evs) != 1 {
			t.Fatalf("notifications %+v", evs)
		}
		b.checkBooks(t)
	})
}

// waitRefund sweeps until the refund reaches status.
func waitRefund(t *testing.T, b *bundle, refundID string, status payment.RefundStatus) payment.Refund {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := b.svc.LookupRefund(ctx, refundID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == status {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("refund %s still %s, want %s", refundID, r.Status, status)
		}
		if err := b.svc.ResolveRefunds(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRefundDeclinedByTheBank: a refund the bank refuses (here: field 90
// names no charge it knows) fails with the bank's reason, gives its amount
// back to what can be refunded, books nothing and tells the merchant.
func TestRefundDeclinedByTheBank(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "declined", 10_00)
		if _, err := d.ExecRaw(ctx, `UPDATE payment_attempts SET stan = '999999' WHERE payment_id = ?`, p.ID); err != nil {
			t.Fatal(err)
		}
		before := b.bankBalance(t, cardOK)
		r := b.refund(t, p, "declined-1", 5_00)
		if r.Status != payment.RefundFailed || r.FailureCode != payment.FailureBankDeclined || r.FailureMessage == "" {
			t.Fatalf("refund %+v", r)
		}
		got, _ := b.svc.Lookup(ctx, p.ID)
		if !got.Refunded.IsZero() || !got.Refunding.IsZero() {
			t.Fatalf("payment refunded %v refunding %v", got.Refunded, got.Refunding)
		}
		if bal := b.bankBalance(t, cardOK); bal != before {
			t.Fatalf("card balance moved: %d → %d", before, bal)
		}
		if evs := b.events("refund.failed"); len(evs) != 1 || evs[0].Refund.FailureCode != payment.FailureBankDeclined {
			t.Fatalf("notifications %+v", evs)
		}
		if pend := b.balance(t, "merchant:"+b.mch.ID+":pending:CNY"); pend != 10_00-6 {
			t.Fatalf("merchant pending %d", pend)
		}
		b.checkBooks(t)
	})
}

// TestRefundWithoutCardNumber: a card payment whose card number was not
// kept cannot be refunded to the card (refused at once); one whose sealed
// number no longer opens fails without reaching the bank.
func TestRefundWithoutCardNumber(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "no-card", 10_00)
		var sealed string
		if err := d.QueryRow(ctx, `SELECT card_sealed FROM payment_attempts WHERE payment_id = ? AND state = 'approved'`, p.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if sealed == "" || len(sealed) < 20 {
			t.Fatalf("card_sealed = %q", sealed)
		}
		if _, err := d.ExecRaw(ctx, `UPDATE payment_attempts SET card_sealed = '' WHERE payment_id = ?`, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, Amount: cny(1_00)}); !errors.Is(err, payment.ErrRefundNotSupported) {
			t.Fatalf("refund with no card kept: %v", err)
		}
		if _, err := d.ExecRaw(ctx, `UPDATE payment_attempts SET card_sealed = ? WHERE payment_id = ?`, sealed[:len(sealed)-4]+"AAAA", p.ID); err != nil {
			t.Fatal(err)
		}
		r := b.refund(t, p, "bad-seal", 1_00)
		if r.Status != payment.RefundFailed || r.FailureCode != payment.FailureCardUnavailable {
			t.Fatalf("refund %+v", r)
		}
		if atts, _ := b.svc.RefundAttempts(ctx, r.ID); len(atts) != 0 {
			t.Fatalf("attempts %+v", atts)
		}
		if got, _ := b.svc.Lookup(ctx, p.ID); !got.Refunding.IsZero() {
			t.Fatalf("refunding %v", got.Refunding)
		}
	})
}

// TestRefundCutShortByACrash: the process died after starting a try and
// before the refund request stored its reversal (nothing was sent). The
// sweep finds nothing at the bank for the try, declines it and makes the
// refund due again; the next try succeeds.
func TestRefundCutShortByACrash(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "crash", 10_00)
		r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, Amount: cny(4_00)})
		if err != nil {
			t.Fatal(err)
		}
		then := b.clock.Now().Add(-15 * time.Minute) // past the sweep's stale limit
		if _, err := d.ExecRaw(ctx, `UPDATE refunds SET status = 'processing', attempts = 1 WHERE id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecRaw(ctx, `INSERT INTO refund_attempts (id, refund_id, bank, state, created_at, updated_at)
VALUES ('rfa_crash', ?, 'icbc', 'sent', ?, ?)`, r.ID, then, then); err != nil {
			t.Fatal(err)
		}
		if got, _ := b.svc.ProcessRefund(ctx, r.ID); got.Status != payment.RefundProcessing {
			t.Fatalf("a processing refund was tried again: %+v", got)
		}
		if err := b.svc.ResolveRefunds(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := b.svc.LookupRefund(ctx, r.ID)
		atts, _ := b.svc.RefundAttempts(ctx, r.ID)
		if got.Status != payment.RefundPending || len(atts) != 1 || atts[0].State != payment.AttemptDeclined {
			t.Fatalf("refund %s, attempts %+v", got.Status, atts)
		}
		if got, _ = b.svc.ProcessRefund(ctx, r.ID); got.Status != payment.RefundPending {
			t.Fatalf("tried again before its retry delay: %+v", got)
		}
		b.clock.Advance(20 * time.Minute) // past the retry delay
		if got, _ = b.svc.ProcessRefund(ctx, r.ID); got.Status != payment.RefundSucceeded {
			t.Fatalf("next try: %+v", got)
		}
	})
}

// TestRefundRetriesRunOut: tries that never reach the bank make the
// refund due again after a growing wait, and after RefundMaxTries it fails.
func TestRefundRetriesRunOut(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.Paid(t, "retries", 10_00)
		r, err := b.svc.CreateRefund(ctx, payment.RefundParams{MerchantID: b.mch.ID, PaymentID: p.ID, Amount: cny(1_00)})
		if err != nil {
			t.Fatal(err)
		}
		for try := 1; try <= 5; try++ {
			// Each try's reversal is acknowledged as if its answer was lost.
			if _, err := d.ExecRaw(ctx, `UPDATE refunds SET status = 'processing', attempts = attempts + 1 WHERE id = ?`, r.ID); err != nil {
				t.Fatal(err)
			}
			att := fmt.Sprintf("rfa_try%d", try)
			now := time.Now().UTC()
			if _, err := d.ExecRaw(ctx, `INSERT INTO refund_attempts (id, refund_id, bank, state, created_at, updated_at)
VALUES (?, ?, 'icbc', 'unknown', ?, ?)`, att, r.ID, now, now); err != nil {
				t.Fatal(err)
			}
			if err := b.svc.Reversed(ctx, "rev_"+att, att); err != nil { // routed by the rfa_ prefix
				t.Fatal(err)
			}
			got, _ := b.svc.LookupRefund(ctx, r.ID)
			want := payment.RefundPending
			if try == 5 {
				want = payment.RefundFailed
			}
			if got.Status != want {
				t.Fatalf("after try %d: %s, want %s", try, got.Status, want)
			}
		}
		got, _ := b.svc.LookupRefund(ctx, r.ID)
		if got.FailureCode != payment.FailureRetriesExhausted {
			t.Fatalf("refund %+v", got)
		}
		if q, _ := b.svc.Lookup(ctx, p.ID); !q.Refunding.IsZero() || !q.Refunded.IsZero() {
			t.Fatalf("payment %+v", q)
		}
	})
}
