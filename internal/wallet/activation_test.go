package wallet_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"paygate/internal/account"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
	"paygate/internal/wallet"
)

// mailbox records the emails the account service sends.
type mailbox struct {
	mu   sync.Mutex
	sent map[string]string // to → last text
}

func (m *mailbox) Send(_ context.Context, _ *db.Tx, to, _, text, _, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[to] = text
	return nil
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

func (m *mailbox) token(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	match := tokenRE.FindStringSubmatch(m.sent[to])
	if match == nil {
		t.Fatalf("no link in the mail to %s: %q", to, m.sent[to])
	}
	tok, _ := url.QueryUnescape(match[1])
	return tok
}

// TestClaimBecomesBalanceOnActivation wires the real account service to the
// wallet: 88.00 sent to an unregistered address waits in a claim and an
// invitation goes to the address; when that address registers and
// activates, the activation's own transaction makes it the new account's
// balance. Another claim, never taken, returns to the sender once its
// period has passed — once, however often the sweep runs.
func TestClaimBecomesBalanceOnActivation(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ids := id.NewGenerator(nil, nil)
		l := ledger.New(d, ids)
		clk := clock.NewFake(time.Now())
		var (
			invitesMu sync.Mutex
			invites   []string
		)
		if err := l.OpenAccounts(ctx, ledger.AccountSpec{Name: "world", Currency: "CNY", AllowNegative: true}); err != nil {
			t.Fatal(err)
		}
		w := wallet.New(d, l, func(ctx context.Context, tx *db.Tx, email string) (wallet.Recipient, error) {
			a, err := account.ActiveByEmailTx(ctx, tx, email)
			if errors.Is(err, account.ErrNotFound) {
				return wallet.Recipient{}, nil
			}
			return wallet.Recipient{AccountID: a.ID}, err
		}, wallet.Options{IDs: ids, Clock: clk, ClaimPeriod: 30 * 24 * time.Hour,
			Invite: func(_ context.Context, _ *db.Tx, to string, c wallet.Claim) error {
				invitesMu.Lock()
				defer invitesMu.Unlock()
				invites = append(invites, to+" "+c.Amount.String())
				return nil
			}})
		mail := &mailbox{sent: map[string]string{}}
		accounts := account.NewService(d, mail, account.Options{BaseURL: "http://gw.test", IDs: ids,
			OnActivate: func(ctx context.Context, tx *db.Tx, a account.Account) error {
				_, err := w.ClaimAllTx(ctx, tx, a.ID, a.Email)
				return err
			}})

		alice, err := accounts.Register(ctx, "alice@example.com", "correct horse 1", account.Personal, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.Activate(ctx, mail.token(t, "alice@example.com"), "correct horse 1"); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return w.FundTx(ctx, tx, alice.ID, "world", money.New(1_000_00, money.CNY), "fund:alice")
		}); err != nil {
			t.Fatal(err)
		}
		sent, err := w.Send(ctx, alice.ID, "Carol@Example.com", money.New(88_00, money.CNY), "welcome", "k1")
		if err != nil || sent.Claim == nil {
			t.Fatalf("send: %+v %v", sent, err)
		}

		carol, err := accounts.Register(ctx, "carol@example.com", "another Secret 2", account.Personal, "")
		if err != nil {
			t.Fatal(err)
		}
		if bal, _ := w.Balance(ctx, carol.ID, money.CNY); !bal.IsZero() {
			t.Fatalf("carol holds %v before activating", bal)
		}
		if _, err := accounts.Activate(ctx, mail.token(t, "carol@example.com"), "another Secret 2"); err != nil {
			t.Fatal(err)
		}
		if bal, _ := w.Balance(ctx, carol.ID, money.CNY); bal.Minor() != 88_00 {
			t.Fatalf("carol holds %v after activating, want 88.00", bal)
		}
		if bal, _ := w.Balance(ctx, alice.ID, money.CNY); bal.Minor() != 912_00 {
			t.Fatalf("alice holds %v", bal)
		}

		// A claim nobody takes goes back to the sender after its period.
		if _, err := w.Send(ctx, alice.ID, "dave@example.com", money.New(12_00, money.CNY), "", "k2"); err != nil {
			t.Fatal(err)
		}
		invitesMu.Lock()
		if want := []string{"carol@example.com 88.00", "dave@example.com 12.00"}; !slices.Equal(invites, want) {
			t.Fatalf("invitations %v, want %v", invites, want)
		}
		invitesMu.Unlock()
		if n, err := w.ReturnExpired(ctx); err != nil || n != 0 {
			t.Fatalf("returned %d (%v) before the period", n, err)
		}
		clk.Advance(30*24*time.Hour + time.Hour) // well past the period, whichever clock stamped the claim
		for range 2 {
			if _, err := w.ReturnExpired(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if bal, _ := w.Balance(ctx, alice.ID, money.CNY); bal.Minor() != 912_00 {
			t.Fatalf("alice holds %v after the return, want 912.00", bal)
		}
		claims, err := w.Claims(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, c := range claims {
			states[c.ToEmail] = c.State
		}
		if states["carol@example.com"] != "claimed" || states["dave@example.com"] != "returned" {
			t.Fatalf("claims %v", states)
		}
		if r, err := l.Check(ctx); err != nil || !r.OK() {
			t.Fatalf("ledger check: %v %v", r.Problems, err)
		}
	})
}
