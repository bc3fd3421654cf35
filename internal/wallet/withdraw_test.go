package wallet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"paygate/internal/channel"
	"paygate/internal/channel/bankcard"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/wallet"
)

// Test cards of the simulator (internal/banksim/cards.go). No test card
// declines a credit (their decline behaviours apply to debits), so the
// declined credit goes to a number routed to icbc that the bank does not
// know: it answers 14, invalid card.
const (
	cardOK      = "6222020000000000018"
	cardSilent  = "6222020000000000042"
	cardUnknown = "6222029999999999999"
	cardNoRoute = "9999990000000000017"
)

// withdrawBundle is a wallet over the payment back end (the simulator, its
// connectors and the bank-card channel) with a clock the test moves.
type withdrawBundle struct {
	env   *paymenttest.Env
	w     *wallet.Wallet
	d     *db.DB
	clock *clock.Fake
}

func newWithdrawBundle(t *testing.T, d *db.DB) *withdrawBundle {
	t.Helper()
	b := &withdrawBundle{env: paymenttest.New(t, d), d: d, clock: clock.NewFake(time.Now())}
	b.w = wallet.New(d, b.env.Ledger, func(context.Context, *db.Tx, string) (wallet.Recipient, error) {
		return wallet.Recipient{}, nil
	}, wallet.Options{Clock: b.clock})
	return b
}

// listenReversals reports acknowledged reversals to the wallet, as the
// gateway's connector callback does.
func (b *withdrawBundle) listenReversals(t *testing.T) {
	f := func(ref string) {
		if _, err := b.w.Reversed(context.Background(), ref); err != nil {
			t.Errorf("Reversed(%s): %v", ref, err)
		}
	}
	b.env.OnReversed.Store(&f)
}

// topUp credits 1,000.00 to accountID from cardOK.
func (b *withdrawBundle) topUp(t *testing.T, accountID string) {
	t.Helper()
	top, err := b.w.TopUpFromCard(context.Background(), b.env.Channel, accountID, channel.Card{PAN: cardOK, PIN: "123456"}, cny(1_000_00), "")
	if err != nil || top.State != "succeeded" {
		t.Fatalf("top-up: %+v %v", top, err)
	}
}

// fund credits 1,000.00 to accountID from outside the bank, for tests whose
// subject is not the top-up.
func (b *withdrawBundle) fund(t *testing.T, accountID string) {
	t.Helper()
	ctx := context.Background()
	if err := b.env.Ledger.OpenAccounts(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, AllowNegative: true}); err != nil {
		t.Fatal(err)
	}
	err := b.d.InTx(ctx, func(tx *db.Tx) error {
		return b.w.FundTx(ctx, tx, accountID, "world", cny(1_000_00), "fund:"+accountID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (b *withdrawBundle) balance(t *testing.T, accountID string) int64 {
	t.Helper()
	v, err := b.w.Balance(context.Background(), accountID, money.CNY)
	if err != nil {
		t.Fatal(err)
	}
	return v.Minor()
}

func (b *withdrawBundle) checkBooks(t *testing.T) {
	t.Helper()
	if r, err := b.env.Ledger.Check(context.Background()); err != nil || !r.OK() {
		t.Fatalf("ledger check: %v %v", r.Problems, err)
	}
	if v, err := b.env.Ledger.Balance(context.Background(), "withdrawals:pending:CNY"); err == nil && v.Minor() != 0 {
		t.Fatalf("withdrawals:pending holds %d", v.Minor())
	}
}

// waitState polls until the withdrawal is in state want.
func (b *withdrawBundle) waitState(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second) // the reversal goes out when due; generous for a loaded CI machine
	for {
		got, err := b.w.WithdrawalByID(context.Background(), id)
		if err == nil && got.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("withdrawal still %+v (%v), want %s", got, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// chargeOnly is a channel that cannot pay out.
type chargeOnly struct{ channel.Channel }

// TestWithdraw withdraws over ISO 8583 against the simulator: an approved
// credit moves the money on to the bank (balance down, card up); anything
// that moves nothing at the bank gives the money back, and a refused
// withdrawal writes nothing at all.
func TestWithdraw(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newWithdrawBundle(t, d)
		tests := []struct {
			name      string
			ch        channel.Channel // nil: the bank-card channel
			card      string
			amount    int64
			wantErr   error // matched with errors.Is; nil: none
			anyErr    bool  // some error that is none of ours
			wantState string
			wantCode  string
			wantBal   int64 // the balance afterwards, of 1,000.00
			cardDelta int64 // what cardOK gains
		}{
			{name: "ToCard", card: cardOK, amount: 300_00, wantState: "succeeded", wantCode: "00", wantBal: 700_00, cardDelta: 300_00},
			{name: "WholeBalance", card: cardOK, amount: 1_000_00, wantState: "succeeded", wantCode: "00", cardDelta: 1_000_00},
			{name: "MoreThanBalance", card: cardOK, amount: 1_000_01, wantErr: wallet.ErrInsufficientFunds, wantBal: 1_000_00},
			{name: "Zero", card: cardOK, amount: 0, wantErr: wallet.ErrInvalid, wantBal: 1_000_00},
			{name: "NotAPayouter", ch: chargeOnly{b.env.Channel}, card: cardOK, amount: 1_00, anyErr: true, wantBal: 1_000_00},
			{name: "DeclinedCredit", card: cardUnknown, amount: 300_00, wantState: "declined", wantCode: "14", wantBal: 1_000_00},
			{name: "NoRoute", card: cardNoRoute, amount: 300_00, wantErr: bankcard.ErrNoRoute, wantBal: 1_000_00}, // refused before anything is held
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				acct := "acct_" + tt.name
				b.topUp(t, acct)
				ch := tt.ch
				if ch == nil {
					ch = b.env.Channel
				}
				cardBefore := b.env.BankBalance(t, cardOK)
				wd, err := b.w.Withdraw(ctx, ch, acct, channel.Card{PAN: tt.card}, cny(tt.amount), "")
				switch {
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				case tt.anyErr && err == nil:
					t.Fatal("no error")
				case tt.wantErr == nil && !tt.anyErr && err != nil:
					t.Fatalf("err %v", err)
				}
				if wd.State != tt.wantState || wd.ResponseCode != tt.wantCode {
					t.Fatalf("withdrawal %+v, want %s %s", wd, tt.wantState, tt.wantCode)
				}
				if got := b.balance(t, acct); got != tt.wantBal {
					t.Fatalf("balance %d, want %d", got, tt.wantBal)
				}
				if got := b.env.BankBalance(t, cardOK) - cardBefore; got != tt.cardDelta {
					t.Fatalf("card gained %d, want %d", got, tt.cardDelta)
				}
				list, err := b.w.Withdrawals(ctx, acct, 0)
				if err != nil {
					t.Fatal(err)
				}
				if tt.wantState == "" {
					if len(list) != 0 {
						t.Fatalf("a refused withdrawal was written: %+v", list)
					}
				} else {
					if len(list) != 1 || list[0].ID != wd.ID || list[0].State != tt.wantState {
						t.Fatalf("withdrawals %+v", list)
					}
					if got, err := b.w.WithdrawalByID(ctx, wd.ID); err != nil || got.State != tt.wantState || got.Amount != cny(tt.amount) {
						t.Fatalf("by id: %+v %v", got, err)
					}
				}
				b.checkBooks(t)
			})
		}
		if _, err := b.w.WithdrawalByID(ctx, "wdr_none"); !errors.Is(err, wallet.ErrWithdrawalNotFound) {
			t.Fatalf("missing withdrawal: %v", err)
		}
	})
}

// TestWithdrawUnknownIsReversed: a credit the bank never answers is
// reversed; the acknowledgement gives the money back once, however often
// it is reported, and the card ends where it began.
func TestWithdrawUnknownIsReversed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newWithdrawBundle(t, d)
		b.listenReversals(t)
		b.fund(t, "acct_alice")
		silentBefore := b.env.BankBalance(t, cardSilent)

		wd, err := b.w.Withdraw(ctx, b.env.Channel, "acct_alice", channel.Card{PAN: cardSilent}, cny(200_00), "")
		if err != nil || (wd.State != "unknown" && wd.State != "reversed") {
			t.Fatalf("silent withdrawal: %+v %v", wd, err)
		}
		b.waitState(t, wd.ID, "reversed")
		for range 2 {
			if err := b.w.WithdrawalReversed(ctx, wd.ID); err != nil {
				t.Fatal(err)
			}
			if handled, err := b.w.Reversed(ctx, wd.ID); !handled || err != nil {
				t.Fatalf("Reversed: %v %v", handled, err)
			}
		}
		if got := b.balance(t, "acct_alice"); got != 1_000_00 {
			t.Fatalf("balance %d, want 1000.00", got)
		}
		if got := b.env.BankBalance(t, cardSilent); got != silentBefore {
			t.Fatalf("silent card %d, want %d", got, silentBefore)
		}
		if handled, err := b.w.Reversed(ctx, "att_123"); handled || err != nil {
			t.Fatalf("a payment attempt's reversal: %v %v", handled, err)
		}
		b.checkBooks(t)
	})
}

// crashing stands for a process that dies in the middle of a bank request:
// before anything is sent, or after the bank approved but before the
// approval was recorded.
type crashing struct {
	*bankcard.Channel
	afterSend bool
}

type crash struct{}

func (c crashing) Charge(ctx context.Context, ch channel.Charge) (channel.Result, error) {
	if c.afterSend {
		_, _ = c.Channel.Charge(ctx, ch)
	}
	panic(crash{})
}

func (c crashing) Payout(ctx context.Context, p channel.Payout) (channel.Result, error) {
	if c.afterSend {
		_, _ = c.Channel.Payout(ctx, p)
	}
	panic(crash{})
}

// survive runs f, which crashes.
func survive(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != (crash{}) {
			t.Fatalf("recovered %v, want a crash", r)
		}
	}()
	f()
}

// TestResolveOpen: top-ups and withdrawals left "sent" by a process that
// died are resolved by the sweep once stale: declined when nothing reached
// the bank, reversed when the bank's approval was never recorded (its
// reversal is sent when due) — the withdrawn money comes back either way,
// and the cards end where they began.
func TestResolveOpen(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newWithdrawBundle(t, d) // no reversal listener: the process is "down"
		tests := []struct {
			name      string
			afterSend bool
			want      string
		}{
			{"BeforeSend", false, "declined"},
			{"AfterApproval", true, "reversed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				acct := "acct_" + tt.name
				b.clock.Set(time.Now())
				b.fund(t, acct)
				cardBefore := b.env.BankBalance(t, cardOK)
				ch := crashing{Channel: b.env.Channel, afterSend: tt.afterSend}
				survive(t, func() {
					_, _ = b.w.Withdraw(ctx, ch, acct, channel.Card{PAN: cardOK}, cny(300_00), "")
				})
				survive(t, func() {
					_, _ = b.w.TopUpFromCard(ctx, ch, acct, channel.Card{PAN: cardOK, PIN: "123456"}, cny(50_00), "")
				})
				wds, _ := b.w.Withdrawals(ctx, acct, 10)
				tops, _ := b.w.TopUps(ctx, acct, 10)
				if len(wds) != 1 || wds[0].State != "sent" || len(tops) != 1 || tops[0].State != "sent" {
					t.Fatalf("after the crash: %+v %+v", wds, tops)
				}
				if got := b.balance(t, acct); got != 700_00 {
					t.Fatalf("balance while sent %d", got)
				}

				// Not stale yet: the sweep leaves them alone.
				if err := b.w.ResolveOpen(ctx, b.env.Channel); err != nil {
					t.Fatal(err)
				}
				if got, _ := b.w.WithdrawalByID(ctx, wds[0].ID); got.State != "sent" {
					t.Fatalf("resolved too early: %+v", got)
				}

				b.clock.Advance(3 * time.Minute)
				deadline := time.Now().Add(45 * time.Second) // the reversal goes out when due; generous for a loaded CI machine
				for {
					if err := b.w.ResolveOpen(ctx, b.env.Channel); err != nil {
						t.Fatal(err)
					}
					wd, _ := b.w.WithdrawalByID(ctx, wds[0].ID)
					top, _ := b.w.TopUpByID(ctx, tops[0].ID)
					if wd.State == tt.want && top.State == tt.want {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("withdrawal %+v, top-up %+v; want %s", wd, top, tt.want)
					}
					time.Sleep(20 * time.Millisecond)
				}
				if err := b.w.ResolveOpen(ctx, b.env.Channel); err != nil { // nothing more
					t.Fatal(err)
				}
				if got := b.balance(t, acct); got != 1_000_00 {
					t.Fatalf("balance %d, want 1000.00", got)
				}
				if got := b.env.BankBalance(t, cardOK); got != cardBefore {
					t.Fatalf("card %d, want %d", got, cardBefore)
				}
				b.checkBooks(t)
			})
		}
	})
}
