package mail_test

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

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

// received is one message the sink accepted, parsed.
type received struct {
	MailFrom  string   // the envelope sender
	RcptTo    []string // the envelope recipients
	From      string   // headers, decoded
	To        string
	Subject   string
	MessageID string
	Date      string
	Text      string // the text/plain part, decoded
	HTML      string // the text/html part, decoded; "" if none
}

// sink is an SMTP server on loopback (go-smtp) that records what it
// accepts. Its answer to the n-th RCPT TO (from 1) is rcptFunc(n): nil
// accepts.
type sink struct {
	t        *testing.T
	srv      *smtp.Server
	addr     *net.TCPAddr
	rcptFunc func(n int) error
	arrived  chan struct{} // one per accepted message (buffered)

	mu    sync.Mutex
	rcpts int
	got   []received
}

func newSink(t *testing.T, rcptFunc func(n int) error) *sink {
	t.Helper()
	if rcptFunc == nil {
		rcptFunc = func(int) error { return nil }
	}
	s := &sink{t: t, rcptFunc: rcptFunc, arrived: make(chan struct{}, 1000)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().(*net.TCPAddr)
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// tempFail is the 451 a busy server answers.
var tempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later, alice@example.com"}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitMessages waits until the sink has accepted n messages in all.
func (s *sink) waitMessages(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := s.messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("sink has %d messages after 30 s, want %d", len(s.messages()), n)
		}
	}
}

// sender returns a Sender to the sink, without TLS.
func (s *sink) sender(t *testing.T) *mail.Sender {
	t.Helper()
	snd, err := mail.NewSender(mail.Config{
		Host: "127.0.0.1", Port: s.addr.Port, From: "Paygate 演示 <no-reply@pay.example>",
		TLS: mail.TLSNone, Timeout: 5 * time.Second, HELO: "paygate.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

type session struct {
	sink *sink
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	ss.sink.rcpts++
	n := ss.sink.rcpts
	ss.sink.mu.Unlock()
	if err := ss.sink.rcptFunc(n); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec, err := parseMessage(raw)
	if err != nil {
		ss.sink.t.Errorf("sink: unparsable message: %v\n%s", err, raw)
		return err
	}
	rec.MailFrom, rec.RcptTo = ss.from, ss.to
	ss.sink.mu.Lock()
	ss.sink.got = append(ss.sink.got, rec)
	ss.sink.mu.Unlock()
	ss.sink.arrived <- struct{}{}
	return nil
}

// parseMessage decodes the headers and the text and HTML parts of raw.
func parseMessage(raw []byte) (received, error) {
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return received{}, err
	}
	dec := new(mime.WordDecoder)
	var rec received
	for _, h := range []struct {
		name string
		dst  *string
	}{{"From", &rec.From}, {"To", &rec.To}, {"Subject", &rec.Subject}, {"Message-Id", &rec.MessageID}, {"Date", &rec.Date}} {
		v, err := dec.DecodeHeader(msg.Header.Get(h.name))
		if err != nil {
			return received{}, err
		}
		*h.dst = v
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return received{}, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decodePart(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		rec.Text = body
		return rec, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return rec, nil
		}
		if err != nil {
			return received{}, err
		}
		body, err := decodePart(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return received{}, err
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			rec.Text = body
		case strings.HasPrefix(ct, "text/html"):
			rec.HTML = body
		}
	}
}

func decodePart(r io.Reader, cte string) (string, error) {
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
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
