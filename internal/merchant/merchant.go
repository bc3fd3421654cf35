// Package merchant holds the merchants that take payments through paygate:
// their names, default notification URLs and fee plans. (Product
// applications, review and contracts arrive with the onboarding issue.)
//
// Invariants: a merchant's id never changes; a fee plan's fee is computed
// only by [FeePlan.Fee], with the one rounding mode of package money.
package merchant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/money"
)

// Errors.
var (
	ErrNotFound = errs.E(errs.NotFound, "merchant_not_found", "No such merchant.")
	ErrInvalid  = errs.E(errs.Invalid, "merchant_details_invalid", "The merchant's details are invalid.")
)

// FeePlan is what the gateway charges a merchant per successful payment:
// RateBps basis points of the amount (rounded half-even) plus FixedMinor,
// but at least MinMinor, and never more than the amount.
type FeePlan struct {
	RateBps    int64 // 60 = 0.60 %
	FixedMinor int64
	MinMinor   int64
}

// Fee returns the fee on amount.
func (p FeePlan) Fee(amount money.Amount) (money.Amount, error) {
	f, err := money.MulRat(amount, p.RateBps, 10_000)
	if err != nil {
		return money.Amount{}, fmt.Errorf("fee: %w", err)
	}
	if f, err = f.Add(money.New(p.FixedMinor, amount.Currency())); err != nil {
		return money.Amount{}, fmt.Errorf("fee: %w", err)
	}
	minor := max(f.Minor(), p.MinMinor)
	return money.New(min(minor, amount.Minor()), amount.Currency()), nil
}

// Validate checks the plan's bounds.
func (p FeePlan) Validate() error {
	if p.RateBps < 0 || p.RateBps > 10_000 || p.FixedMinor < 0 || p.MinMinor < 0 {
		return fmt.Errorf("%w: fee rate must be 0–10000 basis points and amounts non-negative", ErrInvalid)
	}
	return nil
}

// Merchant is a shop that takes payments.
type Merchant struct {
	ID        string
	Name      string
	NotifyURL string // default destination of notifications
	Fees      FeePlan
	CreatedAt time.Time
}

// Store reads and writes merchants.
type Store struct {
	db  *db.DB
	ids *id.Generator
}

// NewStore returns a Store over d.
func NewStore(d *db.DB, ids *id.Generator) *Store { return &Store{db: d, ids: ids} }

// Create adds a merchant. Errors: [ErrInvalid].
func (s *Store) Create(ctx context.Context, name, notifyURL string, fees FeePlan) (Merchant, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Merchant{}, fmt.Errorf("%w: name must be 1–100 characters", ErrInvalid)
	}
	if notifyURL != "" {
		if err := ValidateURL(notifyURL); err != nil {
			return Merchant{}, err
		}
	}
	if err := fees.Validate(); err != nil {
		return Merchant{}, err
	}
	m := Merchant{ID: s.ids.New(id.PrefixMerchant), Name: name, NotifyURL: notifyURL, Fees: fees}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		m.CreatedAt = tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO merchants (id, name, notify_url, fee_rate_bps, fee_fixed_minor, fee_min_minor, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, m.ID, m.Name, m.NotifyURL, fees.RateBps, fees.FixedMinor, fees.MinMinor, m.CreatedAt)
		return err
	})
	if err != nil {
		return Merchant{}, fmt.Errorf("create merchant: %w", err)
	}
	return m, nil
}

// Get returns a merchant. Errors: [ErrNotFound].
func (s *Store) Get(ctx context.Context, merchantID string) (Merchant, error) {
	return get(s.db.QueryRow(ctx, selectMerchant, merchantID), merchantID)
}

// GetTx is Get within tx: code inside a transaction must not wait for a
// second connection from the pool, which transactions waiting on its locks
// may all be holding.
func (s *Store) GetTx(ctx context.Context, tx *db.Tx, merchantID string) (Merchant, error) {
	return get(tx.QueryRow(ctx, selectMerchant, merchantID), merchantID)
}

const selectMerchant = `SELECT id, name, notify_url, fee_rate_bps, fee_fixed_minor, fee_min_minor, created_at FROM merchants WHERE id = ?`

func get(row interface{ Scan(...any) error }, merchantID string) (Merchant, error) {
	var m Merchant
	err := row.Scan(&m.ID, &m.Name, &m.NotifyURL, &m.Fees.RateBps, &m.Fees.FixedMinor, &m.Fees.MinMinor, &m.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Merchant{}, ErrNotFound
	}
	if err != nil {
		return Merchant{}, fmt.Errorf("get merchant %s: %w", merchantID, err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

// ValidateURL accepts absolute http and https URLs of at most 512 bytes.
func ValidateURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 512 {
		return fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrInvalid, s)
	}
	return nil
}
