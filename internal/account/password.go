package account

import (
	"fmt"
	"time"

	"github.com/alexedwards/argon2id"
)

// Passwords hashes and verifies log-in passwords with argon2id. It is the
// one mechanism behind the account holders' and the merchant staff's
// log-ins.
type Passwords struct {
	params argon2id.Params
	dummy  string // a hash to verify against on unknown log-in names
}

// NewPasswords returns Passwords hashing new passwords with params (nil:
// [DefaultArgon2]). dummySecret is hashed once, as what [Passwords.Waste]
// verifies against; it should be unguessable.
func NewPasswords(params *argon2id.Params, dummySecret string) *Passwords {
	p := &Passwords{params: DefaultArgon2}
	if params != nil {
		p.params = *params
	}
	p.dummy = p.Hash(dummySecret)
	return p
}

// Hash returns the encoded argon2id hash of password. It panics only on a
// failing crypto/rand or absurd parameters.
func (p *Passwords) Hash(password string) string {
	h, err := argon2id.CreateHash(password, &p.params)
	if err != nil {
		panic(fmt.Sprintf("account: argon2id: %v", err))
	}
	return h
}

// Verify reports whether password matches the stored hash. The error is
// for a hash that cannot be read.
func (p *Passwords) Verify(password, hash string) (bool, error) {
	return argon2id.ComparePasswordAndHash(password, hash)
}

// Waste verifies password against a hash nobody has, so that a log-in for
// an unknown name costs what a known one does.
func (p *Passwords) Waste(password string) {
	_, _ = argon2id.ComparePasswordAndHash(password, p.dummy)
}

// TooLongToCheck reports whether a log-in's password is so long that it is
// refused without hashing its account's, as a wrong one.
func TooLongToCheck(password string) bool { return len(password) > 4*MaxPasswordLen }

// Lockout is the policy that locks a log-in after repeated wrong
// passwords: the MaxFailures-th failure within FailureWindow locks it for
// LockoutPeriod.
type Lockout struct {
	MaxFailures   int           // wrong passwords that lock a log-in (default 5)
	FailureWindow time.Duration // within which they count (default 15 min)
	LockoutPeriod time.Duration // how long the lock lasts (default 15 min)
}

// NewLockout returns the policy with zero or negative settings at their
// defaults.
func NewLockout(maxFailures int, window, period time.Duration) Lockout {
	l := Lockout{MaxFailures: maxFailures, FailureWindow: window, LockoutPeriod: period}
	if l.MaxFailures <= 0 {
		l.MaxFailures = 5
	}
	if l.FailureWindow <= 0 {
		l.FailureWindow = 15 * time.Minute
	}
	if l.LockoutPeriod <= 0 {
		l.LockoutPeriod = 15 * time.Minute
	}
	return l
}

// Failure is a log-in's failure count after one more wrong password.
type Failure struct {
	Count int       // failures in the current window, this one included
	Since time.Time // when the current window began
	// Until is when the lock ends if this failure locks the log-in, else
	// the zero time.
	Until time.Time
}

// Locks reports whether the failure locks the log-in.
func (f Failure) Locks() bool { return !f.Until.IsZero() }

// Fail counts a wrong password at now, for a log-in that had failed count
// times in the window that began at since (nil: none).
func (l Lockout) Fail(count int, since *time.Time, now time.Time) Failure {
	f := Failure{Count: count + 1, Since: now}
	if since != nil && now.Sub(*since) < l.FailureWindow {
		f.Since = *since
	} else {
		f.Count = 1
	}
	if f.Count >= l.MaxFailures {
		f.Until = now.Add(l.LockoutPeriod)
	}
	return f
}
