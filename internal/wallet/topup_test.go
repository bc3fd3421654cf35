package wallet_test

import (
	"context"
	"testing"
	"time"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/money"
	"paygate/internal/payment/paymenttest"
	"paygate/internal/wallet"
)

// TestTopUpFromCard tops balances up over ISO 8583 against the simulator:
// an approval is credited (bank clearing → wallet) and the bank's balance
// falls by the same amount; a decline moves nothing; an unknown outcome is
// reversed and moves nothing either.
func TestTopUpFromCard(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		env := paymenttest.New(t, d)
		w := wallet.New(d, env.Ledger, func(context.Context, *db.Tx, string) (wallet.Recipient, error) {
			return wallet.Recipient{}, nil
		}, wallet.Options{})
		reversed := func(ref string) {
			if err := w.TopUpReversed(context.Background(), ref); err != nil {
				t.Errorf("TopUpReversed: %v", err)
			}
		}
		env.OnReversed.Store(&reversed)
		const (
			cardOK      = "6222020000000000018"
			cardNoFunds = "6222020000000000026"
			cardSilent  = "6222020000000000042"
		)
		bankBefore := env.BankBalance(t, cardOK)

		top, err := w.TopUpFromCard(ctx, env.Channel, "acct_alice", channel.Card{PAN: cardOK, PIN: "123456"}, money.New(1_000_00, money.CNY), "")
		if err != nil || top.State != "succeeded" || top.Bank != "icbc" {
			t.Fatalf("top-up: %+v %v", top, err)
		}
		if bal, _ := w.Balance(ctx, "acct_alice", money.CNY); bal.Minor() != 1_000_00 {
			t.Fatalf("balance %v", bal)
		}
		if got := env.BankBalance(t, cardOK); got != bankBefore-1_000_00 {
			t.Fatalf("bank %d, want %d", got, bankBefore-1_000_00)
		}

		top, err = w.TopUpFromCard(ctx, env.Channel, "acct_alice", channel.Card{PAN: cardNoFunds, PIN: "123456"}, money.New(50_00, money.CNY), "")
		if err != nil || top.State != "declined" || top.ResponseCode != "51" {
			t.Fatalf("declined top-up: %+v %v", top, err)
		}

		silentBefore := env.BankBalance(t, cardSilent)
		top, err = w.TopUpFromCard(ctx, env.Channel, "acct_alice", channel.Card{PAN: cardSilent, PIN: "123456"}, money.New(20_00, money.CNY), "")
		if err != nil || (top.State != "unknown" && top.State != "reversed") {
			t.Fatalf("silent top-up: %+v %v", top, err)
		}
		deadline := time.Now().Add(45 * time.Second) // the reversal goes out when due; generous for a loaded CI machine
		for {
			got, err := w.TopUpByID(ctx, top.ID)
			if err == nil && got.State == "reversed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("silent top-up still %+v (%v)", got, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := env.BankBalance(t, cardSilent); got != silentBefore {
			t.Fatalf("silent card %d, want %d", got, silentBefore)
		}
		if bal, _ := w.Balance(ctx, "acct_alice", money.CNY); bal.Minor() != 1_000_00 {
			t.Fatalf("balance after the failures %v", bal)
		}
		if r, err := env.Ledger.Check(ctx); err != nil || !r.OK() {
			t.Fatalf("ledger check: %v %v", r.Problems, err)
		}
	})
}
