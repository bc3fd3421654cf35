package mail_test

import (
	"strings"
	"testing"
	"time"

	"paygate/internal/mail"
	"paygate/internal/mail/mailtest"
)

// TestTwoDispatchersSendEachOnce: two dispatchers, each on its own database
// handle as two gateway instances would be, share 50 messages; every one is
// sent exactly once. On PostgreSQL this exercises FOR UPDATE SKIP LOCKED.
func TestTwoDispatchersSendEachOnce(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		const n = 50
		snk := mailtest.NewSink(t, nil)
		ids := map[string]bool{}
		for i := range n {
			m := activation("user" + itoa(i) + "@example.com")
			ids[mustEnqueue(t, b.db, b.outbox, m)] = true
		}
		log := newAttemptLog()
		opts := mail.Options{OnAttemptFunc: log.record, PollInterval: 5 * time.Millisecond, MaxInFlight: 4}
		dps := []*mail.Dispatcher{
			newDispatcher(t, b.db, snk.Sender(t), opts),
			newDispatcher(t, b.reopen(t), snk.Sender(t), opts),
		}
		for _, dp := range dps {
			mustStart(t, dp)
		}
		for _, dp := range dps {
			dp.Wake()
		}
		for range n {
			if a := log.next(t); !a.Sent() {
				t.Fatalf("attempt failed: %+v", a)
			}
		}
		for _, dp := range dps {
			dp.Stop()
		}
		seen := map[string]int{}
		for _, r := range snk.Messages() {
			id := strings.TrimSuffix(strings.TrimPrefix(r.MessageID, "<"), "@pay.example>")
			seen[id]++
		}
		if len(seen) != n {
			t.Errorf("sink saw %d distinct messages, want %d", len(seen), n)
		}
		for id, k := range seen {
			if !ids[id] || k != 1 {
				t.Errorf("message %s received %d times (enqueued: %v)", id, k, ids[id])
			}
		}
		for id := range ids {
			if m := mustGet(t, b.outbox, id); m.State != mail.Sent || len(m.Attempts) != 1 {
				t.Errorf("message %s: %s after %d attempts", id, m.State, len(m.Attempts))
			}
		}
		select {
		case a := <-log:
			t.Errorf("extra attempt %+v", a)
		default:
		}
	})
}
