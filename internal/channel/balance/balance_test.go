package balance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/channel"
	"paygate/internal/channel/balance"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/wallet"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func noRecipient(context.Context, *db.Tx, string) (wallet.Recipient, error) {
	return wallet.Recipient{}, nil
}

// fund credits an account's balance from the icbc clearing account.
func fund(t *testing.T, d *db.DB, l *ledger.Ledger, w *wallet.Wallet, acct string, minor int64) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := l.OpenAccount(ctx, tx, ledger.AccountSpec{Name: "bank:icbc:clearing:CNY", Currency: money.CNY, AllowNegative: true}); err != nil {
			return err
		}
		return w.FundTx(ctx, tx, acct, "bank:icbc:clearing:CNY", money.New(minor, money.CNY), "test:fund:"+acct)
	})
	if err != nil {
		t.Fatalf("fund: %v", err)
	}
}

// TestPayFromBalance pays shop orders from a balance: approved payments are
// booked wallet → merchant and notified like card payments; refusals
// (balance, per-payment limit, per-day limit, method not allowed, no payer)
// leave no attempt, no entry and the payment payable.
func TestPayFromBalance(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		env := paymenttest.New(t, d)
		days := clock.NewFake(time.Now()) // the wallet's clock decides where a day of spending ends
		w := wallet.New(d, env.Ledger, noRecipient, wallet.Options{Clock: days})
		env.AddChannels(balance.New(w, wallet.Limits{PerPayment: 500_00, PerDay: 800_00}))
		const acct = "acct_payer"
		fund(t, d, env.Ledger, w, acct, 1_000_00)

		pay := func(order string, amount int64) (payment.Payment, error) {
			p := env.Create(t, order, amount, "")
			_, err := env.Service.PayFromAccount(ctx, p.ID, balance.Method, acct)
			got, lerr := env.Service.Lookup(ctx, p.ID)
			if lerr != nil {
				t.Fatal(lerr)
			}
			return got, err
		}
		steps := []struct {
			name    string
			amount  int64
			advance time.Duration
			want    error
			balance int64
		}{
			{"fits", 300_00, 0, nil, 700_00},
			{"above the per-payment limit", 500_01, 0, wallet.ErrOverPaymentLimit, 700_00},
			{"fits again", 450_00, 0, nil, 250_00},
			{"above the day's limit", 60_00, 0, wallet.ErrOverDailyLimit, 250_00},
			{"next day, above the balance", 250_01, 24 * time.Hour, payment.ErrInsufficientBalance, 250_00},
			{"next day, the whole balance", 250_00, 0, nil, 0},
		}
		for i, st := range steps {
			days.Advance(st.advance)
			entriesBefore := countRows(t, d, "ledger_entries")
			p, err := pay(fmt.Sprintf("bal-%d", i), st.amount)
			if !errors.Is(err, st.want) {
				t.Fatalf("%s: err %v, want %v", st.name, err, st.want)
			}
			if b, _ := w.Balance(ctx, acct, money.CNY); b.Minor() != st.balance {
				t.Fatalf("%s: balance %v, want %d", st.name, b, st.balance)
			}
			atts, _ := env.Service.Attempts(ctx, p.ID)
			if st.want != nil {
				if p.Status != payment.Created || len(atts) != 0 || countRows(t, d, "ledger_entries") != entriesBefore {
					t.Fatalf("%s: refusal left a trace: status %s, %d attempts", st.name, p.Status, len(atts))
				}
				continue
			}
			if p.Status != payment.Succeeded || len(atts) != 1 || atts[0].PayerAccount != acct || atts[0].Channel != "account" {
				t.Fatalf("%s: %+v %+v", st.name, p, atts)
			}
		}
		var succeeded int
		for _, e := range env.Events() {
			if e.Type == "payment.succeeded" {
				succeeded++
			}
		}
		if succeeded != 3 {
			t.Fatalf("%d notifications, want 3", succeeded)
		}
		pending, _ := env.Ledger.Balance(ctx, "merchant:"+env.Merchant.ID+":pending:CNY")
		fees, _ := env.Ledger.Balance(ctx, "income:fees:CNY")
		if pending.Minor()+fees.Minor() != 1_000_00 {
			t.Fatalf("merchant %v + fees %v, want 1000.00", pending, fees)
		}

		// A payment that does not allow the account method, and one with no payer.
		p, err := env.Service.Create(ctx, payment.CreateParams{MerchantID: env.Merchant.ID, MerchantOrderNo: "card-only",
			Amount: money.New(1_00, money.CNY), Subject: "x", Methods: []string{"bankcard"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.PayFromAccount(ctx, p.ID, balance.Method, acct); !errors.Is(err, payment.ErrMethodNotAllowed) {
			t.Fatalf("card-only payment: %v", err)
		}
		p = env.Create(t, "no-payer", 1_00, "")
		if _, err := env.Service.PayFromAccount(ctx, p.ID, balance.Method, ""); !errors.Is(err, balance.ErrNoPayer) {
			t.Fatalf("no payer: %v", err)
		}
		if rep, err := env.Ledger.Check(ctx); err != nil || !rep.OK() {
			t.Fatalf("ledger check: %+v %v", rep, err)
		}
	})
}

func countRows(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// instance is one gateway's payment service over its own database handle.
type instance struct {
	payments *payment.Service
	notified *atomic.Int64
}

func newInstance(t *testing.T, dsn string, notified *atomic.Int64) (*instance, *db.DB, *ledger.Ledger, *wallet.Wallet, *merchant.Store) {
	d := dbtest.Open(t, dsn, db.Options{})
	ids := id.NewGenerator(nil, nil)
	l := ledger.New(d, ids)
	ms := merchant.NewStore(d, ids)
	w := wallet.New(d, l, noRecipient, wallet.Options{IDs: ids})
	svc := payment.NewService(d, l, ms, []channel.Channel{balance.New(w, wallet.Limits{})}, payment.Options{
		IDs: ids, Clock: clock.System{},
		Notify: func(context.Context, *db.Tx, string, string, string, any) error { notified.Add(1); return nil },
	})
	return &instance{payments: svc, notified: notified}, d, l, w, ms
}

// TestConcurrentPaymentsFromOneBalance: 20 payments of 75.00 from a
// balance of 1,000.00, all at once, through one gateway instance and
// through two instances (separate connection pools, as two processes) on
// one database: exactly the 13 that fit succeed, the other 7 fail with
// ErrInsufficientBalance and leave their payments payable, the balance
// ends at 25.00 and never went below zero (the ledger check replays it).
func TestConcurrentPaymentsFromOneBalance(t *testing.T) {
	t.Parallel()
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d-instances", instances), func(t *testing.T) {
			t.Parallel()
			dbtest.EngineDSNs(t, func(t *testing.T, _ db.Engine, dsn string) {
				ctx := context.Background()
				var notified atomic.Int64
				a, d, l, w, ms := newInstance(t, dsn, &notified)
				gws := []*instance{a}
				if instances == 2 {
					b, _, _, _, _ := newInstance(t, dsn, &notified)
					gws = append(gws, b)
				}
				m, err := ms.Create(ctx, "Shop", "http://127.0.0.1:1/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1})
				if err != nil {
					t.Fatal(err)
				}
				const acct = "acct_rich"
				fund(t, d, l, w, acct, 1_000_00)
				var ids []string
				for i := range 20 {
					p, err := a.payments.Create(ctx, payment.CreateParams{MerchantID: m.ID, MerchantOrderNo: fmt.Sprintf("c-%d", i),
						Amount: money.New(75_00, money.CNY), Subject: "order"})
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, p.ID)
				}
				var (
					wg           sync.WaitGroup
					ok, short    atomic.Int64
					start        = make(chan struct{})
					unexpectedMu sync.Mutex
					unexpected   []error
				)
				for i, pid := range ids {
					gw := gws[i%len(gws)]
					wg.Go(func() {
						<-start
						_, err := gw.payments.PayFromAccount(ctx, pid, balance.Method, acct)
						switch {
						case err == nil:
							ok.Add(1)
						case errors.Is(err, payment.ErrInsufficientBalance):
							short.Add(1)
						default:
							unexpectedMu.Lock()
							unexpected = append(unexpected, err)
							unexpectedMu.Unlock()
						}
					})
				}
				close(start)
				wg.Wait()
				if len(unexpected) > 0 {
					t.Fatalf("unexpected errors: %v", unexpected)
				}
				if ok.Load() != 13 || short.Load() != 7 || notified.Load() != 13 {
					t.Fatalf("%d paid, %d refused, %d notified; want 13, 7, 13", ok.Load(), short.Load(), notified.Load())
				}
				if b, _ := w.Balance(ctx, acct, money.CNY); b.Minor() != 25_00 {
					t.Fatalf("balance %v, want 25.00", b)
				}
				var paid, payable int
				for _, pid := range ids {
					p, err := a.payments.Get(ctx, m.ID, pid)
					if err != nil {
						t.Fatal(err)
					}
					switch p.Status {
					case payment.Succeeded:
						paid++
					case payment.Created:
						payable++
					}
				}
				if paid != 13 || payable != 7 {
					t.Fatalf("%d succeeded, %d payable", paid, payable)
				}
				if rep, err := l.Check(ctx); err != nil || !rep.OK() {
					t.Fatalf("ledger check: %+v %v", rep, err)
				}
			})
		})
	}
}

// TestRefundToBalance: refunds of a payment from a balance go back to that
// balance at once, in one transaction with their ledger entry — merchant
// pending less the fee given back in proportion, the fee income giving it
// back — and their notification; the whole payment refunded leaves the
// merchant and the fees at zero and the payer whole.
func TestRefundToBalance(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		env := paymenttest.New(t, d)
		w := wallet.New(d, env.Ledger, noRecipient, wallet.Options{})
		env.AddChannels(balance.New(w, wallet.Limits{}))
		const acct = "acct_refunded"
		fund(t, d, env.Ledger, w, acct, 500_00)
		p := env.Create(t, "bal-refund", 200_00, "")
		if _, err := env.Service.PayFromAccount(ctx, p.ID, balance.Method, acct); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			amount, balance, pending, fees int64
		}{
			{50_00, 350_00, 198_80 - (50_00 - 30), 120 - 30},
			{150_00, 500_00, 0, 0},
		}
		for i, st := range steps {
			r, err := env.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: env.Merchant.ID, PaymentID: p.ID,
				MerchantRefundNo: fmt.Sprintf("bal-%d", i), Amount: money.New(st.amount, money.CNY)})
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != balance.Method {
				t.Fatalf("method %q", r.Method)
			}
			if r, err = env.Service.ProcessRefund(ctx, r.ID); err != nil || r.Status != payment.RefundSucceeded {
				t.Fatalf("refund %d: %+v %v", i, r, err)
			}
			if b, _ := w.Balance(ctx, acct, money.CNY); b.Minor() != st.balance {
				t.Fatalf("step %d: balance %v, want %d", i, b, st.balance)
			}
			pending, _ := env.Ledger.Balance(ctx, "merchant:"+env.Merchant.ID+":pending:CNY")
			fees, _ := env.Ledger.Balance(ctx, "income:fees:CNY")
			if pending.Minor() != st.pending || fees.Minor() != st.fees {
				t.Fatalf("step %d: pending %v fees %v, want %d %d", i, pending, fees, st.pending, st.fees)
			}
		}
		if _, err := env.Service.CreateRefund(ctx, payment.RefundParams{MerchantID: env.Merchant.ID, PaymentID: p.ID,
			Amount: money.New(1, money.CNY)}); !errors.Is(err, payment.ErrRefundExceeds) {
			t.Fatalf("refund past the amount: %v", err)
		}
		var notified int
		for _, e := range env.Events() {
			if e.Type == "refund.succeeded" && e.Refund.Status == payment.RefundSucceeded {
				notified++
			}
		}
		if notified != 2 {
			t.Fatalf("%d refund notifications, want 2", notified)
		}
		if rep, err := env.Ledger.Check(ctx); err != nil || !rep.OK() {
			t.Fatalf("ledger check: %+v %v", rep, err)
		}
	})
}
