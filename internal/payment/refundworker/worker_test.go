package refundworker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/payment/refundworker"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// refunds pays n payments of amount and creates one refund of each, of
// refund; it returns the refund ids.
func refunds(t *testing.T, env *paymenttest.Env, n int, amount, refund int64) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := env.Paid(t, fmt.Sprintf("order-%05d", i), amount)
			r, err := env.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: env.Merchant.ID, PaymentID: p.ID,
				Amount: money.New(refund, money.CNY), BatchID: "rfb_test"})
			if err != nil {
				t.Errorf("CreateRefund: %v", err)
				return
			}
			ids[i] = r.ID
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// waitDone waits until no refund of the batch is pending or processing.
func waitDone(t *testing.T, env *paymenttest.Env, within time.Duration) []payment.Refund {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rs, err := env.Service.RefundsOfBatch(context.Background(), env.Merchant.ID, "rfb_test")
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, r := range rs {
			if r.Status == payment.RefundPending || r.Status == payment.RefundProcessing {
				open++
			}
		}
		if open == 0 {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d refunds still open after %v", open, len(rs), within)
		}
		// The service runs on a fake clock: a refund whose bank answer came
		// too late (a loaded machine) is due again only as it moves.
		env.Clock.Advance(100 * time.Millisecond)
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWorkersShareTheRefunds: two workers (as on two gateway instances)
// carry out a batch of refunds between them; each refund is tried exactly
// once, the card gets exactly what was refunded, and the books balance.
func TestWorkersShareTheRefunds(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		env := paymenttest.New(t, d)
		ctx := context.Background()
		ids := refunds(t, env, 40, 10_00, 7_50)
		before := env.BankBalance(t, paymenttest.CardOK)
		var workers []*refundworker.Worker
		for range 2 {
			w := refundworker.New(env.Service, refundworker.Options{MaxInFlight: 8, PollInterval: 20 * time.Millisecond})
			if err := w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Stop)
			workers = append(workers, w)
		}
		workers[0].Wake()
		rs := waitDone(t, env, 30*time.Second)
		if len(rs) != len(ids) {
			t.Fatalf("%d refunds in the batch, want %d", len(rs), len(ids))
		}
		for _, r := range rs {
			atts, err := env.Service.RefundAttempts(ctx, r.ID)
			if r.Status != payment.RefundSucceeded || err != nil || len(atts) != 1 {
				t.Fatalf("refund %s: %s with %d attempts (%v)", r.ID, r.Status, len(atts), err)
			}
		}
		if got := env.BankBalance(t, paymenttest.CardOK); got != before+int64(len(ids))*7_50 {
			t.Fatalf("card balance %d, want %d", got, before+int64(len(ids))*7_50)
		}
		if rep, err := env.Ledger.Check(ctx); err != nil || !rep.OK() {
			t.Fatalf("ledger check: %v %v", rep.Problems, err)
		}
		for _, w := range workers {
			w.Stop()
			w.Stop() // idempotent
		}
	})
}

// TestRunDue: without starting, RunDue carries out what is due now and
// leaves alone what is not due yet.
func TestRunDue(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		env := paymenttest.New(t, d)
		ctx := context.Background()
		ids := refunds(t, env, 3, 5_00, 5_00)
		w := refundworker.New(env.Service, refundworker.Options{})
		t.Cleanup(w.Stop)
		n, err := w.RunDue(ctx)
		if err != nil || n != 3 {
			t.Fatalf("RunDue = %d, %v; want 3", n, err)
		}
		for _, id := range ids {
			if r, _ := env.Service.LookupRefund(ctx, id); r.Status != payment.RefundSucceeded {
				t.Fatalf("refund %s %s", id, r.Status)
			}
		}
		if n, err := w.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("second RunDue = %d, %v", n, err)
		}
	})
}

// TestThroughput carries out 1,000 card refunds on SQLite through one
// worker and reports the rate (the refund sheet's benchmark wants 10,000
// well under a minute).
func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	t.Parallel()
	d := dbtest.NewSQLite(t)
	env := paymenttest.New(t, d)
	ctx := context.Background()
	const n = 1000
	refunds(t, env, n, 2_00, 1_00)
	w := refundworker.New(env.Service, refundworker.Options{})
	start := time.Now()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	rs := waitDone(t, env, 60*time.Second)
	took := time.Since(start)
	for _, r := range rs {
		if r.Status != payment.RefundSucceeded {
			t.Fatalf("refund %s: %s %s", r.ID, r.Status, r.FailureMessage)
		}
	}
	t.Logf("%d card refunds in %v: %.0f/s", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
}
