package wallet

import (
	"context"
	"errors"
	"fmt"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// PrefixWithdrawal names withdrawals.
const PrefixWithdrawal = "wdr"

// ErrWithdrawalNotFound is returned for an unknown withdrawal.
var ErrWithdrawalNotFound = errs.E(errs.NotFound, "withdrawal_not_found", "No such withdrawal.")

// Withdrawal is one try to move money from a balance to a bank card.
type Withdrawal = CardRequest

// pendingAccount holds withdrawn money until the bank's credit is known.
func pendingAccount(cur money.Currency) string { return "withdrawals:pending:" + string(cur) }

// Withdraw moves amount from the account's balance to a bank card through
// ch, which must be a [channel.Payouter]. The money leaves the balance
// (into withdrawals:pending) in the transaction that records the
// withdrawal, before the credit is sent; then:
//   - an approval is confirmed ([channel.Confirmer]) in the transaction that
//     moves the money on to the bank's clearing account (succeeded);
//   - a decline, or a channel error (nothing reached the bank), gives it
//     back to the balance (declined; the error is returned with it);
//   - an unknown outcome keeps it held while the credit is reversed; the
//     acknowledgement, reported to [Wallet.Reversed], gives it back.
//
// key, the client's request key, makes it idempotent: the first call with a
// key stores it with the withdrawal, in the transaction that takes the
// money, before anything is sent; any later or concurrent call with the
// same key for the account (from any process) takes and sends nothing and
// returns that withdrawal as it is now, perhaps still sent. With key ""
// every call is a new withdrawal.
//
// Errors: [ErrInvalid] (also for a key over 100 bytes or not printable),
// [ErrKeyReused] (the key was used for another amount or card; nothing is
// written or sent), [ErrInsufficientFunds] (nothing is written), and the
// channel's errors when nothing reached the bank.
func (w *Wallet) Withdraw(ctx context.Context, ch channel.Channel, accountID string, card channel.Card, amount money.Amount, key string) (Withdrawal, error) {
	if amount.Minor() <= 0 {
		return Withdrawal{}, fmt.Errorf("%w: the amount must be positive", ErrInvalid)
	}
	if _, err := money.ParseCurrency(string(amount.Currency())); err != nil {
		return Withdrawal{}, fmt.Errorf("%w: unknown currency", ErrInvalid)
	}
	if err := checkKey(key); err != nil {
		return Withdrawal{}, err
	}
	p, ok := ch.(channel.Payouter)
	if !ok {
		return Withdrawal{}, fmt.Errorf("withdraw: channel %q cannot pay to a card", ch.Method())
	}
	r, err := w.newCardRequest(withdrawals, ch, accountID, card, amount)
	if err != nil {
		return Withdrawal{}, err
	}
	err = w.db.InTx(ctx, func(tx *db.Tx) error {
		if err := w.insertTx(ctx, tx, withdrawals, &r, key); err != nil {
			return err
		}
		cur := amount.Currency()
		if err := w.OpenTx(ctx, tx, accountID, cur); err != nil {
			return err
		}
		if _, err := w.ledger.OpenAccount(ctx, tx, ledgerSpec(pendingAccount(cur), cur, false)); err != nil {
			return err
		}
		_, err := w.ledger.Post(ctx, tx, ledger.Entry{Key: "wallet:withdraw:" + r.ID + ":held", Description: "withdrawal " + r.ID,
			Postings: ledger.Transfer(Account(accountID, cur), pendingAccount(cur), amount)})
		if errors.Is(err, ledger.ErrInsufficientFunds) {
			return ErrInsufficientFunds
		}
		return err
	})
	if errors.Is(err, errKeyTaken) {
		got, err := w.replay(ctx, withdrawals, r, key)
		if err != nil {
			return Withdrawal{}, fmt.Errorf("withdraw: %w", err)
		}
		return got, nil
	}
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdraw: %w", err)
	}
	res, chErr := p.Payout(ctx, channel.Payout{AttemptID: r.ID, Amount: amount, Card: card})
	if err := w.conclude(ctx, ch, withdrawals, &r, res, chErr); err != nil {
		if chErr != nil {
			return r, err
		}
		return Withdrawal{}, err
	}
	return r, nil
}

// withdrawalMoveTx moves a withdrawal's held money on: to the bank's
// clearing account once the credit succeeded, back to the balance once it
// was declined or reversed (the "returned" key makes that happen once).
func (w *Wallet) withdrawalMoveTx(ctx context.Context, tx *db.Tx, r CardRequest) error {
	cur := r.Amount.Currency()
	var e ledger.Entry
	switch r.State {
	case "succeeded":
		clearing, err := w.clearingTx(ctx, tx, r.Bank, cur)
		if err != nil {
			return err
		}
		e = ledger.Entry{Key: "wallet:withdraw:" + r.ID + ":paid", Description: "withdrawal " + r.ID + " paid",
			Postings: ledger.Transfer(pendingAccount(cur), clearing, r.Amount)}
	case "declined", "reversed":
		e = ledger.Entry{Key: "wallet:withdraw:" + r.ID + ":returned", Description: "withdrawal " + r.ID + " returned",
			Postings: ledger.Transfer(pendingAccount(cur), Account(r.AccountID, cur), r.Amount)}
	default:
		return nil
	}
	_, err := w.ledger.Post(ctx, tx, e)
	return err
}

// WithdrawalReversed records that the bank acknowledged the reversal of a
// withdrawal's credit (found by its id, the credit's client reference):
// the withdrawal ends reversed and its money goes back to the balance,
// once. Other references, and withdrawals no longer sent or unknown, are
// ignored.
func (w *Wallet) WithdrawalReversed(ctx context.Context, id string) error {
	return w.reversed(ctx, withdrawals, id)
}

// WithdrawalByID returns a withdrawal. Errors: [ErrWithdrawalNotFound].
func (w *Wallet) WithdrawalByID(ctx context.Context, id string) (Withdrawal, error) {
	r, err := w.byID(ctx, withdrawals, id)
	return r, err
}

// Withdrawals returns an account's withdrawals, newest first: at most
// limit (≤ 0 means 100; at most 500).
func (w *Wallet) Withdrawals(ctx context.Context, accountID string, limit int) ([]Withdrawal, error) {
	return w.list(ctx, withdrawals, accountID, limit)
}
