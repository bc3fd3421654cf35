package merchant

import (
	"context"
	"fmt"

	"paygate/internal/auth"
	"paygate/internal/db"
)

// SetNotifyURL changes the merchant's default notification URL, where
// events of payments created without their own notify_url go; "" removes
// it. Payments already created keep the URL they were made with. Errors:
// [ErrNotFound], [ErrInvalid].
func (s *Store) SetNotifyURL(ctx context.Context, merchantID, notifyURL string) (Merchant, error) {
	if notifyURL != "" {
		if err := ValidateURL(notifyURL); err != nil {
			return Merchant{}, err
		}
	}
	var m Merchant
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE merchants SET notify_url = ? WHERE id = ?`, notifyURL, merchantID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		m, err = s.GetTx(ctx, tx, merchantID)
		return err
	})
	if err != nil {
		return Merchant{}, fmt.Errorf("set notify URL of %s: %w", merchantID, err)
	}
	return m, nil
}

// ListKeys returns the merchant's active public keys as registered, oldest
// first. A merchant that does not exist has none.
func (s *Store) ListKeys(ctx context.Context, merchantID string) ([]Key, error) {
	rows, err := s.db.Query(ctx, `SELECT id, sign_type, public_key_pem, created_at FROM merchant_keys
WHERE merchant_id = ? AND revoked_at IS NULL ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("list keys of %s: %w", merchantID, err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var (
			k  Key
			st string
		)
		if err := rows.Scan(&k.ID, &st, &k.PEM, &k.CreatedAt); err != nil {
			return nil, fmt.Errorf("list keys of %s: %w", merchantID, err)
		}
		k.SignType, k.CreatedAt = auth.SignType(st), k.CreatedAt.UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}
