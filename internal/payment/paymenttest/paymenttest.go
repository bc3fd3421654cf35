// Package paymenttest stands up the payment back end for tests of the
// packages built on it: the bank simulator (icbc and cmb) on loopback TCP,
// their connectors, the bank-card channel, the ledger, a merchant and a
// payment service over the caller's database. Nothing is faked but the
// notification outbox, which records what would be sent.
package paymenttest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/banksim"
	"paygate/internal/channel"
	"paygate/internal/channel/bankcard"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/merchant"
	"paygate/internal/money"
	"paygate/internal/payment"
	"paygate/internal/vault"
)

// Event is a notification the service enqueued: a payment's or a
// refund's (by Type: "payment.…" or "refund.…").
type Event struct {
	Type, URL string
	Payment   payment.Payment
	Refund    payment.Refund
}

// Env is a running back end.
type Env struct {
	Service  *payment.Service
	Sim      *banksim.Host
	Ledger   *ledger.Ledger
	Merchant merchant.Merchant
	Clock    *clock.Fake
	// FailNotify makes the transaction that would enqueue a notification
	// fail, to test what happens when recording an outcome fails.
	FailNotify atomic.Bool
	// Channel is the bank-card channel over the simulator's banks.
	Channel *bankcard.Channel
	// OnReversed, if set, is also told the client reference of every
	// acknowledged reversal (for requests that are not payment attempts).
	OnReversed atomic.Pointer[func(clientRef string)]
	// Vault seals the card numbers of card payments, for refunds.
	Vault *vault.Vault

	newService func([]channel.Channel) *payment.Service
	mu         sync.Mutex
	events     []Event
}

// AddChannels replaces Service with one that also takes payments through
// chs (besides the bank-card channel), on the same database, ledger,
// merchant and notification capture.
func (e *Env) AddChannels(chs ...channel.Channel) {
	e.Service = e.newService(append([]channel.Channel{e.Channel}, chs...))
}

// Prefixes route test cards to the simulated banks.
var prefixes = map[string]string{"icbc": "622202", "cmb": "621483"}

// New starts the back end over d; everything stops when t ends.
func New(t testing.TB, d *db.DB) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{Clock: clock.NewFake(time.Now())}
	v, err := vault.LoadOrCreate(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	e.Vault = v
	var (
		simBanks []banksim.BankConfig
		zmks     = map[string]hsm.Key{}
	)
	for _, name := range []string{"icbc", "cmb"} {
		k, err := hsm.NewKey(hsm.TDES2, nil)
		if err != nil {
			t.Fatal(err)
		}
		dl, _ := iso8583.Lookup(name)
		zmks[name] = k
		simBanks = append(simBanks, banksim.BankConfig{Name: name, Dialect: dl, Addr: "127.0.0.1:0", ZMK: k, MAC: hsm.AlgX919})
	}
	sim, err := banksim.New(ctx, filepath.Join(t.TempDir(), "bank.db"), simBanks, banksim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Stop)
	e.Sim = sim

	ids := id.NewGenerator(nil, nil)
	e.Ledger = ledger.New(d, ids)
	ms := merchant.NewStore(d, ids)
	if e.Merchant, err = ms.Create(ctx, "Demo Shop", "http://127.0.0.1:1/notify", merchant.FeePlan{RateBps: 60, MinMinor: 1}); err != nil {
		t.Fatal(err)
	}
	var routes []bankcard.Route
	for _, name := range []string{"icbc", "cmb"} {
		dl, _ := iso8583.Lookup(name)
		c, err := bank.New(bank.Config{
			Name: name, Dialect: dl, Addr: sim.Addr(name), AcquirerID: "48020000", MerchantID: "PAYGATE00000001",
			TerminalID: "PG000001", ZMK: zmks[name], MAC: hsm.AlgX919,
			RequestTimeout: 300 * time.Millisecond, ReversalRetry: 50 * time.Millisecond, ReversalRetryMax: 200 * time.Millisecond,
			ReversalGrace: 200 * time.Millisecond,
		}, d, bank.Options{OnReversedFunc: func(r bank.Reversal) {
			if err := e.Service.Reversed(context.Background(), r.ID, r.ClientRef); err != nil {
				t.Errorf("Reversed: %v", err)
			}
			if f := e.OnReversed.Load(); f != nil {
				(*f)(r.ClientRef)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Stop)
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = c.WaitReady(wctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, bankcard.Route{Prefix: prefixes[name], Connector: c})
	}
	e.Channel = bankcard.New(routes...)
	e.newService = func(chs []channel.Channel) *payment.Service {
		return payment.NewService(d, e.Ledger, ms, chs, payment.Options{
			Clock: e.Clock, IDs: ids, Vault: e.Vault,
			Notify: func(ctx context.Context, tx *db.Tx, merchantID, typ, url string, data any) error {
				if e.FailNotify.Load() {
					return errors.New("outbox unavailable")
				}
				ev := Event{Type: typ, URL: url}
				switch v := data.(type) {
				case payment.Payment:
					ev.Payment = v
				case payment.Refund:
					ev.Refund = v
				default:
					return fmt.Errorf("paymenttest: notification of %T", data)
				}
				e.mu.Lock()
				defer e.mu.Unlock()
				e.events = append(e.events, ev)
				return nil
			},
		})
	}
	e.Service = e.newService([]channel.Channel{e.Channel})
	return e
}

// Events returns the notifications enqueued so far.
func (e *Env) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// Create opens a CNY payment for the merchant; returnURL may be "".
func (e *Env) Create(t testing.TB, orderNo string, amount int64, returnURL string) payment.Payment {
	t.Helper()
	p, err := e.Service.Create(context.Background(), payment.CreateParams{MerchantID: e.Merchant.ID, MerchantOrderNo: orderNo,
		Amount: money.New(amount, money.CNY), Subject: "一杯咖啡 coffee", ReturnURL: returnURL})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BankBalance returns a card's CNY balance at the simulated bank.
func (e *Env) BankBalance(t testing.TB, pan string) int64 {
	t.Helper()
	v, err := e.Sim.Balance(context.Background(), pan, "CNY")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Paid opens a CNY payment of amount and pays it with the approving icbc
// test card 6222020000000000018.
func (e *Env) Paid(t testing.TB, orderNo string, amount int64) payment.Payment {
	t.Helper()
	p := e.Create(t, orderNo, amount, "")
	r, err := e.Service.PayByCard(context.Background(), p.ID, channel.Card{PAN: CardOK, PIN: "123456"})
	if err != nil || r.Payment.Status != payment.Succeeded {
		t.Fatalf("paying %s: %+v, %v", orderNo, r.Payment, err)
	}
	return r.Payment
}

// CardOK is the icbc test card that approves (PIN 123456).
const CardOK = "6222020000000000018"
