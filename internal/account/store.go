package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"paygate/internal/db"
)

// The SQL of the accounts and account_tokens tables (migration 0009).
const (
	accountColumns = `id, email, kind, company, status, password_hash, failed_logins, failed_since, locked_until,
created_at, activated_at, sessions_valid_after`
	selectAccount = `SELECT ` + accountColumns + ` FROM accounts`
	insertAccount = `INSERT INTO accounts (id, email, kind, company, status, password_hash, created_at, updated_at)
VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`
	// reregister replaces what a new registration of a pending address
	// chose: the latest registration wins, as its link is the only one left.
	reregister  = `UPDATE accounts SET kind = ?, company = ?, password_hash = ?, updated_at = ? WHERE id = ? AND status = 'pending'`
	activate    = `UPDATE accounts SET status = 'active', activated_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`
	setFailures = `UPDATE accounts SET failed_logins = ?, failed_since = ?, updated_at = ? WHERE id = ?`
	// lockAccount locks a log-in out; a pending account stays pending, so
	// that wrong passwords never make it usable without its link.
	lockAccount  = `UPDATE accounts SET status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'locked' END, locked_until = ?, failed_logins = 0, failed_since = NULL, updated_at = ? WHERE id = ?`
	clearLockout = `UPDATE accounts SET status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
locked_until = NULL, failed_logins = 0, failed_since = NULL, updated_at = ? WHERE id = ?`
	// setPassword also ends every session logged in before now.
	setPassword = `UPDATE accounts SET password_hash = ?, sessions_valid_after = ?, status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
locked_until = NULL, failed_logins = 0, failed_since = NULL, updated_at = ? WHERE id = ?`

	insertToken = `INSERT INTO account_tokens (token_hash, account_id, purpose, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`
	selectToken = `SELECT account_id, expires_at, used_at FROM account_tokens WHERE token_hash = ? AND purpose = ?`
	useToken    = `UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`
	// voidTokens deletes the unused links of one purpose: a new link, or a
	// used one, makes the older ones unknown.
	voidTokens = `DELETE FROM account_tokens WHERE account_id = ? AND purpose = ? AND used_at IS NULL`
)

// Token purposes.
const (
	purposeActivate = "activate"
	purposeReset    = "reset"
)

// row is an accounts row, with what never leaves the package.
type row struct {
	Account
	hash         string
	failedLogins int
	failedSince  *time.Time
}

func scanAccount(r interface{ Scan(...any) error }) (row, error) {
	var (
		x                                   row
		kind, status                        string
		failedSince, lockedUntil, activated sql.NullTime
		validAfter                          sql.NullTime
	)
	err := r.Scan(&x.ID, &x.Email, &kind, &x.Company, &status, &x.hash, &x.failedLogins, &failedSince, &lockedUntil,
		&x.CreatedAt, &activated, &validAfter)
	if err != nil {
		return row{}, err
	}
	x.Kind, x.Status = Kind(kind), Status(status)
	x.CreatedAt = x.CreatedAt.UTC()
	x.failedSince, x.LockedUntil, x.ActivatedAt = nullTime(failedSince), nullTime(lockedUntil), nullTime(activated)
	x.SessionsValidAfter = nullTime(validAfter)
	return x, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// lockedAt tells whether the account is locked at now: by an operator
// (Locked, no end) or by wrong passwords until LockedUntil (a pending
// account too).
func (x row) lockedAt(now time.Time) bool {
	if x.LockedUntil == nil {
		return x.Status == Locked
	}
	return now.Before(*x.LockedUntil)
}

// forUpdate adds a row lock on PostgreSQL; SQLite has one writer.
func forUpdate(tx *db.Tx, q string) string {
	if tx.Engine() == db.Postgres {
		return q + ` FOR UPDATE`
	}
	return q
}

func accountByEmailTx(ctx context.Context, tx *db.Tx, email string) (row, error) {
	return scanAccount(tx.QueryRow(ctx, forUpdate(tx, selectAccount+` WHERE email = ?`), email))
}

func accountByIDTx(ctx context.Context, tx *db.Tx, id string) (row, error) {
	return scanAccount(tx.QueryRow(ctx, forUpdate(tx, selectAccount+` WHERE id = ?`), id))
}

// newToken returns a fresh link token (base64url of 32 random bytes) and
// the hash that is stored.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(sum[:])
}

// hashToken returns the stored hash of a link token, or false when token
// cannot be one of ours.
func hashToken(token string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 32 {
		return "", false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), true
}

// tokenErrors are the errors of one token purpose.
type tokenErrors struct{ invalid, expired, used error }

var (
	activationErrors = tokenErrors{ErrActivationInvalid, ErrActivationExpired, ErrActivationUsed}
	resetErrors      = tokenErrors{ErrResetInvalid, ErrResetExpired, ErrResetUsed}
)

// consumeToken marks a link token used and returns its account, locked for
// update, or the purpose's error: unknown, used, or expired at now.
func consumeToken(ctx context.Context, tx *db.Tx, token, purpose string, now time.Time, e tokenErrors) (row, error) {
	h, ok := hashToken(token)
	if !ok {
		return row{}, e.invalid
	}
	var (
		accountID string
		expiresAt time.Time
		usedAt    sql.NullTime
	)
	err := tx.QueryRow(ctx, forUpdate(tx, selectToken), h, purpose).Scan(&accountID, &expiresAt, &usedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return row{}, e.invalid
	case err != nil:
		return row{}, err
	case usedAt.Valid:
		return row{}, e.used
	case !now.Before(expiresAt):
		return row{}, e.expired
	}
	x, err := accountByIDTx(ctx, tx, accountID)
	if err != nil {
		return row{}, err
	}
	if _, err := tx.Exec(ctx, useToken, now, h); err != nil {
		return row{}, err
	}
	if _, err := tx.Exec(ctx, voidTokens, accountID, purpose); err != nil {
		return row{}, err
	}
	return x, nil
}
