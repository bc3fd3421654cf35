// Package balance is the payment channel "account": the payer logs in to an
// email account and pays from its balance (MISSION K4). The money is
// already in the gateway's books, so a charge is a ledger movement made in
// the same transaction that records the payment (wallet:<acct> → the
// merchant), with per-payment and per-day limits counted in that
// transaction too. Nothing is ever unknown and nothing needs reversing. A
// refund goes back to the balance in the transaction that records it.
package balance

import (
	"context"
	"fmt"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/wallet"
)

// Method is the channel's payment method name.
const Method = "account"

// ErrNoPayer means a charge named no paying account.
var ErrNoPayer = errs.E(errs.Invalid, "account_payer_missing", "Log in to the account to pay from.")

// Channel pays from account balances.
type Channel struct {
	wallet *wallet.Wallet
	limits wallet.Limits
}

// New returns the channel over w with the given limits.
func New(w *wallet.Wallet, l wallet.Limits) *Channel { return &Channel{wallet: w, limits: l} }

// Method implements [channel.Channel].
func (c *Channel) Method() string { return Method }

// Charge implements [channel.Channel]; it always fails with
// [channel.ErrInBooks]: use ChargeTx.
func (c *Channel) Charge(context.Context, channel.Charge) (channel.Result, error) {
	return channel.Result{}, channel.ErrInBooks
}

var _ channel.InBooks = (*Channel)(nil)

// ChargeTx counts the charge against the payer's limits within tx and
// names the payer's balance as the source of the money. Errors:
// [ErrNoPayer], [wallet.ErrOverPaymentLimit], [wallet.ErrOverDailyLimit].
func (c *Channel) ChargeTx(ctx context.Context, tx *db.Tx, ch channel.Charge) (channel.Result, error) {
	if ch.Payer == "" {
		return channel.Result{}, ErrNoPayer
	}
	if err := c.wallet.SpendTx(ctx, tx, ch.Payer, ch.Amount, c.limits); err != nil {
		return channel.Result{}, fmt.Errorf("paying %s from %s: %w", ch.Amount, ch.Payer, err)
	}
	return channel.Result{Status: channel.Approved, Code: "00", Message: "paid from the account balance",
		Provider: "wallet", Source: wallet.Account(ch.Payer, ch.Amount.Currency())}, nil
}

var _ channel.InBooksRefunder = (*Channel)(nil)

// RefundTx names, within tx, the payer's balance as where a refund of a
// payment from it goes back to (opening it if need be). A refund does not
// give back the payer's spending limits. Errors: [ErrNoPayer].
func (c *Channel) RefundTx(ctx context.Context, tx *db.Tx, r channel.Refund) (channel.Result, error) {
	if r.Payer == "" {
		return channel.Result{}, ErrNoPayer
	}
	if err := c.wallet.OpenTx(ctx, tx, r.Payer, r.Amount.Currency()); err != nil {
		return channel.Result{}, fmt.Errorf("refunding %s to %s: %w", r.Amount, r.Payer, err)
	}
	return channel.Result{Status: channel.Approved, Code: "00", Message: "refunded to the account balance",
		Provider: "wallet", Destination: wallet.Account(r.Payer, r.Amount.Currency())}, nil
}
