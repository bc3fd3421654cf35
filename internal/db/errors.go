package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite primary result codes and extended constraint codes we classify.
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteConstraint       = 19
	sqliteConstraintCheck  = 275
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
)

// IsRetryable reports whether err means "run the transaction again": SQLite
// busy or locked, PostgreSQL serialization failure or deadlock.
func IsRetryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqliteBusy || c == sqliteLocked
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// IsUniqueViolation reports whether err is a unique or primary-key violation.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintUnique || se.Code() == sqliteConstraintPK
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// IsOutOfRange reports whether err is an integer overflow caught by the
// engine: PostgreSQL's numeric_value_out_of_range, or a SQLite CHECK that a
// column stays an integer (SQLite turns overflowing integers into reals).
func IsOutOfRange(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintCheck
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "22003"
	}
	return false
}
