package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// recordTimeout bounds the transaction that records a try's outcome, which
// must run even when the caller's context ends (a worker stopping).
const recordTimeout = 30 * time.Second

var (
	errNotPending   = errors.New("payment: refund is not pending")
	errAlreadyEnded = errors.New("payment: refund attempt already ended")
)

// ProcessRefund makes one try at a pending refund and returns it as it
// stands afterwards: succeeded; failed (the bank declined, or it cannot be
// carried out); pending again, due later, when the try did not reach the
// bank or was reversed; or processing while a try's outcome is unknown
// and its reversal is under way. A refund that is not pending is returned
// as it is, so concurrent callers (the API's synchronous try, workers on
// several instances) make one try between them. Errors:
// [ErrRefundNotFound], and failures to record.
func (s *Service) ProcessRefund(ctx context.Context, refundID string) (Refund, error) {
	r, err := s.LookupRefund(ctx, refundID)
	if err != nil {
		return Refund{}, err
	}
	if r.Status != RefundPending {
		return r, nil
	}
	switch c := s.channels[r.Method].(type) {
	case channel.InBooksRefunder:
		err = s.refundInBooks(ctx, c, r)
	case channel.Refunder:
		err = s.refundByProvider(ctx, s.channels[r.Method], c, r)
	default:
		err = s.failPending(ctx, r, FailureRejected, fmt.Sprintf("Payment method %q has no refunds.", r.Method))
	}
	if err != nil {
		return Refund{}, fmt.Errorf("process refund %s: %w", refundID, err)
	}
	return s.LookupRefund(ctx, refundID)
}

// refundInBooks carries out a refund to an account balance in one
// transaction: the try, the ledger entry, the refund's success, the
// payment's totals and the notification.
func (s *Service) refundInBooks(ctx context.Context, c channel.InBooksRefunder, r Refund) error {
	var refused error
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		refused = nil
		pay, err := lockPayment(ctx, tx, r.PaymentID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if err := s.startTx(ctx, tx, r.ID, now); err != nil {
			return err
		}
		ch, err := s.chargeOf(ctx, tx, pay.ID)
		if err != nil {
			return err
		}
		attemptID := s.opts.IDs.New(PrefixRefundAttempt)
		res, err := c.RefundTx(ctx, tx, channel.Refund{RefundID: r.ID, AttemptID: attemptID,
			PaymentID: pay.ID, Amount: r.Amount, Payer: ch.payerAccount})
		if err != nil {
			if k := errs.KindOf(err); k != errs.Internal && k != errs.Unavailable {
				refused = err // a refusal; anything else is retried
			}
			return err
		}
		if res.Status != channel.Approved {
			return fmt.Errorf("in-books refund answered %q", res.Status)
		}
		if _, err := tx.Exec(ctx, insertRefundAttempt, attemptID, r.ID, res.Provider,
			string(AttemptApproved), now, now); err != nil {
			return err
		}
		r.Status, r.Attempts = RefundProcessing, r.Attempts+1
		return s.refundSucceededTx(ctx, tx, pay, r, res)
	})
	switch {
	case errors.Is(err, errNotPending):
		return nil
	case refused != nil:
		return s.failPending(ctx, r, FailureRejected, publicMessage(refused, "The account refused the refund."))
	case errors.Is(err, ledger.ErrInsufficientFunds):
		return s.failPending(ctx, r, FailureMerchantFunds, "The merchant's pending balance cannot cover the refund.")
	case err != nil:
		return err
	}
	s.wake()
	return nil
}

// startTx moves a pending refund that is due (by the service's clock) to
// processing for one try, within tx. A refund waiting out its retry delay
// is left alone, so a client repeating its request cannot hurry the tries.
func (s *Service) startTx(ctx context.Context, tx *db.Tx, refundID string, now time.Time) error {
	res, err := tx.Exec(ctx, startRefund, now, refundID, s.now())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotPending
	}
	return nil
}

// refundByProvider makes one try at a card refund: the try is recorded
// and the refund set processing; the bank is asked outside any
// transaction; its answer is recorded with its consequences.
func (s *Service) refundByProvider(ctx context.Context, ch channel.Channel, rf channel.Refunder, r Refund) error {
	c, err := scanCharge(s.db.QueryRow(ctx, selectCharge, r.PaymentID))
	if errors.Is(err, errNoRows) {
		s.log.Error("refund: the payment has no approved attempt", "refund_id", r.ID, "payment_id", r.PaymentID)
		return s.failPending(ctx, r, FailureRejected, "The payment's charge cannot be found.")
	}
	if err != nil {
		return notFoundCharge(r.PaymentID, err)
	}
	pan, err := s.openCard(c)
	if err != nil {
		s.log.Error("refund: the card number cannot be read", "refund_id", r.ID, "payment_id", r.PaymentID, "card", c.cardMasked, "err", err)
		return s.failPending(ctx, r, FailureCardUnavailable, "The card number of the payment is not available.")
	}
	if ok, err := s.merchantCovers(ctx, r); err != nil {
		return err
	} else if !ok {
		return s.failPending(ctx, r, FailureMerchantFunds, "The merchant's pending balance cannot cover the refund.")
	}
	attemptID := s.opts.IDs.New(PrefixRefundAttempt)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now()
		if err := s.startTx(ctx, tx, r.ID, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insertRefundAttempt, attemptID, r.ID, c.bank, string(AttemptSent), now, now)
		return err
	})
	if errors.Is(err, errNotPending) {
		return nil
	}
	if err != nil {
		return err
	}

	res, chErr := rf.Refund(ctx, channel.Refund{RefundID: r.ID, AttemptID: attemptID, PaymentID: r.PaymentID, Amount: r.Amount,
		Original: channel.Original{Provider: c.bank, STAN: c.stan, TransmissionTime: c.transmissionTime, RRN: c.rrn},
		Card:     channel.Card{PAN: pan}})
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if chErr != nil && res.Status != channel.Unknown {
		// Nothing reached the bank.
		end := tryEnd{state: AttemptDeclined, res: channel.Result{Code: "XX", Message: "not sent: " + safeMessage(chErr)}}
		if errs.KindOf(chErr) == errs.Unavailable {
			end.next = nextRetry
		} else {
			end.next, end.failCode = nextFail, FailureRejected
			end.failMessage = publicMessage(chErr, "The refund could not be sent to the bank.")
		}
		return s.endTry(rctx, nil, attemptID, end)
	}
	if chErr != nil {
		s.log.Error("refund outcome unknown with an error", "refund_id", r.ID, "attempt_id", attemptID, "err", chErr)
	}
	switch res.Status {
	case channel.Approved:
		err := s.endTry(rctx, ch, attemptID, tryEnd{state: AttemptApproved, res: res, next: nextSucceed, confirm: true})
		if !errors.Is(err, channel.ErrNotConfirmable) && !errors.Is(err, ledger.ErrInsufficientFunds) {
			return err
		}
		// Not recorded: its reversal (still armed) takes it back, and
		// RefundReversed makes the refund due again.
		s.log.Warn("refund approval could not be recorded; it is being reversed", "refund_id", r.ID, "attempt_id", attemptID, "err", err)
		res.Status, res.Message = channel.Unknown, "approved but not recorded; being reversed"
		return s.endTry(rctx, nil, attemptID, tryEnd{state: AttemptUnknown, res: res})
	case channel.Declined:
		end := tryEnd{state: AttemptDeclined, res: res, next: nextFail, failCode: FailureBankDeclined,
			failMessage: fmt.Sprintf("The bank declined the refund: %s (%s).", res.Message, res.Code)}
		if transientDecline(res.Code) {
			end.next = nextRetry
		}
		return s.endTry(rctx, nil, attemptID, end)
	}
	if err := s.endTry(rctx, nil, attemptID, tryEnd{state: AttemptUnknown, res: res}); err != nil {
		return err
	}
	// The reversal may have been acknowledged already.
	s.resolveRefund(rctx, ch, attemptID, res.Provider, false)
	return nil
}

// transientDecline reports whether a bank's decline says to try again
// later rather than no: 91 issuer unavailable, 96 system malfunction.
func transientDecline(code string) bool { return code == "91" || code == "96" }

// openCard opens the card number sealed on the payment's attempt.
func (s *Service) openCard(c charge) (string, error) {
	if s.opts.Vault == nil {
		return "", errors.New("no vault is configured")
	}
	if c.cardSealed == "" {
		return "", errors.New("the card number was not kept")
	}
	pan, err := s.opts.Vault.Open(c.cardSealed)
	if err != nil {
		return "", err
	}
	return string(pan), nil
}

// merchantCovers tells whether the merchant's pending balance covers what
// the refund takes from it, before any money moves; the ledger checks it
// again when the refund is booked (the fee given back may then differ by
// a minor unit, if another refund of the payment succeeded meanwhile).
func (s *Service) merchantCovers(ctx context.Context, r Refund) (bool, error) {
	pay, err := s.Lookup(ctx, r.PaymentID)
	if err != nil {
		return false, err
	}
	back, err := feeBack(pay, r.Amount)
	if err != nil {
		return false, err
	}
	bal, err := s.ledger.Balance(ctx, pendingAccount(r.MerchantID, r.Amount.Currency()))
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("merchant balance: %w", err)
	}
	return bal.Minor() >= r.Amount.Minor()-back.Minor(), nil
}

func pendingAccount(merchantID string, cur money.Currency) string {
	return fmt.Sprintf("merchant:%s:pending:%s", merchantID, cur)
}

// publicMessage is err's safe message if it is an *errs.Error, else def.
func publicMessage(err error, def string) string {
	if e := errs.As(err); e != nil {
		return e.Message
	}
	return def
}

func notFoundCharge(paymentID string, err error) error {
	if errors.Is(err, errNoRows) {
		return fmt.Errorf("payment %s has no approved attempt to refund", paymentID)
	}
	return fmt.Errorf("charge of payment %s: %w", paymentID, err)
}
