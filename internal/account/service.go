package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
)

// DefaultArgon2 are the password hashing parameters: OWASP's recommended
// argon2id minimum (19 MiB, 2 passes, 1 lane), about 20–40 ms per hash, so
// that a burst of log-ins does not exhaust an instance's memory.
var DefaultArgon2 = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Options configure a [Service]. Zero fields take the documented defaults.
type Options struct {
	// BaseURL is the public address of the site, without a trailing slash;
	// links are BaseURL+"/account/activate?token=…" and
	// BaseURL+"/account/reset?token=…".
	BaseURL string
	Clock   clock.Clock   // default: the system clock
	IDs     *id.Generator // default: one on Clock
	Logger  *slog.Logger  // default: discard

	ActivationTTL time.Duration // how long an activation link works (default 24 h)
	ResetTTL      time.Duration // how long a reset link works (default 1 h)
	MaxFailures   int           // wrong passwords that lock an account (default 5)
	FailureWindow time.Duration // within which they count (default 15 min)
	LockoutPeriod time.Duration // how long the lock lasts (default 15 min)

	// Argon2 are the hashing parameters of new passwords (default
	// [DefaultArgon2]). Stored hashes carry their own parameters.
	Argon2 *argon2id.Params
	// OnActivate runs in the activation's transaction (default: nothing).
	OnActivate OnActivateFunc
}

// Service registers, activates, logs in and resets email accounts.
type Service struct {
	db     *db.DB
	mailer Mailer
	opts   Options
	pw     *Passwords
	lock   Lockout
}

// NewService returns a Service on d that sends its links through m.
func NewService(d *db.DB, m Mailer, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(opts.Clock.Now, nil)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	setDefault(&opts.ActivationTTL, 24*time.Hour)
	setDefault(&opts.ResetTTL, time.Hour)
	lock := NewLockout(opts.MaxFailures, opts.FailureWindow, opts.LockoutPeriod)
	opts.MaxFailures, opts.FailureWindow, opts.LockoutPeriod = lock.MaxFailures, lock.FailureWindow, lock.LockoutPeriod
	tok, _ := newToken()
	return &Service{db: d, mailer: m, opts: opts, pw: NewPasswords(opts.Argon2, tok), lock: lock}
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// now is the time of one command: UTC, whole microseconds (what both
// engines store).
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Microsecond) }

// Register creates a pending account and mails its activation link.
// Registering an address whose account is still pending replaces that
// registration (password, kind, company) and mails a fresh link; the older
// links stop working. Errors: [ErrInvalidEmail], [ErrWeakPassword],
// [ErrPasswordTooLong], [ErrInvalidKind], [ErrCompanyRequired],
// [ErrEmailTaken] (the address has an active or locked account).
func (s *Service) Register(ctx context.Context, email, password string, kind Kind, company string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, err
	}
	if err := CheckPassword(password); err != nil {
		return Account{}, err
	}
	if company, err = checkKind(kind, company); err != nil {
		return Account{}, err
	}
	hash := s.pw.Hash(password)
	var a Account
	// A concurrent registration of the same new address loses on the
	// unique email; the second try then finds the pending account.
	for try := 0; ; try++ {
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			a, err = s.registerTx(ctx, tx, email, hash, kind, company)
			return err
		})
		if err == nil || try == 1 || !db.IsUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return Account{}, fmt.Errorf("register: %w", err)
	}
	return a, nil
}

func (s *Service) registerTx(ctx context.Context, tx *db.Tx, email, hash string, kind Kind, company string) (Account, error) {
	now := s.now()
	x, err := accountByEmailTx(ctx, tx, email)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		x = row{Account: Account{ID: s.opts.IDs.New(id.PrefixAccount), Email: email, Kind: kind, Company: company,
			Status: Pending, CreatedAt: now}}
		if _, err := tx.Exec(ctx, insertAccount, x.ID, email, string(kind), company, hash, now, now); err != nil {
			return Account{}, err
		}
	case err != nil:
		return Account{}, err
	case x.Status != Pending:
		return Account{}, ErrEmailTaken
	default:
		if _, err := tx.Exec(ctx, reregister, string(kind), company, hash, now, x.ID); err != nil {
			return Account{}, err
		}
		x.Kind, x.Company = kind, company
	}
	if err := s.sendActivationTx(ctx, tx, x.Account, now); err != nil {
		return Account{}, err
	}
	return x.Account, nil
}

// sendActivationTx voids a's unused activation links, stores a new one and
// enqueues its email.
func (s *Service) sendActivationTx(ctx context.Context, tx *db.Tx, a Account, now time.Time) error {
	link, err := s.newLinkTx(ctx, tx, a.ID, purposeActivate, "/account/activate", now, s.opts.ActivationTTL)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(`Welcome to paygate.

To activate your account %s, open this link within %s:

%s

If you did not register, ignore this email: without activation the account cannot be used.

欢迎使用 paygate。请在 %s 内打开上面的链接以激活您的账户；如果您没有注册，请忽略本邮件。
`, a.Email, human(s.opts.ActivationTTL), link, human(s.opts.ActivationTTL))
	return s.mailer.Send(ctx, tx, a.Email, "Activate your paygate account / 激活您的 paygate 账户", text, MailActivation, a.ID)
}

// newLinkTx voids the account's unused links of purpose, stores a new token
// and returns the link that carries it.
func (s *Service) newLinkTx(ctx context.Context, tx *db.Tx, accountID, purpose, path string, now time.Time, ttl time.Duration) (string, error) {
	if _, err := tx.Exec(ctx, voidTokens, accountID, purpose); err != nil {
		return "", err
	}
	token, hash := newToken()
	if _, err := tx.Exec(ctx, insertToken, hash, accountID, purpose, now.Add(ttl), now); err != nil {
		return "", err
	}
	return s.opts.BaseURL + path + "?token=" + url.QueryEscape(token), nil
}

// human writes a link lifetime for an email: "24 hours", "15 minutes".
func human(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}

// Activate uses an activation link's token together with the password
// chosen at registration: the account becomes active and
// [Options.OnActivate] runs (it makes the address's claims the balance),
// in one transaction. The link alone is not enough, since whoever
// registered a pending address last chose its password: without this
// check, anyone could register someone else's address and have its owner
// activate it, claims and all, for them. A wrong password changes nothing
// but the lock-out count (as a wrong log-in does); the link stays usable.
// Errors: [ErrActivationInvalid], [ErrActivationPassword], [ErrLocked],
// [ErrActivationExpired], [ErrActivationUsed], or the hook's error (and
// nothing is activated).
func (s *Service) Activate(ctx context.Context, token, password string) (Account, error) {
	h, ok := hashToken(token)
	if !ok {
		return Account{}, ErrActivationInvalid
	}
	x, err := scanAccount(s.db.QueryRow(ctx, selectAccount+` WHERE id = (SELECT account_id FROM account_tokens WHERE token_hash = ? AND purpose = ?)`,
		h, purposeActivate))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Account{}, ErrActivationInvalid
	case err != nil:
		return Account{}, fmt.Errorf("activate: %w", err)
	case x.lockedAt(s.now()):
		return Account{}, ErrLocked
	}
	// Hash outside the transaction, as Login does.
	var match bool
	if TooLongToCheck(password) {
		s.pw.Waste(password)
	} else if match, err = s.pw.Verify(password, x.hash); err != nil {
		return Account{}, fmt.Errorf("activate %s: %w", x.ID, err)
	}
	var a Account
	var result error
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		result = nil
		now := s.now()
		if !match {
			y, err := accountByIDTx(ctx, tx, x.ID)
			if err != nil {
				return err
			}
			if y.lockedAt(now) {
				result = ErrLocked
				return nil
			}
			if result = s.failTx(ctx, tx, y, now); errors.Is(result, ErrBadCredentials) {
				result = ErrActivationPassword
			}
			return nil
		}
		y, err := consumeToken(ctx, tx, token, purposeActivate, now, activationErrors)
		switch {
		case err != nil:
			return err
		case y.hash != x.hash: // registered again since the check (which voids the link)
			return ErrActivationInvalid
		case y.lockedAt(now):
			return ErrLocked
		case y.Status != Pending:
			return ErrActivationUsed
		}
		if _, err := tx.Exec(ctx, activate, now, now, y.ID); err != nil {
			return err
		}
		y.Status, y.ActivatedAt, y.LockedUntil = Active, &now, nil
		a = y.Account
		if s.opts.OnActivate != nil {
			if err := s.opts.OnActivate(ctx, tx, a); err != nil {
				return fmt.Errorf("on activate %s: %w", a.ID, err)
			}
		}
		return nil
	})
	if err == nil {
		err = result
	}
	if err != nil {
		if errors.Is(err, ErrActivationPassword) || errors.Is(err, ErrLocked) {
			s.opts.Logger.InfoContext(ctx, "account activation refused", "account_id", x.ID, "code", errs.CodeOf(err))
		}
		return Account{}, err
	}
	s.opts.Logger.InfoContext(ctx, "account activated", "account_id", a.ID)
	return a, nil
}

// Login checks an email and password. Unknown addresses cost a hash like
// known ones. Errors: [ErrBadCredentials] (unknown address or wrong
// password), [ErrLocked] (too many failures: wrong passwords are not even
// checked until the lock ends), [ErrNotActivated] (right password, account
// still pending).
func (s *Service) Login(ctx context.Context, email, password string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil || TooLongToCheck(password) {
		s.pw.Waste(password)
		return Account{}, ErrBadCredentials
	}
	x, err := scanAccount(s.db.QueryRow(ctx, selectAccount+` WHERE email = ?`, email))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.pw.Waste(password)
		return Account{}, ErrBadCredentials
	case err != nil:
		return Account{}, fmt.Errorf("login: %w", err)
	case x.lockedAt(s.now()):
		return Account{}, ErrLocked
	}
	ok, err := s.pw.Verify(password, x.hash)
	if err != nil {
		return Account{}, fmt.Errorf("login %s: %w", x.ID, err)
	}
	var result error
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		result = nil
		now := s.now()
		x, err := accountByIDTx(ctx, tx, x.ID)
		if err != nil {
			return err
		}
		if x.lockedAt(now) {
			result = ErrLocked
			return nil
		}
		if !ok {
			result = s.failTx(ctx, tx, x, now)
			return nil
		}
		if x.failedLogins > 0 || x.Status == Locked {
			if _, err := tx.Exec(ctx, clearLockout, now, x.ID); err != nil {
				return err
			}
		}
		if x.Status == Pending {
			result = ErrNotActivated
		}
		return nil
	})
	if err == nil {
		err = result
	}
	if err != nil {
		return Account{}, err
	}
	// Re-read: the lock-out may just have been lifted.
	return s.Get(ctx, x.ID)
}

// failTx counts a wrong password and locks the account at the
// [Options.MaxFailures]th within [Options.FailureWindow]. It returns the
// error the caller sees.
func (s *Service) failTx(ctx context.Context, tx *db.Tx, x row, now time.Time) error {
	f := s.lock.Fail(x.failedLogins, x.failedSince, now)
	if f.Locks() {
		if _, err := tx.Exec(ctx, lockAccount, f.Until, now, x.ID); err != nil {
			return err
		}
		s.opts.Logger.WarnContext(ctx, "account locked after failed log-ins", "account_id", x.ID, "failures", f.Count)
		return ErrLocked
	}
	if _, err := tx.Exec(ctx, setFailures, f.Count, f.Since, now, x.ID); err != nil {
		return err
	}
	return ErrBadCredentials
}

// RequestReset mails a single-use password reset link to email if it has an
// active or locked account (a pending one gets a fresh activation link
// instead). To the caller it succeeds whether or not the address has an
// account. Errors: [ErrInvalidEmail] only.
func (s *Service) RequestReset(ctx context.Context, email string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		x, err := accountByEmailTx(ctx, tx, email)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case x.Status == Pending:
			return s.sendActivationTx(ctx, tx, x.Account, now)
		}
		link, err := s.newLinkTx(ctx, tx, x.ID, purposeReset, "/account/reset", now, s.opts.ResetTTL)
		if err != nil {
			return err
		}
		text := fmt.Sprintf(`Someone asked to reset the password of the paygate account %s.

To choose a new password, open this link within %s:

%s

If it was not you, ignore this email: your password stays as it is.

有人请求重置您的 paygate 账户密码。请在 %s 内打开上面的链接设置新密码；如果不是您本人操作，请忽略本邮件。
`, x.Email, human(s.opts.ResetTTL), link, human(s.opts.ResetTTL))
		return s.mailer.Send(ctx, tx, x.Email, "Reset your paygate password / 重置您的 paygate 密码", text, MailReset, x.ID)
	})
	if err != nil {
		return fmt.Errorf("request reset: %w", err)
	}
	return nil
}

// Reset uses a reset link's token to set a new password. It also lifts a
// lock-out (the link proves control of the address) and ends every session
// logged in to the account, so whoever knew the old password is out: it
// deletes them, and sets [Account.SessionsValidAfter] to now, so that a
// session written back by a request in flight is refused all the same.
// Errors:
// [ErrWeakPassword], [ErrPasswordTooLong] (the link stays usable),
// [ErrResetInvalid], [ErrResetExpired], [ErrResetUsed].
func (s *Service) Reset(ctx context.Context, token, newPassword string) (Account, error) {
	if err := CheckPassword(newPassword); err != nil {
		return Account{}, err
	}
	if _, ok := hashToken(token); !ok {
		return Account{}, ErrResetInvalid
	}
	hash := s.pw.Hash(newPassword)
	var accountID string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		x, err := consumeToken(ctx, tx, token, purposeReset, now, resetErrors)
		if err != nil {
			return err
		}
		accountID = x.ID
		if _, err := tx.Exec(ctx, setPassword, hash, now, now, x.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, endSessions, []byte{}, endedAt, x.ID)
		return err
	})
	if err != nil {
		return Account{}, err
	}
	s.opts.Logger.InfoContext(ctx, "account password reset", "account_id", accountID)
	return s.Get(ctx, accountID)
}

// Get returns an account. Errors: [ErrNotFound].
func (s *Service) Get(ctx context.Context, id string) (Account, error) {
	x, err := scanAccount(s.db.QueryRow(ctx, selectAccount+` WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Account{}, ErrNotFound
	case err != nil:
		return Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return x.Account, nil
}

// GetTx returns an account inside tx. Errors: [ErrNotFound].
func GetTx(ctx context.Context, tx *db.Tx, id string) (Account, error) {
	x, err := scanAccount(tx.QueryRow(ctx, selectAccount+` WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Account{}, ErrNotFound
	case err != nil:
		return Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return x.Account, nil
}

// ActiveByEmailTx returns the active (or temporarily locked) account of an
// address inside tx, for the wallet's recipient look-up. Errors:
// [ErrInvalidEmail], [ErrNotFound] (no account, or only a pending one).
func ActiveByEmailTx(ctx context.Context, tx *db.Tx, email string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, err
	}
	q := selectAccount + ` WHERE email = ?`
	if tx.Engine() == db.Postgres {
		// Wait for an activation of this address in flight (it holds the row
		// FOR UPDATE and claims every claim it can see): money sent now
		// either lands in the activated account or makes a claim the
		// activation is made to wait for — never one it cannot see.
		q += ` FOR SHARE`
	}
	x, err := scanAccount(tx.QueryRow(ctx, q, email))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Account{}, ErrNotFound
	case err != nil:
		return Account{}, err
	case x.Status == Pending:
		return Account{}, ErrNotFound
	}
	return x.Account, nil
}
