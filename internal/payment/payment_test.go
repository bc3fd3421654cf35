package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"paygate/internal/channel"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	cardOK       = "6222020000000000018"
	cardNoFunds  = "6222020000000000026"
	cardWrongPIN = "6222020000000000034"
	cardSilent   = "6222020000000000042"
	cardLimit    = "6222020000000000059"
	cmbOK        = "6214830000000000015"
	cmbDecline   = "6214830000000000023"
)

// bundle is the back end of paymenttest with the short names these tests use.
type bundle struct {
	*paymenttest.Env
	svc    *payment.Service
	ledger *ledger.Ledger
	mch    merchant.Merchant
	clock  *clock.Fake
}

func setup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	e := paymenttest.New(t, d)
	return &bundle{Env: e, svc: e.Service, ledger: e.Ledger, mch: e.Merchant, clock: e.Clock}
}

func (b *bundle) create(t *testing.T, orderNo string, amount int64) payment.Payment {
	t.Helper()
	return b.Create(t, orderNo, amount, "")
}

func (b *bundle) bankBalance(t *testing.T, pan string) int64 {
	t.Helper()
	return b.BankBalance(t, pan)
}

func (b *bundle) sent() []paymenttest.Event { return b.Events() }

// TestPayByCard: a good card pays, with the fee booked and the merchant
// told; the decline cards show their reasons and let the payer try again
// with another card.
func TestPayByCard(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "order-1", 10_000_00) // 10,000.00 CNY: above card 059's limit
		before := b.bankBalance(t, cardOK)

		for _, tc := range []struct {
			pan, pin, code string
		}{
			{cardNoFunds, "123456", "51"},
			{cardWrongPIN, "123456", "55"},
			{cardLimit, "123456", "61"},
			{cmbDecline, "888888", "05"},
		} {
			r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: tc.pan, PIN: tc.pin})
			if err != nil {
				t.Fatalf("%s: %v", tc.pan, err)
			}
			if r.Payment.Status != payment.Created || r.Attempt.State != payment.AttemptDeclined || r.Attempt.ResponseCode != tc.code || r.Attempt.Message == "" {
				t.Fatalf("%s: payment %s, attempt %+v; want created, declined %s", tc.pan, r.Payment.Status, r.Attempt, tc.code)
			}
		}
		r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"})
		if err != nil || r.Payment.Status != payment.Succeeded || r.Attempt.State != payment.AttemptApproved {
			t.Fatalf("good card: %+v, %v", r, err)
		}
		if r.Payment.Fee.Minor() != 60_00 || r.Attempt.CardMasked != "622202*********0018" || r.Attempt.Bank != "icbc" {
			t.Fatalf("fee %v, card %q, bank %q", r.Payment.Fee, r.Attempt.CardMasked, r.Attempt.Bank)
		}
		if got := b.bankBalance(t, cardOK); got != before-10_000_00 {
			t.Fatalf("bank balance %d, want %d", got, before-10_000_00)
		}
		pending, _ := b.ledger.Balance(ctx, "merchant:"+b.mch.ID+":pending:CNY")
		fees, _ := b.ledger.Balance(ctx, "income:fees:CNY")
		if pending.Minor() != 9_940_00 || fees.Minor() != 60_00 {
			t.Fatalf("ledger: pending %v, fees %v", pending, fees)
		}
		ev := b.sent()
		if len(ev) != 1 || ev[0].Type != "payment.succeeded" || ev[0].Payment.Status != payment.Succeeded || ev[0].URL != b.mch.NotifyURL {
			t.Fatalf("events %+v", ev)
		}
		if _, err := json.Marshal(ev[0].Payment); err != nil {
			t.Fatal(err)
		}
		// Paid is final.
		if _, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cmbOK, PIN: "888888"}); !errors.Is(err, payment.ErrNotPayable) {
			t.Fatalf("second pay: %v", err)
		}
		if _, err := b.svc.Close(ctx, b.mch.ID, p.ID); !errors.Is(err, payment.ErrNotClosable) {
			t.Fatalf("close paid: %v", err)
		}
		atts, _ := b.svc.Attempts(ctx, p.ID)
		if len(atts) != 5 {
			t.Fatalf("%d attempts, want 5", len(atts))
		}
		if rep, err := b.ledger.Check(ctx); err != nil || !rep.OK() {
			t.Fatalf("ledger check: %v %v", rep.Problems, err)
		}
	})
}

// TestSilentCardEndsNotPaid: card 042 never answers; the attempt is unknown,
// the reversal is acknowledged, the payment goes back to created, the bank
// balance is unchanged and the merchant is told nothing.
func TestSilentCardEndsNotPaid(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "order-silent", 12_34)
		before := b.bankBalance(t, cardSilent)
		r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardSilent, PIN: "123456"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Attempt.State != payment.AttemptUnknown && r.Attempt.State != payment.AttemptReversed {
			t.Fatalf("attempt %+v", r.Attempt)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, _ := b.svc.Lookup(ctx, p.ID)
			if got.Status == payment.Created {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("payment still %s", got.Status)
			}
			if err := b.svc.ResolveUnknown(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		atts, _ := b.svc.Attempts(ctx, p.ID)
		if len(atts) != 1 || atts[0].State != payment.AttemptReversed {
			t.Fatalf("attempts %+v", atts)
		}
		if got := b.bankBalance(t, cardSilent); got != before {
			t.Fatalf("bank balance %d, want %d", got, before)
		}
		if ev := b.sent(); len(ev) != 0 {
			t.Fatalf("merchant told %+v", ev)
		}
		// The payer can now pay with another card.
		if r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cmbOK, PIN: "888888"}); err != nil || r.Payment.Status != payment.Succeeded {
			t.Fatalf("retry: %+v %v", r, err)
		}
	})
}

func TestCreateGetListClose(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "order-a", 100)
		if _, err := b.svc.Create(ctx, payment.CreateParams{MerchantID: b.mch.ID, MerchantOrderNo: "order-a",
			Amount: money.New(100, money.CNY), Subject: "x"}); !errors.Is(err, payment.ErrDuplicateOrder) {
			t.Fatalf("duplicate order: %v", err)
		}
		for _, bad := range []payment.CreateParams{
			{MerchantID: b.mch.ID, MerchantOrderNo: "", Amount: money.New(1, money.CNY), Subject: "x"},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(0, money.CNY), Subject: "x"},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(-5, money.CNY), Subject: "x"},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(1, "XYZ"), Subject: "x"},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(1, money.CNY), Subject: ""},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(1, money.CNY), Subject: "x", ReturnURL: "javascript:alert(1)"},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(1, money.CNY), Subject: "x", Methods: []string{"cash"}},
			{MerchantID: b.mch.ID, MerchantOrderNo: "o", Amount: money.New(1, money.CNY), Subject: "x", ExpiresIn: time.Second},
		} {
			if _, err := b.svc.Create(ctx, bad); !errors.Is(err, payment.ErrInvalid) {
				t.Errorf("Create(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
		if got, err := b.svc.FindByOrderNo(ctx, b.mch.ID, "order-a"); err != nil || got.ID != p.ID {
			t.Fatalf("find: %v %v", got, err)
		}
		// Another merchant sees nothing.
		if _, err := b.svc.Get(ctx, "mch_other", p.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("other merchant Get: %v", err)
		}
		if _, err := b.svc.Close(ctx, "mch_other", p.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("other merchant Close: %v", err)
		}
		closed, err := b.svc.Close(ctx, b.mch.ID, p.ID)
		if err != nil || closed.Status != payment.Closed {
			t.Fatalf("close: %+v %v", closed, err)
		}
		if _, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"}); !errors.Is(err, payment.ErrNotPayable) {
			t.Fatalf("pay closed: %v", err)
		}
		if ev := b.sent(); len(ev) != 1 || ev[0].Type != "payment.closed" {
			t.Fatalf("events %+v", ev)
		}
	})
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p, err := b.svc.Create(ctx, payment.CreateParams{MerchantID: b.mch.ID, MerchantOrderNo: "exp",
			Amount: money.New(100, money.CNY), Subject: "x", ExpiresIn: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(2 * time.Minute)
		if n, err := b.svc.ExpireDue(ctx); err != nil || n != 1 {
			t.Fatalf("ExpireDue = %d, %v", n, err)
		}
		got, _ := b.svc.Lookup(ctx, p.ID)
		if got.Status != payment.Closed {
			t.Fatalf("status %s", got.Status)
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		var ids []string
		for i := range 7 {
			ids = append(ids, b.create(t, "list-"+string(rune('a'+i)), int64(100+i)).ID)
		}
		if _, err := b.svc.Close(ctx, b.mch.ID, ids[0]); err != nil {
			t.Fatal(err)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			page, next, err := b.svc.List(ctx, b.mch.ID, payment.ListFilter{Before: cursor, Limit: 3})
			if err != nil || pages > 5 {
				t.Fatalf("List: %v (page %d)", err, pages)
			}
			for _, p := range page {
				got = append(got, p.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(got) != 7 || got[0] != ids[6] || got[6] != ids[0] {
			t.Fatalf("listed %v, want newest first of %v", got, ids)
		}
		closed, _, err := b.svc.List(ctx, b.mch.ID, payment.ListFilter{Status: payment.Closed, Limit: 10})
		if err != nil || len(closed) != 1 || closed[0].ID != ids[0] {
			t.Fatalf("closed filter: %v %v", closed, err)
		}
		other, _, err := b.svc.List(ctx, "mch_other", payment.ListFilter{Limit: 10})
		if err != nil || len(other) != 0 {
			t.Fatalf("another merchant sees %v", other)
		}
		if _, _, err := b.svc.List(ctx, b.mch.ID, payment.ListFilter{Limit: 0}); !errors.Is(err, payment.ErrInvalid) {
			t.Fatalf("limit 0: %v", err)
		}
	})
}

// TestAttemptCutShortByACrashIsResolved: the process died after claiming
// the payment for an attempt and before recording its outcome, leaving the
// payment processing and the attempt "sent". The connector of the next
// process sends the pre-stored reversal and reports it by the attempt's
// reference: the attempt ends reversed and the payer can pay again.
func TestAttemptCutShortByACrashIsResolved(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "crash", 5_00)
		now := time.Now().UTC()
		if _, err := d.ExecRaw(ctx, `INSERT INTO payment_attempts (id, payment_id, channel, bank, card_masked, state, created_at, updated_at)
VALUES ('att_crash', ?, 'bankcard', 'icbc', '622202*********0018', 'sent', ?, ?)`, p.ID, now, now); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecRaw(ctx, `UPDATE payments SET status = 'processing' WHERE id = ?`, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"}); !errors.Is(err, payment.ErrAttemptInProgress) {
			t.Fatalf("pay while an attempt is unresolved: %v", err)
		}
		if err := b.svc.Reversed(ctx, "rev_from_next_process", "att_crash"); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Reversed(ctx, "rev_from_next_process", "att_crash"); err != nil { // twice is harmless
			t.Fatal(err)
		}
		atts, _ := b.svc.Attempts(ctx, p.ID)
		if len(atts) != 1 || atts[0].State != payment.AttemptReversed || atts[0].ReversalID != "rev_from_next_process" {
			t.Fatalf("attempts %+v", atts)
		}
		if r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"}); err != nil || r.Payment.Status != payment.Succeeded {
			t.Fatalf("pay after recovery: %+v %v", r, err)
		}
	})
}

// TestApprovalNotRecordedIsReversed: the bank approves the debit but the
// transaction that would record it (success, ledger entry, notification)
// fails. The approval was never confirmed, so the connector reverses the
// debit when its armed reversal falls due: the card is whole, the payment is
// payable again, and neither the books nor the merchant saw a success.
func TestApprovalNotRecordedIsReversed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "lost-approval", 7_00)
		before := b.bankBalance(t, cardOK)
		b.FailNotify.Store(true)
		if _, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"}); err == nil {
			t.Fatal("PayByCard succeeded though its transaction failed")
		}
		b.FailNotify.Store(false)
		deadline := time.Now().Add(15 * time.Second)
		for {
			got, _ := b.svc.Lookup(ctx, p.ID)
			if got.Status == payment.Created {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("payment still %s", got.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := b.bankBalance(t, cardOK); got != before {
			t.Fatalf("bank balance %d, want %d (the approval must be reversed)", got, before)
		}
		if ev := b.sent(); len(ev) != 0 {
			t.Fatalf("merchant told %+v", ev)
		}
		if r, err := b.ledger.Check(ctx); err != nil || !r.OK() || r.Entries != 0 {
			t.Fatalf("books: %+v %v; want no entry", r, err)
		}
		if r, err := b.svc.PayByCard(ctx, p.ID, channel.Card{PAN: cardOK, PIN: "123456"}); err != nil || r.Payment.Status != payment.Succeeded {
			t.Fatalf("pay again: %+v %v", r, err)
		}
	})
}

// TestAttemptCutShortBeforeSending: the process died after claiming the
// payment and before its debit stored a reversal (so before anything was
// sent). Long after, the sweep finds no stored reversal for the attempt —
// no money was taken — and hands the payment back to the payer.
func TestAttemptCutShortBeforeSending(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		p := b.create(t, "crash-early", 5_00)
		then := b.clock.Now().Add(-10 * time.Minute)
		if _, err := d.ExecRaw(ctx, `INSERT INTO payment_attempts (id, payment_id, channel, bank, card_masked, state, created_at, updated_at)
VALUES ('att_early', ?, 'bankcard', 'icbc', '622202*********0018', 'sent', ?, ?)`, p.ID, then, then); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecRaw(ctx, `UPDATE payments SET status = 'processing' WHERE id = ?`, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.ResolveUnknown(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := b.svc.Lookup(ctx, p.ID)
		atts, _ := b.svc.Attempts(ctx, p.ID)
		if got.Status != payment.Created || len(atts) != 1 || atts[0].State != payment.AttemptDeclined {
			t.Fatalf("payment %s, attempts %+v; want created with the attempt declined", got.Status, atts)
		}
	})
}
