package staff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alexedwards/argon2id"

	"paygate/internal/account"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/merchant"
)

// Options configure a [Service]. Zero fields take the documented defaults.
type Options struct {
	Clock  clock.Clock   // default: the system clock
	IDs    *id.Generator // default: one on Clock
	Logger *slog.Logger  // default: discard

	MaxFailures   int           // wrong passwords that lock a login (default 5)
	FailureWindow time.Duration // within which they count (default 15 min)
	LockoutPeriod time.Duration // how long the lock lasts (default 15 min)

	// Argon2 are the hashing parameters of new passwords (default
	// account.DefaultArgon2). Stored hashes carry their own.
	Argon2 *argon2id.Params
}

// Service creates staff members and logs them in.
type Service struct {
	db   *db.DB
	opts Options
	pw   *account.Passwords
	lock account.Lockout
}

// NewService returns a Service on d.
func NewService(d *db.DB, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(opts.Clock.Now, nil)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	lock := account.NewLockout(opts.MaxFailures, opts.FailureWindow, opts.LockoutPeriod)
	opts.MaxFailures, opts.FailureWindow, opts.LockoutPeriod = lock.MaxFailures, lock.FailureWindow, lock.LockoutPeriod
	pw := account.NewPasswords(opts.Argon2, "no password is this one: "+opts.IDs.New("dummy"))
	return &Service{db: d, opts: opts, pw: pw, lock: lock}
}

// now is the time of one command: UTC, whole microseconds.
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Microsecond) }

// Create adds a staff member to a merchant. Errors:
// [account.ErrInvalidEmail], [account.ErrWeakPassword],
// [account.ErrPasswordTooLong], [ErrRoleInvalid], [ErrEmailTaken],
// [merchant.ErrNotFound].
func (s *Service) Create(ctx context.Context, merchantID, email, password string, role Role) (Member, error) {
	email, err := account.NormalizeEmail(email)
	if err != nil {
		return Member{}, err
	}
	if err := account.CheckPassword(password); err != nil {
		return Member{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Member{}, err
	}
	hash := s.pw.Hash(password)
	m := Member{ID: s.opts.IDs.New(PrefixStaff), MerchantID: merchantID, Email: email, Role: role}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, countMerchant, merchantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return merchant.ErrNotFound
		}
		m.CreatedAt = s.now()
		_, err := tx.Exec(ctx, insertStaff, m.ID, merchantID, email, hash, string(role), m.CreatedAt, m.CreatedAt)
		return err
	})
	switch {
	case db.IsUniqueViolation(err):
		return Member{}, ErrEmailTaken
	case errors.Is(err, merchant.ErrNotFound):
		return Member{}, err
	case err != nil:
		return Member{}, fmt.Errorf("create staff: %w", err)
	}
	s.opts.Logger.InfoContext(ctx, "staff created", "staff_id", m.ID, "merchant_id", merchantID, "role", role)
	return m, nil
}

// Login checks an email and password. Unknown addresses cost a hash like
// known ones. Errors: [ErrBadCredentials] (unknown address or wrong
// password), [ErrLocked] (too many failures: passwords are not even
// checked until the lock ends).
func (s *Service) Login(ctx context.Context, email, password string) (Member, error) {
	email, err := account.NormalizeEmail(email)
	if err != nil || account.TooLongToCheck(password) {
		s.pw.Waste(password)
		return Member{}, ErrBadCredentials
	}
	x, err := scanStaff(s.db.QueryRow(ctx, selectStaff+` WHERE email = ?`, email))
	switch {
	case errors.Is(err, errNoRows):
		s.pw.Waste(password)
		return Member{}, ErrBadCredentials
	case err != nil:
		return Member{}, fmt.Errorf("staff login: %w", err)
	case x.lockedAt(s.now()):
		return Member{}, ErrLocked
	}
	ok, err := s.pw.Verify(password, x.hash)
	if err != nil {
		return Member{}, fmt.Errorf("staff login %s: %w", x.ID, err)
	}
	var result error
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		result = nil
		now := s.now()
		x, err := scanStaff(tx.QueryRow(ctx, selectStaff+` WHERE id = ?`, x.ID))
		if err != nil {
			return err
		}
		if x.lockedAt(now) {
			result = ErrLocked
			return nil
		}
		if !ok {
			locked, err := s.failTx(ctx, tx, x, now)
			result = ErrBadCredentials
			if locked {
				result = ErrLocked
			}
			return err
		}
		_, err = tx.Exec(ctx, loggedIn, now, now, x.ID)
		return err
	})
	if err == nil {
		err = result
	}
	if err != nil {
		return Member{}, err
	}
	return s.Get(ctx, x.ID)
}

// failTx counts a wrong password and locks the login at the
// [Options.MaxFailures]th within [Options.FailureWindow]; locked reports
// whether it did.
func (s *Service) failTx(ctx context.Context, tx *db.Tx, x row, now time.Time) (locked bool, err error) {
	f := s.lock.Fail(x.failedLogins, x.failedSince, now)
	if f.Locks() {
		if _, err := tx.Exec(ctx, lockStaff, f.Until, now, x.ID); err != nil {
			return false, err
		}
		s.opts.Logger.WarnContext(ctx, "staff login locked after failed log-ins", "staff_id", x.ID, "merchant_id", x.MerchantID,
			"failures", f.Count)
		return true, nil
	}
	_, err = tx.Exec(ctx, setFailures, f.Count, f.Since, now, x.ID)
	return false, err
}

// Get returns a staff member. Errors: [ErrNotFound].
func (s *Service) Get(ctx context.Context, staffID string) (Member, error) {
	x, err := scanStaff(s.db.QueryRow(ctx, selectStaff+` WHERE id = ?`, staffID))
	switch {
	case errors.Is(err, errNoRows):
		return Member{}, ErrNotFound
	case err != nil:
		return Member{}, fmt.Errorf("get staff %s: %w", staffID, err)
	}
	return x.Member, nil
}

// List returns a merchant's staff, by email.
func (s *Service) List(ctx context.Context, merchantID string) ([]Member, error) {
	rows, err := s.db.Query(ctx, selectStaff+` WHERE merchant_id = ? ORDER BY email`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		x, err := scanStaff(rows)
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, x.Member)
	}
	return out, rows.Err()
}
