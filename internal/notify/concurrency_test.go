package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/notify"
)

// TestTwoDispatchersDeliverEachOnce runs two dispatchers on two handles of
// one database, as two gateway instances would: 200 events are each
// delivered exactly once, none lost.
func TestTwoDispatchersDeliverEachOnce(t *testing.T) {
	t.Parallel()
	const events = 200
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		signer := newTestSigner(t)
		var (
			mu     sync.Mutex
			counts = map[string]int{}
		)
		rcv := newReceiver(t, signer, func(int) reply { return 200 })
		rcv.srv.Config.Handler = countingHandler(rcv, &mu, counts)

		want := map[string]bool{}
		for batch := range events / 10 {
			err := b.db.InTx(ctx, func(tx *db.Tx) error {
				for i := range 10 {
					evtID, err := b.outbox.Enqueue(ctx, tx, notify.Event{
						MerchantID: "mch_1", Type: "payment.succeeded", URL: rcv.url(),
						Data: map[string]any{"id": fmt.Sprintf("pay_%d", batch*10+i)},
					})
					if err != nil {
						return err
					}
					want[evtID] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		log := newAttemptLog()
		var dps []*notify.Dispatcher
		byDispatcher := make([]int, 2)
		var byMu sync.Mutex
		for i, d := range []*db.DB{b.db, b.reopen(t)} {
			dp := newDispatcher(t, d, signer, notify.Options{
				MaxInFlight:  8,
				PollInterval: 5 * time.Millisecond,
				OnAttemptFunc: func(a notify.Attempt) {
					byMu.Lock()
					byDispatcher[i]++
					byMu.Unlock()
					log.record(a)
				},
			})
			dps = append(dps, dp)
		}
		for _, dp := range dps {
			mustStart(t, dp)
			dp.Wake()
		}
		for range events {
			if a := log.next(t); !a.Delivered() {
				t.Fatalf("attempt %+v failed", a)
			}
		}
		for _, dp := range dps {
			dp.Stop()
		}
		t.Logf("deliveries per dispatcher: %v", byDispatcher)

		mu.Lock()
		defer mu.Unlock()
		if len(counts) != events {
			t.Errorf("receiver saw %d distinct events, want %d", len(counts), events)
		}
		for evtID, n := range counts {
			if n != 1 || !want[evtID] {
				t.Errorf("event %s delivered %d times (enqueued: %v)", evtID, n, want[evtID])
			}
		}
		list, err := b.outbox.List(ctx, notify.ListParams{State: notify.Delivered, Limit: 500})
		if err != nil || len(list) != events {
			t.Fatalf("List(delivered) = %d events, %v; want %d", len(list), err, events)
		}
		for _, n := range list {
			if len(n.Attempts) != 1 {
				t.Errorf("event %s has %d attempts", n.ID, len(n.Attempts))
			}
		}
	})
}

// countingHandler wraps the receiver to count deliveries per event id.
func countingHandler(r *receiver, mu *sync.Mutex, counts map[string]int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || !r.signer.verify(req.Header, body) {
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		counts[ev.ID]++
		mu.Unlock()
		w.WriteHeader(200)
	})
}
