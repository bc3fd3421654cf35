package wallet

import (
	"context"
	"fmt"
	"time"

	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/money"
)

// Errors of [Wallet.SpendTx].
var (
	ErrOverPaymentLimit = errs.E(errs.Unprocessable, "account_payment_limit_exceeded", "The amount is above the limit for one payment from an account balance.")
	ErrOverDailyLimit   = errs.E(errs.Unprocessable, "account_daily_limit_exceeded", "This payment would exceed today's limit for paying from this account balance.")
)

// Limits cap what an account may pay from its balance (MISSION K4). The
// amounts are in minor units of the payment's currency; zero means no limit.
type Limits struct {
	PerPayment int64
	PerDay     int64
	// Zone decides where a day begins (default China Standard Time, UTC+8,
	// which has no daylight saving).
	Zone *time.Location
}

// ChinaTime is UTC+8, the default [Limits.Zone].
var ChinaTime = time.FixedZone("CST", 8*60*60)

// SpendTx counts a payment of amount from the account's balance against
// its limits, inside the transaction that pays it: [ErrOverPaymentLimit]
// or [ErrOverDailyLimit] when it does not fit, in which case the caller
// must roll tx back. Only a later day starts a new count: an instance
// whose clock is a little behind at midnight adds to the new day's count
// instead of resetting it. It does not move money; the payment's ledger entry
// does, and the balance's no-negative rule refuses what the balance cannot
// cover. The counter row is one per account and currency, so on PostgreSQL
// it also serialises the account's payments.
func (w *Wallet) SpendTx(ctx context.Context, tx *db.Tx, accountID string, amount money.Amount, l Limits) error {
	if amount.Minor() <= 0 {
		return fmt.Errorf("%w: the amount must be positive", ErrInvalid)
	}
	if l.PerPayment > 0 && amount.Minor() > l.PerPayment {
		return fmt.Errorf("%w (%s)", ErrOverPaymentLimit, money.New(l.PerPayment, amount.Currency()))
	}
	zone := l.Zone
	if zone == nil {
		zone = ChinaTime
	}
	day := w.opts.Clock.Now().In(zone).Format(time.DateOnly)
	var spent int64
	err := tx.QueryRow(ctx, `INSERT INTO wallet_spend (account_id, currency, day, spent_minor, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (account_id, currency) DO UPDATE SET
  spent_minor = CASE WHEN excluded.day > wallet_spend.day THEN excluded.spent_minor ELSE wallet_spend.spent_minor + excluded.spent_minor END,
  day = CASE WHEN excluded.day > wallet_spend.day THEN excluded.day ELSE wallet_spend.day END,
  updated_at = excluded.updated_at
RETURNING spent_minor`, accountID, string(amount.Currency()), day, amount.Minor(), tx.Now()).Scan(&spent)
	if err != nil {
		return fmt.Errorf("counting %s's spending: %w", accountID, err)
	}
	if l.PerDay > 0 && spent > l.PerDay {
		return fmt.Errorf("%w (%s a day)", ErrOverDailyLimit, money.New(l.PerDay, amount.Currency()))
	}
	return nil
}
