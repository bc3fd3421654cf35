package account

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paygate/internal/db"
	"paygate/internal/errs"
)

// Kind is the kind of an account.
type Kind string

// Account kinds.
const (
	Personal   Kind = "personal"
	Enterprise Kind = "enterprise" // has a company name
)

// Status is where an account is in its life.
type Status string

// Account statuses.
const (
	Pending Status = "pending" // registered, activation link not used yet
	Active  Status = "active"
	Locked  Status = "locked" // too many failed log-ins, until LockedUntil
)

// Account is an email account. It never carries the password hash.
type Account struct {
	ID          string // acct_…
	Email       string // canonical form, see [NormalizeEmail]
	Kind        Kind
	Company     string // enterprise accounts only
	Status      Status
	CreatedAt   time.Time
	ActivatedAt *time.Time
	// LockedUntil is when a lock-out after wrong passwords ends: set while
	// Status is Locked (nil then means until an operator unlocks), and on a
	// pending account whose activation or log-in is locked out (it stays
	// pending: only its activation link makes it active).
	LockedUntil *time.Time
	// SessionsValidAfter, when set, ends every session logged in before it
	// (a password reset sets it); nil means no restriction.
	SessionsValidAfter *time.Time
}

// Mailer enqueues an email inside the caller's transaction, so that the
// message commits with the token it carries. kind names the message
// ([MailActivation], [MailReset]); ref is the account id. In paygate it is
// an adapter over the mail outbox.
type Mailer interface {
	Send(ctx context.Context, tx *db.Tx, to, subject, text, kind, ref string) error
}

// Kinds of the emails the package sends.
const (
	MailActivation = "account_activation"
	MailReset      = "password_reset"
)

// OnActivateFunc runs inside the transaction that activates a; if it fails,
// the activation is rolled back.
type OnActivateFunc func(ctx context.Context, tx *db.Tx, a Account) error

// Errors, with their stable API codes. Messages are safe to show.
var (
	ErrInvalidEmail       = errs.E(errs.Invalid, "email_invalid", "Enter a valid email address, like name@example.com.")
	ErrWeakPassword       = errs.E(errs.Invalid, "password_too_weak", "Use a password of at least 10 characters that mixes at least two of: lower-case letters, upper-case letters, digits, other characters.")
	ErrPasswordTooLong    = errs.E(errs.Invalid, "password_too_long", "Use a password of at most 256 characters.")
	ErrInvalidKind        = errs.E(errs.Invalid, "account_kind_invalid", "The account kind must be personal or enterprise.")
	ErrCompanyRequired    = errs.E(errs.Invalid, "company_required", "An enterprise account needs the company name (at most 200 characters).")
	ErrEmailTaken         = errs.E(errs.Conflict, "email_registered", "This email already has an account. Log in, or reset your password if you forgot it.")
	ErrActivationInvalid  = errs.E(errs.NotFound, "activation_link_invalid", "This activation link is not valid. Use the latest link we sent, or register again to get a new one.")
	ErrActivationExpired  = errs.E(errs.Conflict, "activation_link_expired", "This activation link has expired. Register again with the same email to get a new one.")
	ErrActivationUsed     = errs.E(errs.Conflict, "activation_link_used", "This activation link has already been used. Log in with your email and password.")
	ErrResetInvalid       = errs.E(errs.NotFound, "reset_link_invalid", "This password reset link is not valid. Use the latest link we sent, or ask for a new one.")
	ErrResetExpired       = errs.E(errs.Conflict, "reset_link_expired", "This password reset link has expired. Ask for a new one.")
	ErrResetUsed          = errs.E(errs.Conflict, "reset_link_used", "This password reset link has already been used. Ask for a new one if you need to.")
	ErrBadCredentials     = errs.E(errs.Unauthorized, "credentials_invalid", "The email or password is incorrect.")
	ErrLocked             = errs.E(errs.Forbidden, "account_locked", "Too many failed log-in attempts: log-in is blocked for this account for a while. Try again later, or reset your password.")
	ErrActivationPassword = errs.E(errs.Unauthorized, "activation_password_wrong", "This is not the password chosen when this email was registered. Enter that password; if you did not register it, register again with this email to choose your own.")
	ErrNotActivated       = errs.E(errs.Forbidden, "account_not_activated", "This account is not activated yet. Open the link in the email we sent, or register again to get a new one.")
	ErrNotFound           = errs.E(errs.NotFound, "account_not_found", "No such account.")
	ErrCrossOrigin        = errs.E(errs.Forbidden, "cross_origin_request", "This request came from another site and was refused. Reload the page and try again.")
)

// NormalizeEmail returns the canonical form of an address, which is the
// login and the key of pay-to-email claims: surrounding spaces trimmed, the
// whole address lower-cased (people do not type case consistently, and
// practically every mailbox provider ignores it), at most 254 bytes, no
// display name ("Ann <ann@example.com>" is refused). It is the same rule as
// wallet.NormalizeEmail, so an address paid to and the account that claims
// it agree. Errors: [ErrInvalidEmail].
func NormalizeEmail(s string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Name != "" || len(a.Address) > 254 || a.Address != strings.TrimSpace(s) {
		return "", ErrInvalidEmail
	}
	return strings.ToLower(a.Address), nil
}

// Password rules, kept simple on purpose (NIST SP 800-63B favours length
// over composition): at least MinPasswordLen characters, at most
// MaxPasswordLen, and not all from one class of lower-case letters,
// upper-case letters, digits and everything else.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckPassword tells whether password follows the rules. Errors:
// [ErrWeakPassword], [ErrPasswordTooLong].
func CheckPassword(password string) error {
	n := utf8.RuneCountInString(password)
	if n > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	if n < MinPasswordLen || !utf8.ValidString(password) {
		return ErrWeakPassword
	}
	var classes [4]bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			classes[0] = true
		case unicode.IsUpper(r):
			classes[1] = true
		case unicode.IsDigit(r):
			classes[2] = true
		default:
			classes[3] = true
		}
	}
	k := 0
	for _, c := range classes {
		if c {
			k++
		}
	}
	if k < 2 {
		return ErrWeakPassword
	}
	return nil
}

// checkKind validates kind and company and returns the company to store.
func checkKind(kind Kind, company string) (string, error) {
	company = strings.TrimSpace(company)
	switch kind {
	case Personal:
		return "", nil
	case Enterprise:
		if company == "" || utf8.RuneCountInString(company) > 200 {
			return "", ErrCompanyRequired
		}
		return company, nil
	default:
		return "", ErrInvalidKind
	}
}

// SessionCurrent reports whether a session logged in to a at loginAt (ok:
// the session knows when) may still act for it: not if it began before
// [Account.SessionsValidAfter], nor, once that is set, if it does not say
// when it began.
func (a Account) SessionCurrent(loginAt time.Time, ok bool) bool {
	if a.SessionsValidAfter == nil {
		return true
	}
	return ok && !loginAt.Before(*a.SessionsValidAfter)
}

// String describes a for logs: its id, kind and status, never more.
func (a Account) String() string { return fmt.Sprintf("%s(%s,%s)", a.ID, a.Kind, a.Status) }
