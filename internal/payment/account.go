package payment

import (
	"context"
	"errors"
	"fmt"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/ledger"
)

// PayFromAccount pays the payment from an account's balance through the
// channel named method, which must be [channel.InBooks] (the "account"
// channel). Everything happens in one transaction — the attempt, the
// channel's limit checks, the ledger entry from the balance, the payment's
// success and the merchant's notification — so it either all happens or
// nothing does: a refusal leaves no trace. The caller has already
// authenticated accountID. Errors: those of [Service.PayByCard] before the
// charge, [ErrInsufficientBalance], and the channel's refusals (limits).
func (s *Service) PayFromAccount(ctx context.Context, paymentID, method, accountID string) (PayResult, error) {
	ch, ok := s.channels[method]
	if !ok {
		return PayResult{}, ErrMethodNotAllowed
	}
	inBooks, ok := ch.(channel.InBooks)
	if !ok {
		return PayResult{}, fmt.Errorf("payment: channel %q does not pay from balances: %w", method, ErrMethodNotAllowed)
	}
	var out PayResult
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		att := Attempt{Channel: method, PayerAccount: accountID}
		p, err := s.claimTx(ctx, tx, paymentID, &att)
		if err != nil {
			return err
		}
		res, err := inBooks.ChargeTx(ctx, tx, channel.Charge{PaymentID: p.ID, AttemptID: att.ID, Amount: p.Amount, Payer: accountID})
		if err != nil {
			return err
		}
		if res.Status != channel.Approved {
			return fmt.Errorf("payment: in-books channel %q answered %q", method, res.Status)
		}
		if err := s.record(ctx, tx, p, att, res); err != nil {
			if errors.Is(err, ledger.ErrInsufficientFunds) || errors.Is(err, ledger.ErrAccountNotFound) {
				return ErrInsufficientBalance
			}
			return err
		}
		att.State, att.ResponseCode, att.Message, att.Bank = AttemptApproved, res.Code, res.Message, res.Provider
		out.Attempt = att
		return nil
	})
	if err != nil {
		return PayResult{}, err
	}
	s.wake()
	if out.Payment, err = s.Lookup(ctx, paymentID); err != nil {
		return PayResult{}, err
	}
	return out, nil
}
