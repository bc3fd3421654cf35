package wallet

import (
	"context"
	"errors"
	"fmt"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/money"
)

// PrefixTopUp names top-ups.
const PrefixTopUp = "top"

// ErrTopUpNotFound is returned for an unknown top-up.
var ErrTopUpNotFound = errs.E(errs.NotFound, "topup_not_found", "No such top-up.")

// TopUp is one try to move money from a bank card into a balance.
type TopUp = CardRequest

// TopUpFromCard debits the card through ch (the bank-card channel) and
// credits the account's balance, with the rules of a card payment: the
// debit's reversal is stored before it is sent, an approval is confirmed in
// the same transaction that credits the balance (bank clearing → wallet), a
// decline changes nothing, and an unknown outcome is reversed — reported to
// [Wallet.Reversed].
//
// key, the client's request key, makes it idempotent: the first call with a
// key stores it with the top-up before anything is sent, and any later or
// concurrent call with the same key for the account (from any process)
// sends nothing and returns that top-up as it is now, perhaps still sent.
// With key "" every call is a new top-up.
//
// Errors: [ErrInvalid] (also for a key over 100 bytes or not printable),
// [ErrKeyReused] (the key was used for another amount or card; nothing is
// sent), and the channel's errors when nothing reached the bank (the
// top-up is then returned declined).
func (w *Wallet) TopUpFromCard(ctx context.Context, ch channel.Channel, accountID string, card channel.Card, amount money.Amount, key string) (TopUp, error) {
	if amount.Minor() <= 0 {
		return TopUp{}, fmt.Errorf("%w: the amount must be positive", ErrInvalid)
	}
	if err := checkKey(key); err != nil {
		return TopUp{}, err
	}
	r, err := w.newCardRequest(topUps, ch, accountID, card, amount)
	if err != nil {
		return TopUp{}, err
	}
	err = w.db.InTx(ctx, func(tx *db.Tx) error { return w.insertTx(ctx, tx, topUps, &r, key) })
	if errors.Is(err, errKeyTaken) {
		got, err := w.replay(ctx, topUps, r, key)
		if err != nil {
			return TopUp{}, fmt.Errorf("top-up: %w", err)
		}
		return got, nil
	}
	if err != nil {
		return TopUp{}, fmt.Errorf("top-up: %w", err)
	}
	res, chErr := ch.Charge(ctx, channel.Charge{AttemptID: r.ID, Amount: amount, Card: card})
	if err := w.conclude(ctx, ch, topUps, &r, res, chErr); err != nil {
		if chErr != nil {
			return r, err
		}
		return TopUp{}, err
	}
	return r, nil
}

// topUpMoveTx credits a succeeded top-up: bank clearing → wallet.
func (w *Wallet) topUpMoveTx(ctx context.Context, tx *db.Tx, r CardRequest) error {
	if r.State != "succeeded" {
		return nil
	}
	clearing, err := w.clearingTx(ctx, tx, r.Bank, r.Amount.Currency())
	if err != nil {
		return err
	}
	return w.FundTx(ctx, tx, r.AccountID, clearing, r.Amount, "wallet:topup:"+r.ID)
}

// TopUpReversed records that the bank acknowledged the reversal of a
// top-up's debit (found by its id, the debit's client reference): nothing
// was credited and nothing is taken. Other references, and top-ups no
// longer sent or unknown, are ignored.
func (w *Wallet) TopUpReversed(ctx context.Context, topUpID string) error {
	return w.reversed(ctx, topUps, topUpID)
}

// TopUpByID returns a top-up. Errors: [ErrTopUpNotFound].
func (w *Wallet) TopUpByID(ctx context.Context, id string) (TopUp, error) {
	r, err := w.byID(ctx, topUps, id)
	return r, err
}

// TopUps returns an account's top-ups, newest first: at most limit (≤ 0
// means 100; at most 500).
func (w *Wallet) TopUps(ctx context.Context, accountID string, limit int) ([]TopUp, error) {
	return w.list(ctx, topUps, accountID, limit)
}
