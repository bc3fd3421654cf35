package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/wallet"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

// testBundle is a wallet over a real database, with a directory of active
// accounts the test controls (the account package's part).
type testBundle struct {
	w       *wallet.Wallet
	l       *ledger.Ledger
	d       *db.DB
	clock   *clock.Fake
	mu      sync.Mutex
	active  map[string]string // email → account id
	invites []string
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	b := &testBundle{d: d, clock: clock.NewFake(time.Now()), active: map[string]string{}}
	ids := id.NewGenerator(nil, nil)
	b.l = ledger.New(d, ids)
	b.w = wallet.New(d, b.l, func(_ context.Context, _ *db.Tx, email string) (wallet.Recipient, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		return wallet.Recipient{AccountID: b.active[email]}, nil
	}, wallet.Options{Clock: b.clock, IDs: ids, Invite: func(_ context.Context, _ *db.Tx, to string, c wallet.Claim) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.invites = append(b.invites, to+" "+c.Amount.Format())
		return nil
	}})
	if err := b.l.OpenAccounts(context.Background(), ledger.AccountSpec{Name: "world", Currency: "CNY", AllowNegative: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *testBundle) activate(email, accountID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active[email] = accountID
}

func (b *testBundle) fund(t *testing.T, accountID string, amount int64) {
	t.Helper()
	err := b.d.InTx(context.Background(), func(tx *db.Tx) error {
		return b.w.FundTx(context.Background(), tx, accountID, "world", cny(amount), "fund:"+accountID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (b *testBundle) balance(t *testing.T, accountID string) int64 {
	t.Helper()
	v, err := b.w.Balance(context.Background(), accountID, money.CNY)
	if err != nil {
		t.Fatal(err)
	}
	return v.Minor()
}

func (b *testBundle) checkBooks(t *testing.T) {
	t.Helper()
	if r, err := b.l.Check(context.Background()); err != nil || !r.OK() {
		t.Fatalf("ledger check: %v %v", r.Problems, err)
	}
}

// TestPayToEmail: to an account it lands at once; to an unregistered
// address it waits in a claim with an invitation, and becomes the balance
// of the account that activates the address; a claim nobody takes returns
// to the sender after its period.
func TestPayToEmail(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		b.activate("alice@example.com", "acct_alice")
		b.activate("bob@example.com", "acct_bob")
		b.fund(t, "acct_alice", 1_000_00)

		sent, err := b.w.Send(ctx, "acct_alice", "Bob@Example.COM", cny(10_00), "lunch", "k1")
		if err != nil || sent.ToAccount != "acct_bob" || sent.Claim != nil {
			t.Fatalf("to bob: %+v %v", sent, err)
		}
		sent, err = b.w.Send(ctx, "acct_alice", "carol@example.com", cny(88_00), "gift 礼物", "k2")
		if err != nil || sent.Claim == nil || sent.Claim.State != "held" {
			t.Fatalf("to carol: %+v %v", sent, err)
		}
		if len(b.invites) != 1 || b.invites[0] != "carol@example.com 88.00 CNY" {
			t.Fatalf("invites %v", b.invites)
		}
		// The same request again moves nothing more.
		if again, err := b.w.Send(ctx, "acct_alice", "carol@example.com", cny(88_00), "gift 礼物", "k2"); err != nil || again.Claim != nil {
			t.Fatalf("retry: %+v %v", again, err)
		}
		if got := b.balance(t, "acct_alice"); got != 1_000_00-10_00-88_00 {
			t.Fatalf("alice %d", got)
		}

		// Carol registers and activates: the claim becomes her balance.
		b.activate("carol@example.com", "acct_carol")
		var n int
		err = d.InTx(ctx, func(tx *db.Tx) error {
			n, err = b.w.ClaimAllTx(ctx, tx, "acct_carol", "carol@example.com")
			return err
		})
		if err != nil || n != 1 || b.balance(t, "acct_carol") != 88_00 {
			t.Fatalf("claimed %d (%v); carol %d", n, err, b.balance(t, "acct_carol"))
		}

		// A claim nobody takes goes back after 30 days, once.
		if _, err := b.w.Send(ctx, "acct_alice", "dave@example.com", cny(5_00), "", "k3"); err != nil {
			t.Fatal(err)
		}
		if n, err := b.w.ReturnExpired(ctx); err != nil || n != 0 {
			t.Fatalf("returned %d early (%v)", n, err)
		}
		b.clock.Advance(31 * 24 * time.Hour)
		if n, err := b.w.ReturnExpired(ctx); err != nil || n != 1 {
			t.Fatalf("returned %d (%v)", n, err)
		}
		if n, _ := b.w.ReturnExpired(ctx); n != 0 {
			t.Fatalf("returned again: %d", n)
		}
		if got := b.balance(t, "acct_alice"); got != 1_000_00-10_00-88_00 {
			t.Fatalf("alice after the return %d", got)
		}
		claims, _ := b.w.Claims(ctx, "acct_alice")
		states := map[string]string{}
		for _, c := range claims {
			states[c.ToEmail] = c.State
		}
		if states["carol@example.com"] != "claimed" || states["dave@example.com"] != "returned" {
			t.Fatalf("claims %v", states)
		}
		b.checkBooks(t)
	})
}

func TestSendRefusesAndChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		b.activate("alice@example.com", "acct_alice")
		b.fund(t, "acct_alice", 50_00)
		tests := []struct {
			name   string
			to     string
			amount int64
			want   error
		}{
			{"TooMuch", "x@example.com", 50_01, wallet.ErrInsufficientFunds},
			{"BadEmail", "not an email", 1_00, wallet.ErrInvalid},
			{"Zero", "x@example.com", 0, wallet.ErrInvalid},
			{"Negative", "x@example.com", -1_00, wallet.ErrInvalid},
			{"ToSelf", "alice@example.com", 1_00, wallet.ErrSelfTransfer},
		}
		for i, tt := range tests {
			if _, err := b.w.Send(ctx, "acct_alice", tt.to, cny(tt.amount), "", fmt.Sprint("r", i)); !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		if got := b.balance(t, "acct_alice"); got != 50_00 {
			t.Fatalf("alice %d", got)
		}
		if claims, _ := b.w.Claims(ctx, "acct_alice"); len(claims) != 0 {
			t.Fatalf("claims %v", claims)
		}
		b.checkBooks(t)
	})
}

// TestConcurrentSendsNeverOverdraw: 20 transfers at once that together
// exceed the balance: those that fit succeed, the rest fail cleanly, and
// the balance never goes below zero.
func TestConcurrentSendsNeverOverdraw(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		b.activate("alice@example.com", "acct_alice")
		b.activate("bob@example.com", "acct_bob")
		b.fund(t, "acct_alice", 100_00)
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, err := b.w.Send(ctx, "acct_alice", "bob@example.com", cny(15_00), "", fmt.Sprint("c", i))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, wallet.ErrInsufficientFunds):
					refused.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 6 || refused.Load() != 14 {
			t.Fatalf("%d succeeded, %d refused; want 6 and 14", ok.Load(), refused.Load())
		}
		if a, bb := b.balance(t, "acct_alice"), b.balance(t, "acct_bob"); a != 10_00 || bb != 90_00 {
			t.Fatalf("alice %d bob %d", a, bb)
		}
		b.checkBooks(t)
	})
}
