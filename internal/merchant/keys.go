package merchant

import (
	"context"
	"fmt"
	"time"

	"paygate/internal/auth"
	"paygate/internal/db"
	"paygate/internal/errs"
)

// ErrKeyInvalid and ErrKeyExists are returned by [Store.AddKey].
var (
	ErrKeyInvalid = errs.E(errs.Invalid, "merchant_key_invalid", "The public key is not an RSA (2048 bits or more) or Ed25519 public key in PEM.")
	ErrKeyExists  = errs.E(errs.Conflict, "merchant_key_exists", "This public key is already registered.")
)

// Key is a merchant's registered public key.
type Key struct {
	ID        string // auth.KeyID of the key
	SignType  auth.SignType
	PEM       string
	CreatedAt time.Time
}

// AddKey registers a merchant's public key (PEM) for request signatures.
// Errors: [ErrNotFound], [ErrKeyInvalid], [ErrKeyExists].
func (s *Store) AddKey(ctx context.Context, merchantID string, pemData []byte) (Key, error) {
	if _, err := s.Get(ctx, merchantID); err != nil {
		return Key{}, err
	}
	mk, err := auth.ParseMerchantKey("", pemData)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %v", ErrKeyInvalid, err)
	}
	norm, err := auth.MarshalPublicKeyPEM(mk.Public)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %v", ErrKeyInvalid, err)
	}
	k := Key{ID: mk.ID, SignType: mk.Type, PEM: string(norm)}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		k.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO merchant_keys (id, merchant_id, sign_type, public_key_pem, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, merchantID, string(k.SignType), k.PEM, k.CreatedAt)
		return err
	})
	if db.IsUniqueViolation(err) {
		return Key{}, ErrKeyExists
	}
	if err != nil {
		return Key{}, fmt.Errorf("add key: %w", err)
	}
	return k, nil
}

// Keys returns the merchant's active public keys, parsed for verification;
// it is the [auth.KeyLookup] of the API. A merchant that does not exist has
// no keys.
func (s *Store) Keys(ctx context.Context, merchantID string) ([]auth.MerchantKey, error) {
	rows, err := s.db.Query(ctx, `SELECT id, public_key_pem FROM merchant_keys WHERE merchant_id = ? AND revoked_at IS NULL`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("merchant keys: %w", err)
	}
	defer rows.Close()
	var out []auth.MerchantKey
	for rows.Next() {
		var id, pemText string
		if err := rows.Scan(&id, &pemText); err != nil {
			return nil, err
		}
		mk, err := auth.ParseMerchantKey(id, []byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("merchant key %s: %w", id, err)
		}
		out = append(out, mk)
	}
	return out, rows.Err()
}
