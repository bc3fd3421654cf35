// Package mailtest is an SMTP server for tests: a real listener on
// loopback (go-smtp) that records and decodes every message it accepts,
// so tests read what paygate really sent over SMTP.
package mailtest

import (
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"paygate/internal/mail"
)

// Received is one message the sink accepted, parsed.
type Received struct {
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

// Sink is an SMTP server on loopback (go-smtp) that records what it
// accepts. Its answer to the n-th RCPT TO (from 1) is rcptFunc(n): nil
// accepts.
type Sink struct {
	t        *testing.T
	srv      *smtp.Server
	Addr     *net.TCPAddr // where it listens
	rcptFunc func(n int) error
	arrived  chan struct{} // one per accepted message (buffered)

	mu    sync.Mutex
	rcpts int
	got   []Received
}

// NewSink starts a sink on a free loopback port, closed when t ends;
// rcptFunc may be nil (accept every recipient).
func NewSink(t *testing.T, rcptFunc func(n int) error) *Sink {
	t.Helper()
	if rcptFunc == nil {
		rcptFunc = func(int) error { return nil }
	}
	s := &Sink{t: t, rcptFunc: rcptFunc, arrived: make(chan struct{}, 1000)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().(*net.TCPAddr)
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// TempFail is the 451 a busy server answers.
var TempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later, alice@example.com"}

// Messages returns what the sink has accepted so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// WaitMessages waits until the sink has accepted n messages in all.
func (s *Sink) WaitMessages(t *testing.T, n int) []Received {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("sink has %d messages after 30 s, want %d", len(s.Messages()), n)
		}
	}
}

// Config is a sender configuration for the sink, without TLS.
func (s *Sink) Config() mail.Config {
	return mail.Config{
		Host: "127.0.0.1", Port: s.Addr.Port, From: "Paygate 演示 <no-reply@pay.example>",
		TLS: mail.TLSNone, Timeout: 5 * time.Second, HELO: "paygate.test",
	}
}

// Sender returns a Sender to the sink, without TLS.
func (s *Sink) Sender(t *testing.T) *mail.Sender {
	t.Helper()
	snd, err := mail.NewSender(s.Config())
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

// session is one SMTP session.
type session struct {
	sink *Sink
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
func parseMessage(raw []byte) (Received, error) {
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return Received{}, err
	}
	dec := new(mime.WordDecoder)
	var rec Received
	for _, h := range []struct {
		name string
		dst  *string
	}{{"From", &rec.From}, {"To", &rec.To}, {"Subject", &rec.Subject}, {"Message-Id", &rec.MessageID}, {"Date", &rec.Date}} {
		v, err := dec.DecodeHeader(msg.Header.Get(h.name))
		if err != nil {
			return Received{}, err
		}
		*h.dst = v
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Received{}, err
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
			return Received{}, err
		}
		body, err := decodePart(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Received{}, err
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
