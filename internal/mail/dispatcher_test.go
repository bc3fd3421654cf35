package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"paygate/internal/db"
	"paygate/internal/mail"
	"paygate/internal/mail/mailtest"
)

// ignoreDuration leaves wall-clock durations out of attempt comparisons.
var ignoreDuration = cmpopts.IgnoreFields(mail.Attempt{}, "Duration")

// syncBuffer is a log sink safe for the delivering goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDelivered: an enqueued message reaches a real SMTP listener with its
// envelope, headers and both bodies; the log names it without revealing it.
func TestDelivered(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, nil)
		var logs syncBuffer
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		m := activation("Alice.Liu@Example.COM")
		msgID := mustEnqueue(t, b.db, b.outbox, m)
		mustDeliverDue(t, dp, 1)

		got := snk.WaitMessages(t, 1)
		want := []mailtest.Received{{
			MailFrom:  "no-reply@pay.example",
			RcptTo:    []string{"Alice.Liu@example.com"},
			From:      "Paygate 演示 <no-reply@pay.example>",
			To:        "<Alice.Liu@example.com>",
			Subject:   m.Subject,
			MessageID: "<" + msgID + "@pay.example>",
			Date:      t0.Format(time.RFC1123Z),
			Text:      m.Text,
			HTML:      m.HTML,
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("received (-want +got):\n%s", diff)
		}

		stored := mustGet(t, b.outbox, msgID)
		wantMail := mail.Mail{
			ID: msgID, Message: m, State: mail.Sent, CreatedAt: t0, SentAt: t0,
			Attempts: []mail.Attempt{{MessageID: msgID, N: 1, At: t0, Code: 250}},
		}
		wantMail.To = "Alice.Liu@example.com"
		if diff := cmp.Diff(wantMail, stored, ignoreDuration); diff != "" {
			t.Fatalf("stored (-want +got):\n%s", diff)
		}
		mustDeliverDue(t, dp, 0) // sent messages are not sent again

		out := logs.String()
		if !strings.Contains(out, "message_id="+msgID) || !strings.Contains(out, "to=A***@example.com") ||
			!strings.Contains(out, "kind=activation") {
			t.Errorf("log lacks id, kind or masked recipient:\n%s", out)
		}
		for _, secret := range []string{"Alice.Liu", "t0k3n", "激活"} {
			if strings.Contains(out, secret) {
				t.Errorf("log reveals %q:\n%s", secret, out)
			}
		}
	})
}

// TestSecretsRedactedOnceDelivered: a message of a kind listed in
// RedactKinds reaches the server whole, and then its stored bodies are
// replaced, so that the outbox keeps no usable link; other kinds are kept.
func TestSecretsRedactedOnceDelivered(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, nil)
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{RedactKinds: []string{"activation"}})
		secret := mustEnqueue(t, b.db, b.outbox, activation("alice@example.com"))
		plain := activation("bob@example.com")
		plain.Kind = "receipt"
		kept := mustEnqueue(t, b.db, b.outbox, plain)
		mustDeliverDue(t, dp, 2)
		for _, got := range snk.WaitMessages(t, 2) {
			if !strings.Contains(got.Text, "t0k3n") {
				t.Fatalf("the server got %q", got.Text)
			}
		}
		if m := mustGet(t, b.outbox, secret); m.Text != mail.RedactedBody || m.HTML != "" || m.State != mail.Sent {
			t.Fatalf("stored after delivery: %+v", m)
		}
		if m := mustGet(t, b.outbox, kept); m.Text != plain.Text {
			t.Fatalf("a receipt was redacted: %q", m.Text)
		}
	})
}

// TestRetriedOnSchedule: the server answers 451 to the first two attempts;
// the fake clock drives the schedule (30 s, 2 m) and the third delivers.
func TestRetriedOnSchedule(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, func(n int) error {
			if n <= 2 {
				return mailtest.TempFail
			}
			return nil
		})
		log := newAttemptLog()
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{OnAttemptFunc: log.record, PollInterval: time.Hour})
		mustStart(t, dp)
		msgID := mustEnqueue(t, b.db, b.outbox, activation("bob@example.com"))
		dp.Wake()
		if a := log.next(t); a.N != 1 || a.Sent() {
			t.Fatalf("first attempt = %+v, want a failed attempt 1", a)
		}
		at := t0
		for i, delay := range []time.Duration{30 * time.Second, 2 * time.Minute} {
			if got := mustGet(t, b.outbox, msgID); got.State != mail.Pending || !got.NextAttemptAt.Equal(at.Add(delay)) {
				t.Fatalf("after attempt %d: %s, next attempt at %v; want pending, %v", i+1, got.State, got.NextAttemptAt, at.Add(delay))
			}
			b.clock.Advance(delay - time.Second)
			mustDeliverDue(t, dp, 0) // not due a second early
			at = b.clock.Advance(time.Second)
			dp.Wake()
			if a := log.next(t); a.N != i+2 || a.Sent() != (i == 1) {
				t.Fatalf("attempt %d = %+v", i+2, a)
			}
		}
		got := mustGet(t, b.outbox, msgID)
		wantLog := []mail.Attempt{
			{MessageID: msgID, N: 1, At: t0, Code: 451, Error: "smtp 451 at rcpt"},
			{MessageID: msgID, N: 2, At: t0.Add(30 * time.Second), Code: 451, Error: "smtp 451 at rcpt"},
			{MessageID: msgID, N: 3, At: t0.Add(150 * time.Second), Code: 250},
		}
		if diff := cmp.Diff(wantLog, got.Attempts, ignoreDuration); diff != "" {
			t.Fatalf("attempt log (-want +got):\n%s", diff)
		}
		if got.State != mail.Sent || !got.SentAt.Equal(at) || got.LastError != "" {
			t.Fatalf("message = %+v; want sent at %v", got, at)
		}
		if n := len(snk.WaitMessages(t, 1)); n != 1 {
			t.Fatalf("sink accepted %d messages, want 1", n)
		}
	})
}

// TestRestartMidSchedule: a dispatcher stops after a failed attempt; a new
// one, on a new database handle, sends at the next due time.
func TestRestartMidSchedule(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, func(n int) error {
			if n == 1 {
				return mailtest.TempFail
			}
			return nil
		})
		log := newAttemptLog()
		dp1 := newDispatcher(t, b.db, snk.Sender(t), mail.Options{OnAttemptFunc: log.record, PollInterval: time.Hour})
		mustStart(t, dp1)
		msgID := mustEnqueue(t, b.db, b.outbox, activation("carol@example.com"))
		dp1.Wake()
		if a := log.next(t); a.Sent() {
			t.Fatalf("first attempt sent: %+v", a)
		}
		dp1.Stop()
		dp1.Stop() // idempotent
		if err := dp1.Start(context.Background()); !errors.Is(err, mail.ErrStarted) {
			t.Fatalf("restarting a stopped dispatcher: %v, want ErrStarted", err)
		}

		d2 := b.reopen(t) // "the process restarted"
		dp2 := newDispatcher(t, d2, snk.Sender(t), mail.Options{OnAttemptFunc: log.record, PollInterval: 10 * time.Millisecond})
		b.clock.Advance(30 * time.Second)
		mustStart(t, dp2)
		if a := log.next(t); a.N != 2 || !a.Sent() {
			t.Fatalf("attempt after restart = %+v, want attempt 2 sent", a)
		}
		got := snk.WaitMessages(t, 1)
		if len(got) != 1 || got[0].MessageID != "<"+msgID+"@pay.example>" {
			t.Fatalf("sink got %+v", got)
		}
		if m := mustGet(t, b.outbox, msgID); m.State != mail.Sent || len(m.Attempts) != 2 {
			t.Fatalf("after restart: %+v", m)
		}
	})
}

// TestRolledBackNotSent: a message enqueued in a transaction that rolls
// back does not exist and is never sent.
func TestRolledBackNotSent(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, nil)
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{})
		boom := errors.New("business rule failed")
		var msgID string
		err := b.db.InTx(context.Background(), func(tx *db.Tx) error {
			var err error
			if msgID, err = b.outbox.Enqueue(context.Background(), tx, activation("dave@example.com")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		mustDeliverDue(t, dp, 0)
		if _, err := b.outbox.Get(context.Background(), msgID); !errors.Is(err, mail.ErrMessageNotFound) {
			t.Fatalf("Get(rolled back) = %v, want ErrMessageNotFound", err)
		}
		if list, err := b.outbox.List(context.Background(), mail.ListParams{}); err != nil || len(list) != 0 {
			t.Fatalf("List = %v, %v; want nothing", list, err)
		}
		if got := snk.Messages(); len(got) != 0 {
			t.Fatalf("sink got %d messages", len(got))
		}
	})
}

// TestPermanentRefusalFailsAtOnce: a 550 to RCPT is final.
func TestPermanentRefusalFailsAtOnce(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snk := mailtest.NewSink(t, func(int) error {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		})
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{})
		msgID := mustEnqueue(t, b.db, b.outbox, activation("nobody@example.com"))
		mustDeliverDue(t, dp, 1)
		got := mustGet(t, b.outbox, msgID)
		if got.State != mail.Failed || !got.FailedAt.Equal(t0) || got.LastError != "smtp 550 at rcpt" || !got.NextAttemptAt.IsZero() {
			t.Fatalf("after a 550: %+v", got)
		}
		b.clock.Advance(24 * time.Hour)
		mustDeliverDue(t, dp, 0)
	})
}

// TestScheduleExhausted: with nothing listening every attempt is refused;
// after the whole schedule the message is failed.
func TestScheduleExhausted(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		snd, err := mail.NewSender(mail.Config{
			Host: "127.0.0.1", Port: reservedAddr(t), From: "no-reply@pay.example", TLS: mail.TLSNone, Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		dp := newDispatcher(t, b.db, snd, mail.Options{})
		msgID := mustEnqueue(t, b.db, b.outbox, activation("erin@example.com"))
		mustDeliverDue(t, dp, 1)
		wantAt := []time.Time{t0}
		for _, delay := range mail.DefaultSchedule() {
			b.clock.Advance(delay - time.Second)
			mustDeliverDue(t, dp, 0)
			wantAt = append(wantAt, b.clock.Advance(time.Second))
			mustDeliverDue(t, dp, 1)
		}
		got := mustGet(t, b.outbox, msgID)
		last := wantAt[len(wantAt)-1]
		if got.State != mail.Failed || !got.FailedAt.Equal(last) || got.LastError != "connection refused" {
			t.Fatalf("after the schedule: %+v", got)
		}
		var gotAt []time.Time
		for _, a := range got.Attempts {
			gotAt = append(gotAt, a.At)
			if a.Code != 0 || a.Error != "connection refused" {
				t.Errorf("attempt %d = %+v", a.N, a)
			}
		}
		if diff := cmp.Diff(wantAt, gotAt); diff != "" {
			t.Fatalf("attempt times (-want +got):\n%s", diff)
		}
		b.clock.Advance(72 * time.Hour)
		mustDeliverDue(t, dp, 0)
	})
}

// TestStopHandsBackInFlight: Stop cuts off a session the server is
// stalling and leaves the message due at once, with no attempt counted.
func TestStopHandsBackInFlight(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, b *testBundle) {
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		snk := mailtest.NewSink(t, func(n int) error {
			if n == 1 {
				entered <- struct{}{}
				<-release
				return mailtest.TempFail
			}
			return nil
		})
		defer close(release)
		dp := newDispatcher(t, b.db, snk.Sender(t), mail.Options{PollInterval: time.Hour})
		mustStart(t, dp)
		msgID := mustEnqueue(t, b.db, b.outbox, activation("frank@example.com"))
		dp.Wake()
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("no session")
		}
		start := time.Now()
		dp.Stop()
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Stop took %v with a stalled session", d)
		}
		got := mustGet(t, b.outbox, msgID)
		if got.State != mail.Pending || len(got.Attempts) != 0 || !got.NextAttemptAt.Equal(t0) {
			t.Fatalf("after Stop: %+v; want pending, due now, no attempt", got)
		}
	})
}
