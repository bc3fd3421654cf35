package bank_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/bank"
	"paygate/internal/banksim"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

// shiftedClock is the system clock moved forward by a settable amount: a
// connector on it sees armed reversals fall due without the test waiting.
type shiftedClock struct{ by atomic.Int64 }

func (c *shiftedClock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.by.Load())) }

// countRows counts bank_reversals rows in the given states.
func countRows(t *testing.T, d *db.DB, states ...string) int {
	t.Helper()
	q := `SELECT count(*) FROM bank_reversals WHERE state IN ('` + strings.Join(states, "', '") + `')`
	var n int
	if err := d.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCrashBeforeAnswerIsReversed: connector A sends a debit, the bank
// debits the card but holds its answer, and A's process dies before any
// answer or timeout is handled. The reversal A stored before sending is
// still armed; connector B over the same database leaves it alone until it
// is due, then reverses the debit: the card is whole again, B's
// OnReversedFunc names A's request by its ClientRef, and
// ReversalByClientRef reports it reversed.
func TestCrashBeforeAnswerIsReversed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		const ref = "att_01CRASH0000000000000000001"
		e := newSim(t, banksim.Faults{HoldResponses: 1000}) // answers never come
		cfg := e.config(t, "icbc")
		cfg.ReversalGrace = time.Second
		ctx := context.Background()
		a := start(t, cfg, d, bank.Options{STANStart: 1})

		done := make(chan error, 1)
		go func() {
			_, err := a.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(123_45), ClientRef: ref})
			done <- err
		}()
		waitFor(t, "the bank to debit the card", 5*time.Second, func() bool {
			return e.balance(t, cardOK, "CNY") == million-123_45
		})
		a.Crash()
		if err := <-done; !errors.Is(err, bank.ErrStopped) {
			t.Fatalf("Debit on a crashed connector returned %v", err)
		}
		armed, err := a.ReversalByClientRef(ctx, ref)
		if err != nil || armed.State != bank.ReversalArmed || armed.ClientRef != ref || armed.Attempts != 0 ||
			armed.AmountMinor != 123_45 || armed.ProcessingCode != "000000" {
			t.Fatalf("after the crash: %+v, %v; want the reversal still armed", armed, err)
		}

		e.host.SetFaults(banksim.Faults{})
		clk := &shiftedClock{}
		opts, reversed := reversedChan()
		opts.STANStart, opts.Clock = 500_000, clk
		b := start(t, cfg, d, opts)
		// Not yet due: B must not take the reversal of a request whose
		// owner may still be waiting for its answer.
		if err := b.DrainReversals(ctx); err != nil {
			t.Fatal(err)
		}
		if rev, err := b.ReversalByClientRef(ctx, ref); err != nil || rev.State != bank.ReversalArmed {
			t.Fatalf("before its due time: %+v, %v; want armed", rev, err)
		}
		if st, err := b.Status(ctx); err != nil || st.ReversalsPending != 0 {
			t.Fatalf("status before the due time: %+v, %v", st, err)
		}

		clk.by.Store(int64(cfg.RequestTimeout + cfg.ReversalGrace + time.Second))
		if st, err := b.Status(ctx); err != nil || st.ReversalsPending > 1 {
			t.Fatalf("status after the due time: %+v, %v", st, err)
		}
		select {
		case rev := <-reversed:
			if rev.ID != armed.ID || rev.ClientRef != ref || rev.State != bank.ReversalReversed || rev.ResponseCode != "00" {
				t.Fatalf("OnReversedFunc got %+v; want %s reversed with 00", rev, armed.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the abandoned reversal was never acknowledged")
		}
		rev, err := b.ReversalByClientRef(ctx, ref)
		if err != nil || rev.ID != armed.ID || rev.State != bank.ReversalReversed || rev.Attempts != 1 ||
			rev.ReasonCode != bank.ReasonTimeout || rev.ReversedAt.IsZero() {
			t.Fatalf("ReversalByClientRef = %+v, %v; want reversed by one 0420", rev, err)
		}
		if same, err := b.Reversal(ctx, rev.Original); err != nil || same.ID != rev.ID {
			t.Fatalf("Reversal(%+v) = %+v, %v", rev.Original, same, err)
		}
		if got := e.balance(t, cardOK, "CNY"); got != million {
			t.Fatalf("balance %d after the reversal, want %d", got, million)
		}
		if n := countRows(t, d, "armed", "pending"); n != 0 {
			t.Fatalf("%d reversals left armed or pending", n)
		}
	})
}

// TestAnsweredRequestsKeepNoReversal: approved and declined debits, an
// approved refund and an approved credit each arm a reversal before they
// are sent and remove it on the answer: nothing is left to send.
func TestAnsweredRequestsKeepNoReversal(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newSim(t, banksim.Faults{})
		c := start(t, e.config(t, "icbc"), d, bank.Options{})
		ctx := context.Background()
		debit, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(50_00), ClientRef: "att_approved"})
		if err != nil || debit.Outcome != bank.Approved {
			t.Fatalf("debit %+v, %v", debit, err)
		}
		steps := []struct {
			name, ref string
			do        func(ref string) (bank.Result, error)
			want      bank.Outcome
		}{
			{"Approved", "att_approved", func(string) (bank.Result, error) { return debit, nil }, bank.Approved},
			{"Declined", "att_declined", func(ref string) (bank.Result, error) {
				return c.Debit(ctx, bank.Request{PAN: cardNoFunds, PIN: icbcPIN, Amount: cny(1_00), ClientRef: ref})
			}, bank.Declined},
			{"WrongPIN", "att_wrong_pin", func(ref string) (bank.Result, error) {
				return c.Debit(ctx, bank.Request{PAN: cardOK, PIN: "000000", Amount: cny(1_00), ClientRef: ref})
			}, bank.Declined},
			{"Refund", "rf_1", func(ref string) (bank.Result, error) {
				return c.Refund(ctx, bank.Request{PAN: cardOK, Amount: cny(20_00), ClientRef: ref}, debit.Reference)
			}, bank.Approved},
			{"Credit", "wd_1", func(ref string) (bank.Result, error) {
				return c.Credit(ctx, bank.Request{PAN: cardOK, Amount: cny(5_00), ClientRef: ref})
			}, bank.Approved},
		}
		for _, s := range steps {
			r, err := s.do(s.ref)
			if err != nil || r.Outcome != s.want || r.ReversalID != "" {
				t.Fatalf("%s: %+v, %v; want %s without a reversal", s.name, r, err, s.want)
			}
			if rev, err := c.ReversalByClientRef(ctx, s.ref); !errors.Is(err, bank.ErrReversalNotFound) {
				t.Fatalf("%s: ReversalByClientRef = %+v, %v; want ErrReversalNotFound", s.name, rev, err)
			}
			if rev, err := c.Reversal(ctx, r.Reference); !errors.Is(err, bank.ErrReversalNotFound) {
				t.Fatalf("%s: Reversal = %+v, %v; want ErrReversalNotFound", s.name, rev, err)
			}
		}
		if n := countRows(t, d, "armed", "pending", "reversed", "void"); n != 0 {
			t.Fatalf("%d reversal rows left by answered requests", n)
		}
		if got := e.balance(t, cardOK, "CNY"); got != million-50_00+20_00+5_00 {
			t.Fatalf("balance %d", got)
		}
	})
}

// TestUnknownTurnsArmedReversalPending: an unanswered debit's armed row
// becomes its pending reversal (one row, the same id), and the
// acknowledgement names the request's ClientRef.
func TestUnknownTurnsArmedReversalPending(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		const ref = "att_silent"
		e := newSim(t, banksim.Faults{})
		cfg := e.config(t, "icbc")
		cfg.RequestTimeout = 200 * time.Millisecond
		opts, reversed := reversedChan()
		c := start(t, cfg, d, opts)
		ctx := context.Background()
		r, err := c.Debit(ctx, bank.Request{PAN: cardSilent, PIN: icbcPIN, Amount: cny(9_00), ClientRef: ref})
		if err != nil || r.Outcome != bank.Unknown || r.ReversalID == "" {
			t.Fatalf("Debit = %+v, %v", r, err)
		}
		select {
		case rev := <-reversed:
			if rev.ID != r.ReversalID || rev.ClientRef != ref || rev.ReasonCode != bank.ReasonTimeout {
				t.Fatalf("reversed %+v, want %s for %s", rev, r.ReversalID, ref)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reversal never acknowledged")
		}
		rev, err := c.ReversalByClientRef(ctx, ref)
		if err != nil || rev.ID != r.ReversalID || rev.State != bank.ReversalReversed || rev.Original != r.Reference {
			t.Fatalf("ReversalByClientRef = %+v, %v", rev, err)
		}
		if n := countRows(t, d, "armed", "pending", "reversed", "void"); n != 1 {
			t.Fatalf("%d rows for one unknown debit, want 1", n)
		}
		if _, err := c.ReversalByClientRef(ctx, ""); !errors.Is(err, bank.ErrReversalNotFound) {
			t.Fatalf("empty reference: %v", err)
		}
	})
}

// TestClientRefIsValidated: at most 64 printable ASCII characters.
func TestClientRefIsValidated(t *testing.T) {
	t.Parallel()
	e := newSim(t, banksim.Faults{})
	c := start(t, e.config(t, "icbc"), dbtest.NewSQLite(t), bank.Options{})
	ctx := context.Background()
	for _, ref := range []string{strings.Repeat("x", 65), "att\n1", "att\x00", "支付"} {
		if _, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1), ClientRef: ref}); !errors.Is(err, bank.ErrInvalidRequest) {
			t.Fatalf("ClientRef %q: %v, want ErrInvalidRequest", ref, err)
		}
	}
	ok := strings.Repeat("~", 32) + strings.Repeat(" ", 32)
	if r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(1), ClientRef: ok}); err != nil || r.Outcome != bank.Approved {
		t.Fatalf("64-character reference: %+v, %v", r, err)
	}
}

// TestApprovalHeldUntilConfirmed: with ConfirmApproval an approved debit
// keeps its reversal armed until the caller confirms it in its own
// transaction. Confirmed: nothing is ever reversed. Never confirmed (the
// caller died, or its transaction rolled back): the debit is reversed when
// due, and a confirmation that comes after that is refused.
func TestApprovalHeldUntilConfirmed(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newSim(t, banksim.Faults{})
		cfg := e.config(t, "icbc")
		cfg.ReversalGrace = time.Second
		clk := &shiftedClock{}
		opts, reversed := reversedChan()
		opts.Clock = clk
		c := start(t, cfg, d, opts)
		ctx := context.Background()
		debit := func(ref string) {
			t.Helper()
			r, err := c.Debit(ctx, bank.Request{PAN: cardOK, PIN: icbcPIN, Amount: cny(10_00), ClientRef: ref, ConfirmApproval: true})
			if err != nil || r.Outcome != bank.Approved {
				t.Fatalf("debit %s: %+v, %v", ref, r, err)
			}
			if rev, err := c.ReversalByClientRef(ctx, ref); err != nil || rev.State != bank.ReversalArmed {
				t.Fatalf("%s after approval: %+v, %v; want still armed", ref, rev, err)
			}
		}
		debit("att_confirmed")
		debit("att_rolled_back")
		if err := d.InTx(ctx, func(tx *db.Tx) error { return c.ConfirmTx(ctx, tx, "att_confirmed") }); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("the caller's transaction fails")
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := c.ConfirmTx(ctx, tx, "att_rolled_back"); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		clk.by.Store(int64(cfg.RequestTimeout + cfg.ReversalGrace + time.Second))
		select {
		case rev := <-reversed:
			if rev.ClientRef != "att_rolled_back" || rev.State != bank.ReversalReversed {
				t.Fatalf("reversed %+v; want att_rolled_back", rev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the unconfirmed approval was never reversed")
		}
		if _, err := c.ReversalByClientRef(ctx, "att_confirmed"); !errors.Is(err, bank.ErrReversalNotFound) {
			t.Fatalf("confirmed approval: %v; want no reversal", err)
		}
		if got := e.balance(t, cardOK, "CNY"); got != million-10_00 {
			t.Fatalf("balance %d; want only the confirmed debit taken (%d)", got, million-10_00)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error { return c.ConfirmTx(ctx, tx, "att_rolled_back") })
		if !errors.Is(err, bank.ErrNotConfirmable) {
			t.Fatalf("late confirmation: %v; want ErrNotConfirmable", err)
		}
	})
}
