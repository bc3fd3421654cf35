package payment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// PayResult is what the cashier shows after a try.
type PayResult struct {
	Payment Payment
	Attempt Attempt
}

// PayByCard tries to pay the payment with a bank card. It returns the
// payment as it stands afterwards: succeeded, back to created with a
// declined attempt (the payer may try again), or processing with an unknown
// attempt that is being reversed. Errors: [ErrNotFound], [ErrNotPayable],
// [ErrExpired], [ErrMethodNotAllowed], [ErrAttemptInProgress], and the
// channel's errors when nothing reached the bank.
func (s *Service) PayByCard(ctx context.Context, paymentID string, card channel.Card) (PayResult, error) {
	const method = "bankcard"
	ch, ok := s.channels[method]
	if !ok {
		return PayResult{}, ErrMethodNotAllowed
	}
	// 1. Claim the payment for one attempt.
	var p Payment
	att := Attempt{Channel: method, CardMasked: card.Masked()}
	if bc, ok := ch.(interface{ Bank(string) string }); ok {
		att.Bank = bc.Bank(card.PAN)
	}
	if s.opts.Vault != nil {
		// Kept, sealed, for refunds to the card (DESIGN §9).
		sealed, err := s.opts.Vault.Seal([]byte(card.PAN))
		if err != nil {
			return PayResult{}, fmt.Errorf("pay %s: sealing the card number: %w", paymentID, err)
		}
		att.cardSealed = sealed
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) (err error) {
		p, err = s.claimTx(ctx, tx, paymentID, &att)
		return err
	})
	if err != nil {
		return PayResult{}, err
	}

	// 2. Charge, outside any transaction.
	res, chErr := ch.Charge(ctx, channel.Charge{PaymentID: p.ID, AttemptID: att.ID, Amount: p.Amount, Card: card})
	if chErr != nil && res.Status != channel.Unknown {
		// Nothing reached the provider: give the payment back to the payer.
		if err := s.finish(ctx, ch, p, att, channel.Result{Status: channel.Declined, Code: "XX", Message: "not sent: " + safeMessage(chErr)}); err != nil {
			return PayResult{}, errors.Join(chErr, err)
		}
		return PayResult{}, chErr
	}
	if chErr != nil {
		s.log.Error("unknown outcome with an error", "payment_id", p.ID, "attempt_id", att.ID, "err", chErr)
	}
	if err := s.finish(ctx, ch, p, att, res); err != nil {
		return PayResult{}, err
	}
	if res.Status == channel.Approved {
		s.wake()
	}
	if res.Status == channel.Unknown {
		// The reversal may have been acknowledged before the attempt was
		// recorded unknown, in which case Reversed found nothing to do.
		s.resolve(ctx, ch, att.ID, res.Provider, res.ReversalID, false)
	}
	p, err = s.Lookup(ctx, p.ID)
	if err != nil {
		return PayResult{}, err
	}
	atts, err := s.Attempts(ctx, p.ID)
	if err != nil {
		return PayResult{}, err
	}
	for _, a := range atts {
		if a.ID == att.ID {
			att = a
		}
	}
	return PayResult{Payment: p, Attempt: att}, nil
}

// claimTx locks the payment for one attempt by att.Channel within tx: it
// checks that the payment can be paid that way now, records att (filling
// its id, state and time) and moves the payment to processing.
func (s *Service) claimTx(ctx context.Context, tx *db.Tx, paymentID string, att *Attempt) (Payment, error) {
	p, err := lockPayment(ctx, tx, paymentID)
	if err != nil {
		return Payment{}, notFound(err)
	}
	switch {
	case p.Status == Processing:
		return Payment{}, ErrAttemptInProgress
	case p.Status != Created:
		return Payment{}, ErrNotPayable
	case !s.opts.Clock.Now().Before(p.ExpiresAt):
		return Payment{}, ErrExpired
	case !slices.Contains(p.Methods, att.Channel):
		return Payment{}, ErrMethodNotAllowed
	}
	now := tx.Now()
	att.ID, att.PaymentID, att.State, att.CreatedAt = s.opts.IDs.New(id.PrefixAttempt), p.ID, AttemptSent, now
	if _, err := tx.Exec(ctx, insertAttempt, att.ID, p.ID, att.Channel, att.Bank, att.CardMasked, att.cardSealed, att.PayerAccount,
		now, now); err != nil {
		return Payment{}, err
	}
	res, err := tx.Exec(ctx, `UPDATE payments SET status = 'processing', updated_at = ? WHERE id = ? AND status = 'created'`, now, p.ID)
	if err != nil {
		return Payment{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Payment{}, ErrAttemptInProgress
	}
	p.Status = Processing
	return p, nil
}

func safeMessage(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// finish records an attempt's outcome and moves the payment accordingly, in
// one transaction with the ledger entry and the notification. An approval
// is confirmed to the channel inside that transaction; one that can no
// longer be confirmed (the channel is already reversing it) is recorded as
// unknown instead.
func (s *Service) finish(ctx context.Context, ch channel.Channel, p Payment, att Attempt, res channel.Result) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if res.Status == channel.Approved {
			if c, ok := ch.(channel.Confirmer); ok {
				if err := c.Confirm(ctx, tx, att.ID, res.Provider); err != nil {
					return err
				}
			}
		}
		return s.record(ctx, tx, p, att, res)
	})
	if errors.Is(err, channel.ErrNotConfirmable) {
		s.log.Warn("approval came too late to be recorded; it is being reversed", "payment_id", p.ID, "attempt_id", att.ID)
		res.Status, res.Message = channel.Unknown, "approved too late; being reversed"
		return s.db.InTx(ctx, func(tx *db.Tx) error { return s.record(ctx, tx, p, att, res) })
	}
	return err
}

// record writes an attempt's outcome and its consequences within tx.
func (s *Service) record(ctx context.Context, tx *db.Tx, p Payment, att Attempt, res channel.Result) error {
	state := map[channel.Status]AttemptState{channel.Approved: AttemptApproved, channel.Declined: AttemptDeclined,
		channel.Unknown: AttemptUnknown}[res.Status]
	now := tx.Now()
	if _, err := tx.Exec(ctx, finishAttempt, string(state), res.Code, res.Message, res.STAN, res.TransmissionTime,
		res.RRN, res.AuthCode, res.ReversalID, res.Provider, res.Provider, now, att.ID); err != nil {
		return err
	}
	switch state {
	case AttemptDeclined:
		_, err := tx.Exec(ctx, `UPDATE payments SET status = 'created', updated_at = ? WHERE id = ? AND status = 'processing'`, now, p.ID)
		return err
	case AttemptUnknown:
		return nil // stays processing until the reversal is acknowledged
	}
	return s.succeed(ctx, tx, p, res)
}

// succeed marks p paid, books it (from the channel's source account, by
// default the bank's clearing account) and tells the merchant.
func (s *Service) succeed(ctx context.Context, tx *db.Tx, p Payment, res channel.Result) error {
	m, err := s.merchants.GetTx(ctx, tx, p.MerchantID)
	if err != nil {
		return err
	}
	fee, err := m.Fees.Fee(p.Amount)
	if err != nil {
		return err
	}
	now := tx.Now()
	upd, err := tx.Exec(ctx, `UPDATE payments SET status = 'succeeded', paid_at = ?, fee_minor = ?, updated_at = ?
WHERE id = ? AND status = 'processing'`, now, fee.Minor(), now, p.ID)
	if err != nil {
		return err
	}
	if n, _ := upd.RowsAffected(); n != 1 {
		return fmt.Errorf("payment %s: %w", p.ID, ErrNotPayable) // never succeed twice
	}
	cur := p.Amount.Currency()
	pending := fmt.Sprintf("merchant:%s:pending:%s", p.MerchantID, cur)
	fees := "income:fees:" + string(cur)
	specs := []ledger.AccountSpec{{Name: pending, Currency: cur}, {Name: fees, Currency: cur}}
	source := res.Source
	if source == "" {
		source = fmt.Sprintf("bank:%s:clearing:%s", res.Provider, cur)
		specs = append(specs, ledger.AccountSpec{Name: source, Currency: cur, AllowNegative: true})
	}
	for _, spec := range specs {
		if _, err := s.ledger.OpenAccount(ctx, tx, spec); err != nil {
			return err
		}
	}
	net, err := p.Amount.Sub(fee)
	if err != nil {
		return err
	}
	postings := []ledger.Posting{{Account: source, Amount: money.New(-p.Amount.Minor(), cur)}, {Account: pending, Amount: net}}
	if !fee.IsZero() {
		postings = append(postings, ledger.Posting{Account: fees, Amount: fee})
	}
	if _, err := s.ledger.Post(ctx, tx, ledger.Entry{
		Key:         "payment:" + p.ID + ":captured",
		Description: fmt.Sprintf("payment %s order %s", p.ID, p.MerchantOrderNo),
		Postings:    postings,
	}); err != nil {
		return err
	}
	p.Status, p.PaidAt, p.Fee, p.UpdatedAt = Succeeded, &now, fee, now
	return s.notify(ctx, tx, p, "payment.succeeded")
}

// Reversed records that the bank acknowledged the reversal of an attempt's
// charge: the attempt ends reversed and the payment returns to created (or
// closes, if it expired meanwhile). The attempt is found by attemptID (the
// reference the charge carried; it also finds attempts whose outcome was
// never recorded because the process died mid-charge) or else by
// reversalID. Anything else is ignored, so calling it twice is harmless.
// A client reference that names a try at a refund goes to
// [Service.RefundReversed].
func (s *Service) Reversed(ctx context.Context, reversalID, attemptID string) error {
	if IsRefundAttempt(attemptID) {
		return s.RefundReversed(ctx, attemptID)
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var paymentID string
		q, arg := `SELECT id, payment_id FROM payment_attempts WHERE reversal_id = ? AND state = 'unknown'`, reversalID
		if attemptID != "" {
			q, arg = `SELECT id, payment_id FROM payment_attempts WHERE id = ? AND state IN ('sent', 'unknown')`, attemptID
		}
		err := tx.QueryRow(ctx, q, arg).Scan(&attemptID, &paymentID)
		if errors.Is(err, errNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if _, err := tx.Exec(ctx, `UPDATE payment_attempts SET state = 'reversed',
reversal_id = CASE WHEN reversal_id = '' THEN ? ELSE reversal_id END, updated_at = ? WHERE id = ?`, reversalID, now, attemptID); err != nil {
			return err
		}
		p, err := lockPayment(ctx, tx, paymentID)
		if err != nil {
			return err
		}
		if p.Status != Processing {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'created', updated_at = ? WHERE id = ?`, now, p.ID); err != nil {
			return err
		}
		if !s.opts.Clock.Now().Before(p.ExpiresAt) {
			p.Status = Created
			_, err = s.closeTx(ctx, tx, p)
		}
		return err
	})
	if err == nil {
		s.wake()
	}
	return err
}

// resolve settles an attempt whose charge's fate the channel now knows:
// reversed, or — for an attempt still "sent" long after its charge must have
// ended — never taken at all.
func (s *Service) resolve(ctx context.Context, ch channel.Channel, attemptID, provider, reversalID string, stale bool) {
	r, ok := ch.(channel.Resolver)
	if !ok || provider == "" {
		return
	}
	res, err := r.Resolve(ctx, attemptID, provider)
	if err != nil {
		s.log.Warn("checking a charge", "attempt_id", attemptID, "err", err)
		return
	}
	switch {
	case res == channel.Reversed:
		err = s.Reversed(ctx, reversalID, attemptID)
	case res == channel.NothingTaken && stale:
		err = s.nothingTaken(ctx, attemptID)
	}
	if err != nil {
		s.log.Error("recording what became of a charge", "attempt_id", attemptID, "err", err)
	}
}

// nothingTaken ends an attempt left "sent" by a process that died before
// its charge took any money: the attempt is declined and the payment is the
// payer's again.
func (s *Service) nothingTaken(ctx context.Context, attemptID string) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var paymentID string
		err := tx.QueryRow(ctx, `SELECT payment_id FROM payment_attempts WHERE id = ? AND state = 'sent'`, attemptID).Scan(&paymentID)
		if errors.Is(err, errNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		if _, err := tx.Exec(ctx, `UPDATE payment_attempts SET state = 'declined', response_code = 'XX',
message = 'not completed; nothing was taken', updated_at = ? WHERE id = ?`, now, attemptID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE payments SET status = 'created', updated_at = ? WHERE id = ? AND status = 'processing'`, now, paymentID)
		return err
	})
	return err
}

// staleSent is how long an attempt may stay "sent" before the sweep asks
// whether its charge was reversed: longer than any bank request takes, so
// only attempts whose process died mid-charge are still sent by then.
const staleSent = 2 * time.Minute

// ResolveUnknown looks at every unknown attempt, and at every attempt still
// "sent" long after its charge must have ended (its process died), and
// records those whose reversal the bank has acknowledged. It catches
// acknowledgements that arrived while this process was down. Run it
// periodically.
func (s *Service) ResolveUnknown(ctx context.Context) error {
	rows, err := s.db.Query(ctx, `SELECT id, channel, bank, reversal_id, state FROM payment_attempts
WHERE state = 'unknown' OR (state = 'sent' AND created_at < ?) LIMIT 500`, s.opts.Clock.Now().UTC().Add(-staleSent))
	if err != nil {
		return fmt.Errorf("unresolved attempts: %w", err)
	}
	type pending struct{ attemptID, method, bank, reversalID, state string }
	var todo []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.attemptID, &p.method, &p.bank, &p.reversalID, &p.state); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, p)
	}
	rows.Close()
	for _, p := range todo {
		if ch, ok := s.channels[p.method]; ok {
			s.resolve(ctx, ch, p.attemptID, p.bank, p.reversalID, p.state == string(AttemptSent))
		}
	}
	return nil
}
