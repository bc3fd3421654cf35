package payment

import (
	"context"
	"errors"
	"fmt"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// next is what becomes of a refund after one of its tries ends.
type next int

const (
	nextNone    next = iota // the outcome is unknown: the refund stays processing
	nextSucceed             // booked and succeeded
	nextFail                // failed for good
	nextRetry               // due again after a wait, or failed once its tries are used up
)

// tryEnd is how a try at a refund ended.
type tryEnd struct {
	state       AttemptState
	res         channel.Result // the provider's answer (codes and references)
	next        next
	failCode    string // for nextFail
	failMessage string
	confirm     bool // confirm the approval to the channel in the same transaction
}

// endTry records, in one transaction, how a try ended and what follows for
// its refund: the attempt's state; for a success, the channel's
// confirmation, the ledger entry, the payment's totals and the
// notification; for a failure, the payment's hold released and the
// notification; for a retry, the refund due again. An attempt that has
// already ended (another path recorded it first) is left alone.
func (s *Service) endTry(ctx context.Context, ch channel.Channel, attemptID string, e tryEnd) error {
	from := []AttemptState{AttemptSent, AttemptSent}
	if e.state == AttemptReversed {
		from[1] = AttemptUnknown
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var refundID, paymentID string
		err := tx.QueryRow(ctx, `SELECT a.refund_id, r.payment_id FROM refund_attempts a JOIN refunds r ON r.id = a.refund_id
WHERE a.id = ?`, attemptID).Scan(&refundID, &paymentID)
		if errors.Is(err, errNoRows) {
			return errAlreadyEnded
		}
		if err != nil {
			return err
		}
		var pay Payment
		if e.next != nextNone {
			// The payment first, as everywhere: it orders concurrent
			// refunds of one payment.
			if pay, err = lockPayment(ctx, tx, paymentID); err != nil {
				return err
			}
		}
		now := tx.Now()
		res := e.res
		upd, err := tx.Exec(ctx, endAttempt, string(e.state), res.Code, res.Code, res.Message, res.Message, res.STAN, res.STAN,
			res.TransmissionTime, res.TransmissionTime, res.RRN, res.RRN, res.AuthCode, res.ReversalID, res.ReversalID,
			now, attemptID, string(from[0]), string(from[1]))
		if err != nil {
			return err
		}
		if n, _ := upd.RowsAffected(); n != 1 {
			return errAlreadyEnded
		}
		if e.confirm {
			if c, ok := ch.(channel.Confirmer); ok {
				if err := c.Confirm(ctx, tx, attemptID, res.Provider); err != nil {
					return err
				}
			}
		}
		if e.next == nextNone {
			return nil
		}
		r, err := scanRefund(tx.QueryRow(ctx, selectRefund+` WHERE r.id = ?`, refundID))
		if err != nil {
			return err
		}
		if r.Status != RefundProcessing {
			return fmt.Errorf("refund %s is %s while its attempt %s ended", r.ID, r.Status, attemptID)
		}
		switch e.next {
		case nextSucceed:
			return s.refundSucceededTx(ctx, tx, pay, r, res)
		case nextFail:
			return s.refundFailedTx(ctx, tx, pay, r, e.failCode, e.failMessage)
		}
		if r.Attempts >= s.opts.RefundMaxTries {
			return s.refundFailedTx(ctx, tx, pay, r, FailureRetriesExhausted,
				fmt.Sprintf("No answer from the bank after %d tries.", r.Attempts))
		}
		wait := s.opts.RefundRetry[min(max(r.Attempts-1, 0), len(s.opts.RefundRetry)-1)]
		_, err = tx.Exec(ctx, `UPDATE refunds SET status = 'pending', next_try_at = ?, updated_at = ? WHERE id = ? AND status = 'processing'`,
			s.now().Add(wait), now, r.ID)
		return err
	})
	if errors.Is(err, errAlreadyEnded) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record refund attempt %s: %w", attemptID, err)
	}
	if e.next != nextNone {
		s.wake()
	}
	return nil
}

// feeBack is the part of a payment's fee a refund of amount gives back,
// cumulatively in proportion to what is refunded, rounded half-even: after
// refunds totalling R of a payment of A with fee F, the merchant has been
// given back round(F×R/A), so a full refund returns the whole fee.
func feeBack(p Payment, amount money.Amount) (money.Amount, error) {
	before := p.Refunded.Minor()
	after := before + amount.Minor()
	upTo, err := money.MulRat(p.Fee, after, p.Amount.Minor())
	if err != nil {
		return money.Amount{}, err
	}
	already, err := money.MulRat(p.Fee, before, p.Amount.Minor())
	if err != nil {
		return money.Amount{}, err
	}
	return upTo.Sub(already)
}

// refundSucceededTx books a refund within tx — the merchant's pending
// balance gives the amount less the fee given back, the fee income gives
// that back, and the money goes to the channel's destination (by default
// the bank's clearing account) — marks it succeeded, moves its amount
// from the payment's refunding to refunded and tells the merchant. pay is
// locked by the caller.
func (s *Service) refundSucceededTx(ctx context.Context, tx *db.Tx, pay Payment, r Refund, res channel.Result) error {
	cur := r.Amount.Currency()
	back, err := feeBack(pay, r.Amount)
	if err != nil {
		return err
	}
	net, err := r.Amount.Sub(back)
	if err != nil {
		return err
	}
	dest := res.Destination
	if dest == "" {
		dest = fmt.Sprintf("bank:%s:clearing:%s", res.Provider, cur)
		if _, err := s.ledger.OpenAccount(ctx, tx, ledger.AccountSpec{Name: dest, Currency: cur, AllowNegative: true}); err != nil {
			return err
		}
	}
	postings := []ledger.Posting{
		{Account: pendingAccount(pay.MerchantID, cur), Amount: money.New(-net.Minor(), cur)},
		{Account: dest, Amount: r.Amount},
	}
	if !back.IsZero() {
		postings = append(postings, ledger.Posting{Account: "income:fees:" + string(cur), Amount: money.New(-back.Minor(), cur)})
	}
	if _, err := s.ledger.Post(ctx, tx, ledger.Entry{
		Key:         "refund:" + r.ID + ":succeeded",
		Description: fmt.Sprintf("refund %s of payment %s order %s", r.ID, pay.ID, pay.MerchantOrderNo),
		Postings:    postings,
	}); err != nil {
		return err
	}
	now := tx.Now()
	upd, err := tx.Exec(ctx, `UPDATE refunds SET status = 'succeeded', succeeded_at = ?, failure_code = '', failure_message = '',
updated_at = ? WHERE id = ? AND status = 'processing'`, now, now, r.ID)
	if err != nil {
		return err
	}
	if n, _ := upd.RowsAffected(); n != 1 {
		return fmt.Errorf("refund %s: not processing", r.ID) // never succeed twice
	}
	if _, err := tx.Exec(ctx, `UPDATE payments SET refunded_minor = refunded_minor + ?, refunding_minor = refunding_minor - ?,
updated_at = ? WHERE id = ?`, r.Amount.Minor(), r.Amount.Minor(), now, pay.ID); err != nil {
		return err
	}
	r.Status, r.SucceededAt, r.UpdatedAt, r.FailureCode, r.FailureMessage = RefundSucceeded, &now, now, "", ""
	return s.notifyRefund(ctx, tx, pay, r, "refund.succeeded")
}

// refundFailedTx fails a pending or processing refund within tx, gives its
// amount back to what the payment can refund and tells the merchant. pay is
// locked by the caller.
func (s *Service) refundFailedTx(ctx context.Context, tx *db.Tx, pay Payment, r Refund, code, message string) error {
	now := tx.Now()
	upd, err := tx.Exec(ctx, `UPDATE refunds SET status = 'failed', failure_code = ?, failure_message = ?, claim_token = NULL,
claimed_until = NULL, updated_at = ? WHERE id = ? AND status = ?`, code, message, now, r.ID, string(r.Status))
	if err != nil {
		return err
	}
	if n, _ := upd.RowsAffected(); n != 1 {
		return nil // it moved on meanwhile
	}
	if _, err := tx.Exec(ctx, `UPDATE payments SET refunding_minor = refunding_minor - ?, updated_at = ? WHERE id = ?`,
		r.Amount.Minor(), now, pay.ID); err != nil {
		return err
	}
	r.Status, r.FailureCode, r.FailureMessage, r.UpdatedAt = RefundFailed, code, message, now
	return s.notifyRefund(ctx, tx, pay, r, "refund.failed")
}

// failPending fails a refund that is still pending (nothing was sent).
func (s *Service) failPending(ctx context.Context, r Refund, code, message string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := s.db.InTx(rctx, func(tx *db.Tx) error {
		pay, err := lockPayment(rctx, tx, r.PaymentID)
		if err != nil {
			return err
		}
		r.Status = RefundPending
		return s.refundFailedTx(rctx, tx, pay, r, code, message)
	})
	if err != nil {
		return fmt.Errorf("fail refund %s: %w", r.ID, err)
	}
	s.wake()
	return nil
}

// notifyRefund tells the merchant about r (at the payment's notify URL).
func (s *Service) notifyRefund(ctx context.Context, tx *db.Tx, pay Payment, r Refund, eventType string) error {
	if s.opts.Notify == nil || pay.NotifyURL == "" {
		return nil
	}
	return s.opts.Notify(ctx, tx, pay.MerchantID, eventType, pay.NotifyURL, r)
}
