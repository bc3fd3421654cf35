package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"paygate/internal/db"
	"paygate/internal/notify"
)

// ignoreDuration leaves wall-clock durations out of attempt comparisons.
var ignoreDuration = cmpopts.IgnoreFields(notify.Attempt{}, "Duration")

// TestDeliveredAfterReceiverRecovers: the receiver is down for its first
// three attempts; the fake clock drives the schedule (15 s, 1 m, 5 m) and the
// fourth attempt delivers the exact bytes enqueued, validly signed.
func TestDeliveredAfterReceiverRecovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		down    reply  // what the receiver does while down; 0: refuse connections
		wantErr string // the attempt log's error text while down
		want    int    // the status logged while down
	}{
		{name: "Status500", down: 500, want: 500},
		{name: "Status404", down: 404, want: 404},
		{name: "ConnectionClosed", down: replyClose, wantErr: "connection closed by receiver"},
		{name: "ConnectionRefused", wantErr: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, b *testBundle) {
				signer := newTestSigner(t)
				refused := tt.down == 0
				rcv := newUnstartedReceiver(t, signer, func(n int) reply {
					if n <= 3 && !refused {
						return tt.down
					}
					return 200
				})
				var addr string // where the receiver listens, or will
				if refused {
					addr = reservedAddr(t)
				} else {
					rcv.srv.Start()
					addr = rcv.srv.Listener.Addr().String()
				}
				url := "http://" + addr + "/notify?token=s3cret"
				log := newAttemptLog()
				dp := newDispatcher(t, b.db, signer, notify.Options{
					OnAttemptFunc: log.record, PollInterval: time.Hour, Timeout: 5 * time.Second,
				})
				mustStart(t, dp)

				evtID := mustEnqueue(t, b.db, b.outbox, url)
				dp.Wake()
				if a := log.next(t); a.N != 1 || a.Delivered() {
					t.Fatalf("first attempt = %+v, want a failed attempt 1", a)
				}
				at := t0
				for i, delay := range []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute} {
					if got := mustGet(t, b.outbox, evtID).NextAttemptAt; !got.Equal(at.Add(delay)) {
						t.Fatalf("after attempt %d next attempt at %v, want %v", i+1, got, at.Add(delay))
					}
					b.clock.Advance(delay - time.Second)
					mustDeliverDue(t, dp, 0) // not due a second early
					at = b.clock.Advance(time.Second)
					if refused && i == 2 {
						rcv.startAt(t, addr)
					}
					dp.Wake()
					a := log.next(t)
					if a.N != i+2 || a.Delivered() != (i == 2) {
						t.Fatalf("attempt %d = %+v", i+2, a)
					}
				}

				n := mustGet(t, b.outbox, evtID)
				wantBody := `{"id":"` + evtID + `","type":"payment.succeeded","created_at":"2026-03-01T09:00:00Z","data":` + paymentData + `}`
				if string(n.Body) != wantBody {
					t.Fatalf("stored body\n%s\nwant\n%s", n.Body, wantBody)
				}
				if n.State != notify.Delivered || !n.DeliveredAt.Equal(at) || !n.NextAttemptAt.IsZero() {
					t.Fatalf("event = %+v; want delivered at %v", n, at)
				}
				down := func(num int, at time.Time) notify.Attempt {
					return notify.Attempt{EventID: evtID, N: num, At: at, Status: tt.want, Error: tt.wantErr}
				}
				wantLog := []notify.Attempt{
					down(1, t0),
					down(2, t0.Add(15*time.Second)),
					down(3, t0.Add(75*time.Second)),
					{EventID: evtID, N: 4, At: t0.Add(375 * time.Second), Status: 200},
				}
				if diff := cmp.Diff(wantLog, n.Attempts, ignoreDuration); diff != "" {
					t.Fatalf("attempt log (-want +got):\n%s", diff)
				}

				wantRequests := 4
				if refused {
					wantRequests = 1
				}
				if got := len(rcv.requests()); got != wantRequests {
					t.Errorf("receiver saw %d requests, want %d", got, wantRequests)
				}
				nonces := map[string]bool{}
				for i, r := range rcv.requests() {
					if string(r.Body) != wantBody || !r.SigOK || r.Header.Get("Content-Type") != "application/json" {
						t.Errorf("request %d: body %q, signature ok %v, content type %q", i+1, r.Body, r.SigOK, r.Header.Get("Content-Type"))
					}
					nonces[r.Header.Get("Paygate-Nonce")] = true
				}
				if want := len(rcv.requests()); len(nonces) != want {
					t.Errorf("%d distinct nonces over %d requests; each attempt needs its own", len(nonces), want)
				}
			})
		})
	}
}

// TestScheduleEndsFailedThenResend walks the whole schedule on the fake
// clock: ten attempts over about two days, then failed; a resend delivers it.
func TestScheduleEndsFailedThenResend(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		signer := newTestSigner(t)
		var (
			mu sync.Mutex
			up bool
		)
		rcv := newReceiver(t, signer, func(int) reply {
			mu.Lock()
			defer mu.Unlock()
			if up {
				return 204
			}
			return 503
		})
		dp := newDispatcher(t, b.db, signer, notify.Options{})
		evtID := mustEnqueue(t, b.db, b.outbox, rcv.url())

		mustDeliverDue(t, dp, 1)
		wantAt := []time.Time{t0}
		for _, delay := range notify.DefaultSchedule() {
			b.clock.Advance(delay - time.Second)
			mustDeliverDue(t, dp, 0)
			wantAt = append(wantAt, b.clock.Advance(time.Second))
			mustDeliverDue(t, dp, 1)
		}
		last := wantAt[len(wantAt)-1]
		if total := last.Sub(t0); total < 45*time.Hour || total > 48*time.Hour {
			t.Errorf("schedule spans %v, want about two days", total)
		}
		n := mustGet(t, b.outbox, evtID)
		if n.State != notify.Failed || !n.FailedAt.Equal(last) || !n.NextAttemptAt.IsZero() || n.LastStatus != 503 {
			t.Fatalf("after the schedule: %+v; want failed at %v", n, last)
		}
		var gotAt []time.Time
		for _, a := range n.Attempts {
			gotAt = append(gotAt, a.At)
		}
		if diff := cmp.Diff(wantAt, gotAt); diff != "" {
			t.Fatalf("attempt times (-want +got):\n%s", diff)
		}
		b.clock.Advance(72 * time.Hour)
		mustDeliverDue(t, dp, 0) // failed events are not retried

		mu.Lock()
		up = true
		mu.Unlock()
		if err := b.outbox.Resend(ctx, evtID); err != nil {
			t.Fatal(err)
		}
		mustDeliverDue(t, dp, 1)
		n = mustGet(t, b.outbox, evtID)
		if n.State != notify.Delivered || len(n.Attempts) != 11 || n.Attempts[10].Status != 204 || !n.FailedAt.IsZero() {
			t.Fatalf("after resend: %+v", n)
		}
		// A delivered event can be resent too; attempt numbers continue.
		if err := b.outbox.Resend(ctx, evtID); err != nil {
			t.Fatal(err)
		}
		mustDeliverDue(t, dp, 1)
		if n := mustGet(t, b.outbox, evtID); n.State != notify.Delivered || len(n.Attempts) != 12 || n.Attempts[11].N != 12 {
			t.Fatalf("after second resend: %+v", n)
		}
		if got := len(rcv.requests()); got != 12 {
			t.Fatalf("receiver saw %d requests, want 12", got)
		}
		if err := b.outbox.Resend(ctx, "evt_nope"); !errors.Is(err, notify.ErrEventNotFound) {
			t.Fatalf("Resend(unknown) = %v, want ErrEventNotFound", err)
		}
	})
}

// TestRestartMidSchedule: a dispatcher stops after two failed attempts; a new
// one, on a new database handle, delivers at the next due time.
func TestRestartMidSchedule(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		signer := newTestSigner(t)
		rcv := newReceiver(t, signer, func(n int) reply {
			if n <= 2 {
				return 500
			}
			return 200
		})
		log := newAttemptLog()
		first := notify.NewDispatcher(b.db, signer, notify.Options{OnAttemptFunc: log.record, PollInterval: time.Hour})
		mustStart(t, first)
		evtID := mustEnqueue(t, b.db, b.outbox, rcv.url())
		first.Wake()
		log.next(t)
		b.clock.Advance(15 * time.Second)
		first.Wake()
		if a := log.next(t); a.N != 2 || a.Delivered() {
			t.Fatalf("second attempt = %+v", a)
		}
		first.Stop()
		first.Stop() // idempotent

		d2 := b.reopen(t)
		second := newDispatcher(t, d2, signer, notify.Options{OnAttemptFunc: log.record, PollInterval: time.Hour})
		mustStart(t, second)
		b.clock.Advance(59 * time.Second)
		mustDeliverDue(t, second, 0)
		b.clock.Advance(time.Second)
		second.Wake()
		if a := log.next(t); a.N != 3 || !a.Delivered() {
			t.Fatalf("third attempt = %+v", a)
		}
		n := mustGet(t, notify.NewOutbox(d2, nil), evtID)
		if n.State != notify.Delivered || len(n.Attempts) != 3 || len(rcv.requests()) != 3 {
			t.Fatalf("after restart: %+v, %d requests", n, len(rcv.requests()))
		}
	})
}

// TestStopHandsBackInFlight: stopping mid-attempt hands the event back due
// at once, without counting an attempt; until then a resend is refused.
func TestStopHandsBackInFlight(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		signer := newTestSigner(t)
		rcv := newReceiver(t, signer, func(n int) reply {
			if n == 1 {
				return replyHang
			}
			return 200
		})
		first := notify.NewDispatcher(b.db, signer, notify.Options{PollInterval: time.Hour})
		mustStart(t, first)
		evtID := mustEnqueue(t, b.db, b.outbox, rcv.url())
		first.Wake()
		rcv.waitArrival(t)
		if err := b.outbox.Resend(context.Background(), evtID); !errors.Is(err, notify.ErrEventInFlight) {
			t.Fatalf("Resend while in flight = %v, want ErrEventInFlight", err)
		}
		first.Stop()
		n := mustGet(t, b.outbox, evtID)
		if n.State != notify.Pending || len(n.Attempts) != 0 || !n.NextAttemptAt.Equal(t0) {
			t.Fatalf("after stop: %+v; want pending, due now, no attempt", n)
		}
		second := newDispatcher(t, b.reopen(t), signer, notify.Options{})
		mustDeliverDue(t, second, 1)
		if n := mustGet(t, b.outbox, evtID); n.State != notify.Delivered || len(n.Attempts) != 1 {
			t.Fatalf("after second dispatcher: %+v", n)
		}
	})
}

// TestTimeout: a receiver that answers too late has failed the attempt.
func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     reply
		wantState notify.State
		wantErr   string
	}{
		{name: "HangsPastTimeout", reply: replyHang, wantState: notify.Pending, wantErr: "timeout after 300ms"},
		{name: "AnswersInTime", reply: 202, wantState: notify.Delivered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			engines(t, func(t *testing.T, b *testBundle) {
				signer := newTestSigner(t)
				rcv := newReceiver(t, signer, func(int) reply { return tt.reply })
				dp := newDispatcher(t, b.db, signer, notify.Options{Timeout: 300 * time.Millisecond})
				evtID := mustEnqueue(t, b.db, b.outbox, rcv.url())
				mustDeliverDue(t, dp, 1)
				n := mustGet(t, b.outbox, evtID)
				if n.State != tt.wantState || len(n.Attempts) != 1 || n.Attempts[0].Error != tt.wantErr {
					t.Fatalf("event = %+v; want %s with error %q", n, tt.wantState, tt.wantErr)
				}
				if a := n.Attempts[0]; tt.reply == replyHang && (a.Status != 0 || a.Duration < 300*time.Millisecond) {
					t.Fatalf("attempt = %+v; want no status, at least the timeout long", a)
				}
				if tt.reply == replyHang && !n.NextAttemptAt.Equal(t0.Add(15*time.Second)) {
					t.Fatalf("next attempt at %v, want t0+15s", n.NextAttemptAt)
				}
			})
		})
	}
}

// TestRollbackLeavesNoEvent: an event enqueued in a transaction that rolls
// back never exists and is never sent.
func TestRollbackLeavesNoEvent(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		signer := newTestSigner(t)
		rcv := newReceiver(t, signer, func(int) reply { return 200 })
		boom := errors.New("payment failed later in the transaction")
		var evtID string
		err := b.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			evtID, err = b.outbox.Enqueue(ctx, tx, notify.Event{MerchantID: "mch_1", Type: "payment.succeeded", URL: rcv.url(), Data: map[string]any{"id": "pay_1"}})
			if err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || evtID == "" {
			t.Fatalf("InTx = %v (event %q), want boom after an enqueue", err, evtID)
		}
		if _, err := b.outbox.Get(ctx, evtID); !errors.Is(err, notify.ErrEventNotFound) {
			t.Fatalf("Get(rolled back) = %v, want ErrEventNotFound", err)
		}
		if list, err := b.outbox.List(ctx, notify.ListParams{}); err != nil || len(list) != 0 {
			t.Fatalf("List = %v, %v; want nothing", list, err)
		}
		mustDeliverDue(t, newDispatcher(t, b.db, signer, notify.Options{}), 0)
		if n := len(rcv.requests()); n != 0 {
			t.Fatalf("receiver got %d requests", n)
		}
	})
}
