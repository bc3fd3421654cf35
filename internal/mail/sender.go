package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSPolicy says whether the SMTP session must be encrypted with STARTTLS.
type TLSPolicy string

// TLS policies.
const (
	// TLSMandatory refuses to send unless the server offers STARTTLS and the
	// handshake (with certificate verification) succeeds. The default.
	TLSMandatory TLSPolicy = "mandatory"
	// TLSOpportunistic uses STARTTLS when offered, plain text otherwise.
	TLSOpportunistic TLSPolicy = "opportunistic"
	// TLSNone never encrypts: for a relay on the same host or a test sink.
	TLSNone TLSPolicy = "none"
)

// Config says where and how a [Sender] delivers. Only Host and From are
// required.
type Config struct {
	Host string // SMTP server host name
	Port int    // default 587
	// Username and Password, if Username is set, authenticate with the best
	// mechanism the server offers. PLAIN and LOGIN are only used over TLS
	// (go-mail's rule), so a password never crosses the wire in clear.
	Username string
	Password string
	// From is the sender address, e.g. "Paygate <no-reply@pay.example>".
	From string
	TLS  TLSPolicy // default TLSMandatory
	// TLSConfig overrides the TLS settings (e.g. extra root CAs); its
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds one whole SMTP session: connect, greeting, STARTTLS,
	// AUTH, MAIL, RCPT, DATA and QUIT (default 30 s).
	Timeout time.Duration
	// HELO is the name this client gives in EHLO (default: the OS host name).
	HELO string
}

// String describes the configuration with the password masked, for
// start-up logs.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "xxxxx"
	}
	return fmt.Sprintf("smtp host=%s port=%d user=%q password=%s from=%q tls=%s timeout=%s",
		c.Host, c.Port, c.Username, pw, c.From, c.TLS, c.Timeout)
}

// Outgoing is one stored message as handed to a [Transport].
type Outgoing struct {
	ID        string // msg_…; also the Message-ID's left part
	CreatedAt time.Time
	Message
}

// Transport hands one message to a mail server. The [Dispatcher] is its
// consumer; [*Sender] is the SMTP implementation. Send returns nil only when
// the server accepted the message. A *[SendError] tells the dispatcher what
// happened in words safe to store and whether retrying can help; any other
// error counts as temporary with the text "send failed".
type Transport interface {
	Send(ctx context.Context, m Outgoing) error
}

var _ Transport = (*Sender)(nil)

// SendError is a failed attempt to hand a message over.
type SendError struct {
	Code int // the SMTP reply code, 0 if none came
	// Text is short and fixed by us ("smtp 451 at rcpt", "connection
	// refused"): never the server's reply text, an address or a password.
	Text string
	// Permanent is true when the server refused this message for good (a
	// 5xx to RCPT or DATA); the dispatcher then stops retrying.
	Permanent bool
	Err       error // the cause, for the log only
}

// Error implements error.
func (e *SendError) Error() string { return e.Text }

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// Sender delivers messages over SMTP with go-mail, one session per message.
// It is safe for concurrent use.
type Sender struct {
	cfg    Config
	from   string // the From header as configured
	domain string // the From address's domain, for Message-IDs
}

// NewSender checks cfg and returns a Sender. It does not connect.
func NewSender(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: smtp host is required")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: smtp port %d out of range", cfg.Port)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone:
	default:
		return nil, fmt.Errorf("mail: tls policy %q: want mandatory, opportunistic or none", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	msg := gomail.NewMsg()
	if err := msg.From(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: from address %q: %w", cfg.From, err)
	}
	addrs := msg.GetFrom()
	if len(addrs) != 1 {
		return nil, fmt.Errorf("mail: from address %q: want one address", cfg.From)
	}
	addr := addrs[0].Address
	return &Sender{cfg: cfg, from: cfg.From, domain: strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])}, nil
}

// Send delivers m in one SMTP session bounded by the configured timeout
// and by ctx: cancelling ctx closes the connection at once.
func (s *Sender) Send(ctx context.Context, m Outgoing) error {
	msg, err := s.build(m)
	if err != nil {
		return &SendError{Text: "message not encodable", Permanent: true, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	client, err := gomail.NewClient(s.cfg.Host, s.options(ctx)...)
	if err != nil {
		return &SendError{Text: "smtp client setup failed", Err: err}
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(ctx, err, s.cfg.Timeout)
	}
	// Once the server has accepted the message, a failed QUIT changes
	// nothing: it is sent, and reporting an error would send it twice.
	defer func() { _ = client.CloseWithSMTPClient(conn) }()
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		return classify(ctx, err, s.cfg.Timeout)
	}
	return nil
}

func (s *Sender) options(ctx context.Context) []gomail.Option {
	tlsPolicy := map[TLSPolicy]gomail.TLSPolicy{
		TLSMandatory: gomail.TLSMandatory, TLSOpportunistic: gomail.TLSOpportunistic, TLSNone: gomail.NoTLS,
	}[s.cfg.TLS]
	tc := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = s.cfg.Host
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSPolicy(tlsPolicy),
		gomail.WithTLSConfig(tc),
		// The connection closes when ctx ends: Stop does not wait for a
		// slow server, and the whole session is bounded by the timeout.
		gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: s.cfg.Timeout}
			conn, err := d.DialContext(dctx, network, addr)
			if err != nil {
				return nil, err
			}
			context.AfterFunc(ctx, func() { conn.Close() })
			return conn, nil
		}),
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// build makes the MIME message: text/plain, with a text/html alternative
// if m has one; Message-ID <msg_…@from-domain> and Date the enqueue time,
// the same on every attempt, so a receiver can drop a duplicate.
func (s *Sender) build(m Outgoing) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, err
	}
	if err := msg.To(m.To); err != nil {
		return nil, err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetUserAgent("paygate-mail/1")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// classify turns go-mail's error into a [SendError] with a safe text.
func classify(ctx context.Context, err error, timeout time.Duration) *SendError {
	se := &SendError{Err: err}
	var (
		tpErr   *textproto.Error
		sendErr *gomail.SendError
	)
	if errors.As(err, &tpErr) {
		se.Code = tpErr.Code
	}
	if errors.As(err, &sendErr) && se.Code == 0 {
		se.Code = sendErr.ErrorCode()
	}
	if se.Code != 0 {
		stage := "session"
		if sendErr != nil {
			switch sendErr.Reason {
			case gomail.ErrSMTPMailFrom:
				stage = "mail from"
			case gomail.ErrSMTPRcptTo:
				stage = "rcpt"
				se.Permanent = se.Code/100 == 5
			case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
				stage = "data"
				se.Permanent = se.Code/100 == 5
			}
		} else if strings.Contains(err.Error(), "SMTP AUTH failed") {
			stage = "auth"
		}
		se.Text = "smtp " + strconv.Itoa(se.Code) + " at " + stage
		return se
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		se.Text = "timeout after " + timeout.String()
		return se
	}
	se.Text = safeNetError(err)
	if se.Text == "" {
		switch msg := err.Error(); {
		case strings.Contains(msg, "does not support STARTTLS"):
			se.Text = "server offers no starttls"
		case strings.Contains(msg, "SMTP AUTH"), errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
			se.Text = "no usable auth mechanism"
		default:
			se.Text = "smtp session failed"
		}
	}
	return se
}
