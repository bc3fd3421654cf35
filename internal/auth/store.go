package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
)

// NonceTTL is how long a merchant's nonce stays used. It is at least twice
// [TimestampWindow], so a request whose nonce has expired is already outside
// the timestamp window.
const NonceTTL = 15 * time.Minute

const (
	// useNonce inserts the nonce, or takes over an expired row that pruning
	// has not removed yet. It returns a row only when the nonce was free: a
	// live row makes the WHERE false and nothing is returned. Concurrent
	// inserts of one nonce wait on the primary key, then see the winner's
	// live row.
	useNonce = `INSERT INTO auth_nonces (merchant_id, nonce, expires_ms, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (merchant_id, nonce) DO UPDATE SET expires_ms = excluded.expires_ms, created_at = excluded.created_at
WHERE auth_nonces.expires_ms <= ?
RETURNING expires_ms`
	pruneNonces = `DELETE FROM auth_nonces WHERE expires_ms <= ?`
)

// NonceStore remembers the nonces merchants used, in the auth_nonces table,
// so that every gateway instance sharing the database refuses a replay.
type NonceStore struct {
	db    *db.DB
	clock clock.Clock
	ttl   time.Duration
}

// NewNonceStore returns a store on d. A nil clock means the database's clock.
func NewNonceStore(d *db.DB, c clock.Clock) *NonceStore {
	if c == nil {
		c = d
	}
	return &NonceStore{db: d, clock: c, ttl: NonceTTL}
}

var _ NonceChecker = (*NonceStore)(nil)

// Use records that merchantID used nonce, in its own small transaction. It
// returns [ErrNonceReused] when the nonce was used within [NonceTTL]; any
// other error is the database's, wrapped.
func (s *NonceStore) Use(ctx context.Context, merchantID, nonce string) error {
	now := s.clock.Now().UTC()
	nowMS := now.UnixMilli()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var exp int64
		return tx.QueryRow(ctx, useNonce, merchantID, nonce, nowMS+s.ttl.Milliseconds(), now, nowMS).Scan(&exp)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNonceReused
	case err != nil:
		return fmt.Errorf("record nonce: %w", err)
	}
	return nil
}

// Prune deletes the nonces that have expired and returns how many. Run it
// periodically (every few minutes) from one or every instance; it is safe
// concurrently and correctness does not depend on it.
func (s *NonceStore) Prune(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, pruneNonces, s.clock.Now().UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune nonces: %w", err)
	}
	return n, nil
}
