package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
type TopUp struct {
	ID           string
	AccountID    string
	Amount       money.Amount
	Bank         string
	CardMasked   string
	State        string // sent, succeeded, declined, unknown, reversed
	ResponseCode string
	Message      string
}

// TopUpFromCard debits the card through ch (the bank-card channel) and
// credits the account's balance, with the rules of a card payment: the
// debit's reversal is stored before it is sent, an approval is confirmed in
// the same transaction that credits the balance (bank clearing → wallet), a
// decline changes nothing, and an unknown outcome is reversed — reported to
// [Wallet.TopUpReversed]. Errors: [ErrInvalid], and the channel's errors
// when nothing reached the bank.
func (w *Wallet) TopUpFromCard(ctx context.Context, ch channel.Channel, accountID string, card channel.Card, amount money.Amount) (TopUp, error) {
	if amount.Minor() <= 0 {
		return TopUp{}, fmt.Errorf("%w: the amount must be positive", ErrInvalid)
	}
	t := TopUp{ID: w.opts.IDs.New(PrefixTopUp), AccountID: accountID, Amount: amount, CardMasked: card.Masked(), State: "sent"}
	if bc, ok := ch.(interface{ Bank(string) string }); ok {
		t.Bank = bc.Bank(card.PAN)
	}
	err := w.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now()
		_, err := tx.Exec(ctx, `INSERT INTO wallet_topups (id, account_id, amount_minor, currency, bank, card_masked, state, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'sent', ?, ?)`, t.ID, accountID, amount.Minor(), string(amount.Currency()), t.Bank, t.CardMasked, now, now)
		return err
	})
	if err != nil {
		return TopUp{}, fmt.Errorf("top-up: %w", err)
	}
	res, chErr := ch.Charge(ctx, channel.Charge{AttemptID: t.ID, Amount: amount, Card: card})
	if chErr != nil && res.Status != channel.Unknown {
		_ = w.finishTopUp(ctx, ch, &t, channel.Result{Status: channel.Declined, Code: "XX", Message: "not sent"})
		return t, chErr
	}
	if err := w.finishTopUp(ctx, ch, &t, res); err != nil {
		return TopUp{}, err
	}
	return t, nil
}

// finishTopUp records the outcome; an approval is confirmed to the channel
// and credited in one transaction, or recorded unknown if it came too late.
func (w *Wallet) finishTopUp(ctx context.Context, ch channel.Channel, t *TopUp, res channel.Result) error {
	record := func(ctx context.Context, tx *db.Tx, res channel.Result) error {
		state := map[channel.Status]string{channel.Approved: "succeeded", channel.Declined: "declined", channel.Unknown: "unknown"}[res.Status]
		if res.Provider != "" {
			t.Bank = res.Provider
		}
		if _, err := tx.Exec(ctx, `UPDATE wallet_topups SET state = ?, bank = ?, response_code = ?, message = ?, rrn = ?, updated_at = ?
WHERE id = ? AND state = 'sent'`, state, t.Bank, res.Code, res.Message, res.RRN, tx.Now(), t.ID); err != nil {
			return err
		}
		t.State, t.ResponseCode, t.Message = state, res.Code, res.Message
		if state != "succeeded" {
			return nil
		}
		cur := t.Amount.Currency()
		clearing := "bank:" + t.Bank + ":clearing:" + string(cur)
		if _, err := w.ledger.OpenAccount(ctx, tx, ledgerSpec(clearing, cur, true)); err != nil {
			return err
		}
		return w.FundTx(ctx, tx, t.AccountID, clearing, t.Amount, "wallet:topup:"+t.ID)
	}
	err := w.db.InTx(ctx, func(tx *db.Tx) error {
		if res.Status == channel.Approved {
			if c, ok := ch.(channel.Confirmer); ok {
				if err := c.Confirm(ctx, tx, t.ID, res.Provider); err != nil {
					return err
				}
			}
		}
		return record(ctx, tx, res)
	})
	if errors.Is(err, channel.ErrNotConfirmable) {
		res.Status, res.Message = channel.Unknown, "approved too late; being reversed"
		return w.db.InTx(ctx, func(tx *db.Tx) error { return record(ctx, tx, res) })
	}
	return err
}

// TopUpReversed records that the bank acknowledged the reversal of a
// top-up's debit (found by its id, the debit's client reference): nothing
// was credited and nothing is taken. Other references are ignored.
func (w *Wallet) TopUpReversed(ctx context.Context, topUpID string) error {
	if !strings.HasPrefix(topUpID, PrefixTopUp+"_") {
		return nil
	}
	return w.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE wallet_topups SET state = 'reversed', updated_at = ? WHERE id = ? AND state IN ('sent', 'unknown')`,
			tx.Now(), topUpID)
		return err
	})
}

// TopUpByID returns a top-up. Errors: [ErrTopUpNotFound].
func (w *Wallet) TopUpByID(ctx context.Context, id string) (TopUp, error) {
	var (
		t      TopUp
		amount int64
		cur    string
	)
	err := w.db.QueryRow(ctx, `SELECT id, account_id, amount_minor, currency, bank, card_masked, state, response_code, message
FROM wallet_topups WHERE id = ?`, id).Scan(&t.ID, &t.AccountID, &amount, &cur, &t.Bank, &t.CardMasked, &t.State, &t.ResponseCode, &t.Message)
	if err != nil {
		return TopUp{}, ErrTopUpNotFound
	}
	t.Amount = money.New(amount, money.Currency(strings.TrimSpace(cur)))
	return t, nil
}
