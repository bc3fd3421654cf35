package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/notify"
)

// TestForObjectAndResendFor: a merchant's events that mention an object
// are found (with their attempts), newest first, from when the object
// was made; another merchant's never; ResendFor refuses another
// merchant's event like an unknown one.
func TestForObjectAndResendFor(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		enqueue := func(merchantID string, data string) string {
			t.Helper()
			var evt string
			err := b.db.InTx(ctx, func(tx *db.Tx) error {
				var err error
				evt, err = b.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: merchantID, Type: "payment.succeeded",
					URL: "http://127.0.0.1:1/n", Data: json.RawMessage(data)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			b.clock.Advance(time.Second)
			return evt
		}
		early := enqueue("mch_a", `{"id":"pay_1"}`) // before "since"
		since := b.clock.Now()
		paid := enqueue("mch_a", `{"id":"pay_1","status":"succeeded"}`)
		refund := enqueue("mch_a", `{"id":"rf_1","payment_id":"pay_1"}`)
		enqueue("mch_a", `{"id":"pay_10"}`)       // another payment, whose id starts alike
		enqueue("mch_b", `{"id":"pay_1"}`)        // another merchant's
		enqueue("mch_a", `{"note":"pay_1 text"}`) // not the id, quoted

		signer := newTestSigner(t)
		rcv := newReceiver(t, signer, func(int) reply { return 500 })
		var refundAttempt string
		err := b.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			refundAttempt, err = b.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: "mch_a", Type: "refund.succeeded",
				URL: rcv.url(), Data: json.RawMessage(`{"id":"rf_2","payment_id":"pay_1"}`)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.ExecRaw(ctx, `UPDATE notify_events SET next_attempt_ms = next_attempt_ms + 3600000 WHERE id <> ?`, refundAttempt); err != nil {
			t.Fatal(err)
		}
		mustDeliverDue(t, newDispatcher(t, b.db, signer, notify.Options{}), 1)

		got, err := b.outbox.ForObject(ctx, "mch_a", "pay_1", since, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range got {
			ids = append(ids, n.ID)
		}
		if want := []string{refundAttempt, refund, paid}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
			t.Fatalf("ForObject = %v, want %v (not %s)", ids, want, early)
		}
		if len(got[0].Attempts) != 1 || got[0].Attempts[0].Status != 500 {
			t.Fatalf("attempts %+v", got[0].Attempts)
		}
		if none, err := b.outbox.ForObject(ctx, "mch_b", "rf_1", since, 0); err != nil || len(none) != 0 {
			t.Fatalf("merchant B sees %v, %v", none, err)
		}
		if odd, err := b.outbox.ForObject(ctx, "mch_a", `pay_1"`, since, 0); err != nil || len(odd) != 0 {
			t.Fatalf("a quote in the id: %v, %v", odd, err)
		}

		if err := b.outbox.ResendFor(ctx, "mch_b", paid); !errors.Is(err, notify.ErrEventNotFound) {
			t.Fatalf("ResendFor another merchant's event: %v", err)
		}
		if err := b.outbox.ResendFor(ctx, "mch_a", "evt_nope"); !errors.Is(err, notify.ErrEventNotFound) {
			t.Fatalf("ResendFor an unknown event: %v", err)
		}
		if err := b.outbox.ResendFor(ctx, "mch_a", refundAttempt); err != nil {
			t.Fatalf("ResendFor: %v", err)
		}
		if n := mustGet(t, b.outbox, refundAttempt); n.State != notify.Pending || !n.NextAttemptAt.Equal(b.clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("after ResendFor: %+v", n)
		}
	})
}
