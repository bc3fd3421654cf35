package notify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/db/dbtest"
	"paygate/internal/notify"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// t0 is where every test's fake clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testBundle is one test's database, on one engine, with a fake clock.
type testBundle struct {
	clock  *clock.Fake
	db     *db.DB
	outbox *notify.Outbox
	// reopen returns another handle on the same database, as another
	// process (or this one after a restart) would open it.
	reopen func(t *testing.T) *db.DB
}

// engines runs fn as the parallel subtests "sqlite" and "postgres", each with
// a fresh database whose clock is a fake set to t0.
func engines(t *testing.T, fn func(t *testing.T, b *testBundle)) {
	t.Helper()
	dbtest.EngineDSNs(t, func(t *testing.T, _ db.Engine, dsn string) {
		b := &testBundle{clock: clock.NewFake(t0)}
		b.reopen = func(t *testing.T) *db.DB { return dbtest.Open(t, dsn, db.Options{Clock: b.clock}) }
		b.db = b.reopen(t)
		b.outbox = notify.NewOutbox(b.db, nil)
		fn(t, b)
	})
}

// paymentData is the object the test events carry.
const paymentData = `{"id":"pay_1","amount":1234,"currency":"CNY","status":"succeeded","subject":"<tea & cake>"}`

// mustEnqueue commits one payment.succeeded event to url and returns its id.
func mustEnqueue(t *testing.T, d *db.DB, o *notify.Outbox, url string) string {
	t.Helper()
	var evtID string
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		evtID, err = o.Enqueue(context.Background(), tx, notify.Event{
			MerchantID: "mch_1", Type: "payment.succeeded", URL: url, Data: json.RawMessage(paymentData),
		})
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return evtID
}

func mustGet(t *testing.T, o *notify.Outbox, evtID string) notify.Notification {
	t.Helper()
	n, err := o.Get(context.Background(), evtID)
	if err != nil {
		t.Fatalf("get %s: %v", evtID, err)
	}
	return n
}

// testSigner signs like the gateway keys do, with an Ed25519 key.
type testSigner struct {
	priv ed25519.PrivateKey
	n    atomic.Int64
}

var _ notify.Signer = (*testSigner)(nil)

func newTestSigner(t *testing.T) *testSigner {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{priv: priv}
}

func (s *testSigner) Sign(body []byte) (http.Header, error) {
	ts := "1772355600"
	nonce := fmt.Sprintf("nonce%016d", s.n.Add(1))
	sig := ed25519.Sign(s.priv, []byte(ts+"\n"+nonce+"\n"+string(body)+"\n"))
	h := http.Header{}
	h.Set("Paygate-Timestamp", ts)
	h.Set("Paygate-Nonce", nonce)
	h.Set("Paygate-Key-Id", "gk_test")
	h.Set("Paygate-Signature", base64.StdEncoding.EncodeToString(sig))
	return h, nil
}

// verify checks the gateway signature headers of a request.
func (s *testSigner) verify(h http.Header, body []byte) bool {
	sig, err := base64.StdEncoding.DecodeString(h.Get("Paygate-Signature"))
	if err != nil || h.Get("Paygate-Key-Id") != "gk_test" {
		return false
	}
	msg := h.Get("Paygate-Timestamp") + "\n" + h.Get("Paygate-Nonce") + "\n" + string(body) + "\n"
	return ed25519.Verify(s.priv.Public().(ed25519.PublicKey), []byte(msg), sig)
}

// reply is what the receiver does with a request: an HTTP status, or one of
// the misbehaviours below.
type reply int

const (
	replyHang  reply = -1 // answer nothing until the client gives up
	replyClose reply = -2 // close the connection without an answer
)

// received is one request the receiver saw.
type received struct {
	Body   []byte
	Header http.Header
	SigOK  bool
}

// receiver is a merchant's notify endpoint. Its reply to the n-th request
// (from 1) is replyFunc(n).
type receiver struct {
	srv       *httptest.Server
	signer    *testSigner
	replyFunc func(n int) reply
	arrived   chan struct{} // a request arrived (buffered; never blocks)

	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, signer *testSigner, replyFunc func(n int) reply) *receiver {
	t.Helper()
	r := newUnstartedReceiver(t, signer, replyFunc)
	r.srv.Start()
	return r
}

func newUnstartedReceiver(t *testing.T, signer *testSigner, replyFunc func(n int) reply) *receiver {
	t.Helper()
	r := &receiver{signer: signer, replyFunc: replyFunc, arrived: make(chan struct{}, 1000)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{Body: body, Header: req.Header.Clone(), SigOK: r.signer.verify(req.Header, body)})
	n := len(r.got)
	r.mu.Unlock()
	r.arrived <- struct{}{}
	switch rep := r.replyFunc(n); rep {
	case replyHang:
		<-req.Context().Done()
	case replyClose:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.WriteHeader(int(rep))
	}
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// url is the receiver's notify URL.
func (r *receiver) url() string { return r.srv.URL + "/notify?token=s3cret" }

// reservedAddr returns a loopback address where nothing listens (so that
// connecting is refused) until the test listens there itself.
func reservedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startAt starts an unstarted receiver on addr.
func (r *receiver) startAt(t *testing.T, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	r.srv.Listener = l
	r.srv.Start()
}

// attemptLog collects attempts from [notify.Options.OnAttemptFunc].
type attemptLog chan notify.Attempt

func newAttemptLog() attemptLog { return make(attemptLog, 1000) }

func (l attemptLog) record(a notify.Attempt) { l <- a }

// next waits for the next attempt. The deadline only guards against a hang.
func (l attemptLog) next(t *testing.T) notify.Attempt {
	t.Helper()
	select {
	case a := <-l:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("no attempt within 30 s")
		return notify.Attempt{}
	}
}

// waitArrival waits until the receiver has a request.
func (r *receiver) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-r.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no request within 30 s")
	}
}

// newDispatcher starts nothing; the test decides.
func newDispatcher(t *testing.T, d *db.DB, s notify.Signer, opts notify.Options) *notify.Dispatcher {
	t.Helper()
	dp := notify.NewDispatcher(d, s, opts)
	t.Cleanup(dp.Stop)
	return dp
}

func mustStart(t *testing.T, dp *notify.Dispatcher) {
	t.Helper()
	if err := dp.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
}

func mustDeliverDue(t *testing.T, dp *notify.Dispatcher, want int) {
	t.Helper()
	n, err := dp.DeliverDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d attempts", n, err, want)
	}
}
