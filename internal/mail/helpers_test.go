package mail_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/mail"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// t0 is where every test's fake clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testBundle is one test's database, on one engine, with a fake clock.
type testBundle struct {
	clock  *clock.Fake
	db     *db.DB
	outbox *mail.Outbox
	// reopen returns another handle on the same database, as another
	// process (or this one after a restart) would open it.
	reopen func(t *testing.T) *db.DB
}

// engines runs fn as the parallel subtests "sqlite" and "postgres", each
// with a fresh database whose clock is a fake set to t0.
func engines(t *testing.T, fn func(t *testing.T, b *testBundle)) {
	t.Helper()
	dbtest.EngineDSNs(t, func(t *testing.T, _ db.Engine, dsn string) {
		b := &testBundle{clock: clock.NewFake(t0)}
		b.reopen = func(t *testing.T) *db.DB { return dbtest.Open(t, dsn, db.Options{Clock: b.clock}) }
		b.db = b.reopen(t)
		b.outbox = mail.NewOutbox(b.db, nil)
		fn(t, b)
	})
}

// activation is the message most tests send.
func activation(to string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "激活您的账户 Activate your account",
		Text:    "您好！请点击链接激活：\nhttps://pay.example/activate?token=t0k3n&lang=zh\n\nHello! Activate your account with the link above.",
		HTML:    `<p>您好！<a href="https://pay.example/activate?token=t0k3n&amp;lang=zh">激活 Activate</a></p>`,
		Kind:    "activation",
		Ref:     "acct_1",
	}
}

// mustEnqueue commits m and returns its id.
func mustEnqueue(t *testing.T, d *db.DB, o *mail.Outbox, m mail.Message) string {
	t.Helper()
	var msgID string
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		msgID, err = o.Enqueue(context.Background(), tx, m)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return msgID
}

func mustGet(t *testing.T, o *mail.Outbox, msgID string) mail.Mail {
	t.Helper()
	m, err := o.Get(context.Background(), msgID)
	if err != nil {
		t.Fatalf("get %s: %v", msgID, err)
	}
	return m
}

// reservedAddr returns a loopback port where nothing listens, so that
// connecting is refused.
func reservedAddr(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// attemptLog collects attempts from [mail.Options.OnAttemptFunc].
type attemptLog chan mail.Attempt

func newAttemptLog() attemptLog { return make(attemptLog, 1000) }

func (l attemptLog) record(a mail.Attempt) { l <- a }

// next waits for the next attempt. The deadline only guards against a hang.
func (l attemptLog) next(t *testing.T) mail.Attempt {
	t.Helper()
	select {
	case a := <-l:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("no attempt within 30 s")
		return mail.Attempt{}
	}
}

// newDispatcher starts nothing; the test decides.
func newDispatcher(t *testing.T, d *db.DB, tr mail.Transport, opts mail.Options) *mail.Dispatcher {
	t.Helper()
	dp := mail.NewDispatcher(d, tr, opts)
	t.Cleanup(dp.Stop)
	return dp
}

func mustStart(t *testing.T, dp *mail.Dispatcher) {
	t.Helper()
	if err := dp.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
}

func mustDeliverDue(t *testing.T, dp *mail.Dispatcher, want int) {
	t.Helper()
	n, err := dp.DeliverDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d attempts", n, err, want)
	}
}

// itoa keeps test tables short.
func itoa(n int) string { return strconv.Itoa(n) }
