package staff

import (
	"database/sql"
	"time"
)

var errNoRows = sql.ErrNoRows

// The SQL of the merchant_staff table (migration 0017).
const (
	staffColumns = `id, merchant_id, email, role, password_hash, failed_logins, failed_since, locked_until, created_at,
last_login_at`
	selectStaff   = `SELECT ` + staffColumns + ` FROM merchant_staff`
	countMerchant = `SELECT count(*) FROM merchants WHERE id = ?`
	insertStaff   = `INSERT INTO merchant_staff (id, merchant_id, email, password_hash, role, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`
	setFailures = `UPDATE merchant_staff SET failed_logins = ?, failed_since = ?, updated_at = ? WHERE id = ?`
	lockStaff   = `UPDATE merchant_staff SET locked_until = ?, failed_logins = 0, failed_since = NULL, updated_at = ? WHERE id = ?`
	// loggedIn clears the failure count and any lock that ran out.
	loggedIn = `UPDATE merchant_staff SET failed_logins = 0, failed_since = NULL, locked_until = NULL, last_login_at = ?,
updated_at = ? WHERE id = ?`
)

// row is a merchant_staff row, with what never leaves the package.
type row struct {
	Member
	hash         string
	failedLogins int
	failedSince  *time.Time
}

// lockedAt reports whether log-in is blocked at now.
func (x row) lockedAt(now time.Time) bool { return x.LockedUntil != nil && now.Before(*x.LockedUntil) }

func scanStaff(r interface{ Scan(...any) error }) (row, error) {
	var (
		x                                   row
		role                                string
		failedSince, lockedUntil, lastLogin sql.NullTime
	)
	err := r.Scan(&x.ID, &x.MerchantID, &x.Email, &role, &x.hash, &x.failedLogins, &failedSince, &lockedUntil, &x.CreatedAt,
		&lastLogin)
	if err != nil {
		return row{}, err
	}
	x.Role = Role(role)
	x.CreatedAt = x.CreatedAt.UTC()
	x.failedSince = utc(failedSince)
	x.LockedUntil = utc(lockedUntil)
	x.LastLoginAt = utc(lastLogin)
	return x, nil
}

func utc(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
