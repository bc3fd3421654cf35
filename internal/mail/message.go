package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paygate/internal/errs"
)

// Errors returned by the package. Match them with errors.Is.
var (
	ErrInvalidMessage  = errs.E(errs.Invalid, "mail_invalid_message", "The email message is malformed.")
	ErrMessageNotFound = errs.E(errs.NotFound, "mail_message_not_found", "No such email message.")
)

// InvalidMessageError says which field of a [Message] is wrong and why. It
// matches [ErrInvalidMessage] with errors.Is, and errs.KindOf reports
// errs.Invalid. Reason never holds the field's value.
type InvalidMessageError struct {
	Field  string // to, subject, text, html, kind, ref
	Reason string
}

// Error implements error.
func (e *InvalidMessageError) Error() string {
	return fmt.Sprintf("invalid email message: %s: %s", e.Field, e.Reason)
}

// Unwrap returns [ErrInvalidMessage].
func (e *InvalidMessageError) Unwrap() error { return ErrInvalidMessage }

// Limits on a [Message], checked by [Outbox.Enqueue].
const (
	MaxSubjectRunes = 200       // and no control characters
	MaxTextBytes    = 256 << 10 // the text/plain body
	MaxHTMLBytes    = 512 << 10 // the text/html body
	MaxAddressBytes = 254       // RFC 5321's path limit
	maxKindBytes    = 50
	maxRefBytes     = 100
)

// Message is an email to send: what [Outbox.Enqueue] stores.
type Message struct {
	// To is one bare address, e.g. "alice@example.com" (no display name).
	// The domain is stored lower-cased.
	To      string
	Subject string // one line, up to MaxSubjectRunes runes
	Text    string // the text/plain body; required
	HTML    string // an optional text/html alternative
	// Kind says what the email is for ("activation", "invitation",
	// "password_reset"): lower-case letters, digits, '_', '.', '-'.
	Kind string
	// Ref optionally names what the email is about, e.g. an account id.
	Ref string
}

// State is where a message's delivery stands.
type State string

// Message states.
const (
	// Pending: not yet accepted by the mail server; due at NextAttemptAt.
	Pending State = "pending"
	// Sent: a mail server accepted it (250 after DATA).
	Sent State = "sent"
	// Failed: the server refused it for good, or every scheduled attempt
	// failed.
	Failed State = "failed"
)

// Mail is a stored message and where its delivery stands.
type Mail struct {
	ID string // msg_…
	Message
	State State
	// NextAttemptAt is when the message is due (or, while an attempt is in
	// flight, when its lease ends); zero unless State is Pending.
	NextAttemptAt time.Time
	LastError     string // safe text of the last failed attempt
	CreatedAt     time.Time
	SentAt        time.Time // zero unless Sent
	FailedAt      time.Time // zero unless Failed
	Attempts      []Attempt // oldest first; only from [Outbox.Get]
}

// Attempt is one delivery attempt of a message.
type Attempt struct {
	MessageID string
	N         int       // 1 for the first attempt, then 2, 3, …
	At        time.Time // when the SMTP session started
	// Code is the server's reply code: 250 when accepted, e.g. 451 or 550
	// when refused, 0 when no reply came (connection refused, timeout).
	Code     int
	Error    string        // safe text; "" when sent
	Duration time.Duration // whole milliseconds
}

// Sent reports whether the attempt delivered the message.
func (a Attempt) Sent() bool { return a.Error == "" }

// validate checks m and returns it normalized (address domain lower-cased).
func (m Message) validate() (Message, error) {
	bad := func(field, reason string) (Message, error) {
		return Message{}, &InvalidMessageError{Field: field, Reason: reason}
	}
	to, err := normalizeAddress(m.To)
	if err != nil {
		return bad("to", err.Error())
	}
	m.To = to
	switch {
	case m.Subject == "":
		return bad("subject", "empty")
	case !utf8.ValidString(m.Subject):
		return bad("subject", "not UTF-8")
	case utf8.RuneCountInString(m.Subject) > MaxSubjectRunes:
		return bad("subject", fmt.Sprintf("longer than %d characters", MaxSubjectRunes))
	case strings.IndexFunc(m.Subject, unicode.IsControl) >= 0:
		return bad("subject", "holds a control character or line break")
	case strings.TrimSpace(m.Text) == "":
		return bad("text", "empty")
	case len(m.Text) > MaxTextBytes:
		return bad("text", fmt.Sprintf("longer than %d bytes", MaxTextBytes))
	case !utf8.ValidString(m.Text):
		return bad("text", "not UTF-8")
	case len(m.HTML) > MaxHTMLBytes:
		return bad("html", fmt.Sprintf("longer than %d bytes", MaxHTMLBytes))
	case !utf8.ValidString(m.HTML):
		return bad("html", "not UTF-8")
	case !validKind(m.Kind):
		return bad("kind", "want 1–50 of a-z 0-9 _ . -")
	case len(m.Ref) > maxRefBytes || !utf8.ValidString(m.Ref) || strings.IndexFunc(m.Ref, unicode.IsControl) >= 0:
		return bad("ref", fmt.Sprintf("want up to %d printable bytes", maxRefBytes))
	}
	return m, nil
}

// normalizeAddress accepts one bare address ("a@example.com", no display
// name, no angle brackets) as net/mail parses it, and lower-cases its domain.
func normalizeAddress(s string) (string, error) {
	switch {
	case s == "":
		return "", errors.New("empty")
	case len(s) > MaxAddressBytes:
		return "", fmt.Errorf("longer than %d bytes", MaxAddressBytes)
	case strings.ContainsAny(s, "\r\n"):
		return "", errors.New("holds a line break")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", errors.New("not an email address")
	}
	if a.Name != "" || a.Address != s {
		return "", errors.New("want a bare address without a display name")
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || !strings.Contains(a.Address[at:], ".") && a.Address[at+1:] != "localhost" {
		return "", errors.New("want a domain with a dot")
	}
	return a.Address[:at] + strings.ToLower(a.Address[at:]), nil
}

func validKind(k string) bool {
	if k == "" || len(k) > maxKindBytes {
		return false
	}
	for _, r := range k {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// MaskAddress hides most of an address for logs: "alice@example.com"
// becomes "a***@example.com". Anything that is not an address becomes "***".
func MaskAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(addr)
	return string(r) + "***" + addr[at:]
}
