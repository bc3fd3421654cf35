package wallet_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/wallet"
)

// keyedRequest is what a request-key test needs of a top-up or a
// withdrawal of amount between an account and a card.
type keyedRequest struct {
	// do makes the request and returns its id and state.
	do func(ctx context.Context, b *withdrawBundle, acct, pan string, amount int64, key string) (string, string, error)
	// rows returns how many requests of this kind the account has.
	rows func(t *testing.T, b *withdrawBundle, acct string) int
	// cardSign and balanceSign say which way a succeeded request moves
	// the card's and the balance's money: +1 in, -1 out.
	cardSign, balanceSign int64
}

var (
	topUpRequest = keyedRequest{
		do: func(ctx context.Context, b *withdrawBundle, acct, pan string, amount int64, key string) (string, string, error) {
			top, err := b.w.TopUpFromCard(ctx, b.env.Channel, acct, channel.Card{PAN: pan, PIN: "123456"}, cny(amount), key)
			return top.ID, top.State, err
		},
		rows: func(t *testing.T, b *withdrawBundle, acct string) int {
			t.Helper()
			list, err := b.w.TopUps(context.Background(), acct, 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		},
		cardSign: -1, balanceSign: +1,
	}
	withdrawRequest = keyedRequest{
		do: func(ctx context.Context, b *withdrawBundle, acct, pan string, amount int64, key string) (string, string, error) {
			wd, err := b.w.Withdraw(ctx, b.env.Channel, acct, channel.Card{PAN: pan}, cny(amount), key)
			return wd.ID, wd.State, err
		},
		rows: func(t *testing.T, b *withdrawBundle, acct string) int {
			t.Helper()
			list, err := b.w.Withdrawals(context.Background(), acct, 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		},
		cardSign: +1, balanceSign: -1,
	}
)

// TestTopUpKey: a top-up's request key makes it happen once — sent again,
// even ten times at once, the card is debited once and the first top-up
// comes back; the key with another amount or card is refused and sends
// nothing; no key keeps every call a new top-up.
func TestTopUpKey(t *testing.T) { testRequestKey(t, topUpRequest) }

// TestWithdrawKey: the same as [TestTopUpKey] for withdrawals: the
// balance is debited, and the card credited, once.
func TestWithdrawKey(t *testing.T) { testRequestKey(t, withdrawRequest) }

func testRequestKey(t *testing.T, req keyedRequest) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := newWithdrawBundle(t, d)
		// setup funds a fresh account (withdrawals need a balance) and
		// returns it with its balance and cardOK's before the test.
		setup := func(t *testing.T, acct string) (int64, int64) {
			t.Helper()
			b.fund(t, acct)
			return b.balance(t, acct), b.env.BankBalance(t, cardOK)
		}
		// moved checks that the account and cardOK moved n times amount.
		moved := func(t *testing.T, acct string, balBefore, cardBefore, n, amount int64) {
			t.Helper()
			if got, want := b.balance(t, acct)-balBefore, n*amount*req.balanceSign; got != want {
				t.Fatalf("balance moved %d, want %d", got, want)
			}
			if got, want := b.env.BankBalance(t, cardOK)-cardBefore, n*amount*req.cardSign; got != want {
				t.Fatalf("card moved %d, want %d", got, want)
			}
			b.checkBooks(t)
		}

		t.Run("SameKeyTwice", func(t *testing.T) {
			acct := "acct_twice"
			bal, card := setup(t, acct)
			id1, state1, err := req.do(ctx, b, acct, cardOK, 100_00, "k-1")
			if err != nil || state1 != "succeeded" {
				t.Fatalf("first: %s %s %v", id1, state1, err)
			}
			id2, state2, err := req.do(ctx, b, acct, cardOK, 100_00, "k-1")
			if err != nil || id2 != id1 || state2 != "succeeded" {
				t.Fatalf("again: %s %s %v, want %s succeeded", id2, state2, err, id1)
			}
			if n := req.rows(t, b, acct); n != 1 {
				t.Fatalf("%d rows", n)
			}
			moved(t, acct, bal, card, 1, 100_00)
		})

		t.Run("KeyReused", func(t *testing.T) {
			acct := "acct_reused"
			bal, card := setup(t, acct)
			if _, state, err := req.do(ctx, b, acct, cardOK, 100_00, "k-1"); err != nil || state != "succeeded" {
				t.Fatalf("first: %s %v", state, err)
			}
			if _, _, err := req.do(ctx, b, acct, cardOK, 200_00, "k-1"); !errors.Is(err, wallet.ErrKeyReused) {
				t.Fatalf("another amount: %v, want ErrKeyReused", err)
			}
			if _, _, err := req.do(ctx, b, acct, cardUnknown, 100_00, "k-1"); !errors.Is(err, wallet.ErrKeyReused) {
				t.Fatalf("another card: %v, want ErrKeyReused", err)
			}
			if n := req.rows(t, b, acct); n != 1 {
				t.Fatalf("%d rows", n)
			}
			moved(t, acct, bal, card, 1, 100_00)
		})

		t.Run("Concurrent", func(t *testing.T) {
			acct := "acct_concurrent"
			bal, card := setup(t, acct)
			ids := make([]string, 10)
			errs := make([]error, len(ids))
			var wg sync.WaitGroup
			for i := range ids {
				wg.Go(func() { ids[i], _, errs[i] = req.do(ctx, b, acct, cardOK, 100_00, "k-concurrent") })
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] != ids[0] {
					t.Fatalf("call %d: %s %v, want %s", i, ids[i], errs[i], ids[0])
				}
			}
			if n := req.rows(t, b, acct); n != 1 {
				t.Fatalf("%d rows", n)
			}
			moved(t, acct, bal, card, 1, 100_00)
		})

		t.Run("KeyPerAccount", func(t *testing.T) {
			for _, acct := range []string{"acct_per1", "acct_per2"} {
				bal, card := setup(t, acct)
				if _, state, err := req.do(ctx, b, acct, cardOK, 100_00, "k-shared"); err != nil || state != "succeeded" {
					t.Fatalf("%s: %s %v", acct, state, err)
				}
				moved(t, acct, bal, card, 1, 100_00)
			}
		})

		t.Run("NoKey", func(t *testing.T) {
			acct := "acct_nokey"
			bal, card := setup(t, acct)
			for range 2 {
				if _, state, err := req.do(ctx, b, acct, cardOK, 100_00, ""); err != nil || state != "succeeded" {
					t.Fatalf("%s %v", state, err)
				}
			}
			if n := req.rows(t, b, acct); n != 2 {
				t.Fatalf("%d rows", n)
			}
			moved(t, acct, bal, card, 2, 100_00)
		})

		t.Run("BadKey", func(t *testing.T) {
			acct := "acct_badkey"
			bal, card := setup(t, acct)
			for _, key := range []string{strings.Repeat("k", 101), "k\x00", "k\n", "\xff"} {
				if _, _, err := req.do(ctx, b, acct, cardOK, 100_00, key); !errors.Is(err, wallet.ErrInvalid) {
					t.Fatalf("key %q: %v, want ErrInvalid", key, err)
				}
			}
			if _, state, err := req.do(ctx, b, acct, cardOK, 100_00, strings.Repeat("键", 33)); err != nil || state != "succeeded" {
				t.Fatalf("a key of 99 bytes: %s %v", state, err)
			}
			if n := req.rows(t, b, acct); n != 1 {
				t.Fatalf("%d rows", n)
			}
			moved(t, acct, bal, card, 1, 100_00)
		})
	})
}
