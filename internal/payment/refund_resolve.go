package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"paygate/internal/channel"
	"paygate/internal/db"
)

// RefundReversed records that the bank acknowledged the reversal of a try
// at a refund (attemptID is the client reference the try carried): the
// try ends reversed — the card was not paid — and the refund is due again
// after a wait, to be tried anew with a new attempt (and a new STAN), or
// fails once its tries are used up. Anything else is ignored, so calling
// it twice is harmless.
func (s *Service) RefundReversed(ctx context.Context, attemptID string) error {
	return s.endTry(ctx, nil, attemptID, tryEnd{state: AttemptReversed, next: nextRetry})
}

// resolveRefund settles a try whose outcome the channel now knows:
// reversed, or — for a try still "sent" long after it must have ended —
// never sent at all.
func (s *Service) resolveRefund(ctx context.Context, ch channel.Channel, attemptID, provider string, stale bool) {
	r, ok := ch.(channel.Resolver)
	if !ok || provider == "" {
		return
	}
	res, err := r.Resolve(ctx, attemptID, provider)
	if err != nil {
		s.log.Warn("checking a refund", "attempt_id", attemptID, "err", err)
		return
	}
	switch {
	case res == channel.Reversed:
		err = s.RefundReversed(ctx, attemptID)
	case res == channel.NothingTaken && stale:
		err = s.endTry(ctx, nil, attemptID, tryEnd{state: AttemptDeclined, next: nextRetry,
			res: channel.Result{Code: "XX", Message: "not completed; nothing was paid back"}})
	}
	if err != nil {
		s.log.Error("recording what became of a refund", "attempt_id", attemptID, "err", err)
	}
}

// staleRefundTry is how long a try at a refund may stay "sent" before the
// sweep asks the bank about it: well past the refund worker's default try
// timeout (2 min) plus the bank's request timeout, so that a try merely
// slow to reach the bank is not declared dead while it is still going.
const staleRefundTry = 10 * time.Minute

// ResolveRefunds looks at every try at a refund whose outcome is unknown,
// and at every try still "sent" long after it must have ended (its
// process died), and records those the bank has reversed (the refund is
// due again) and those that never reached it. It catches acknowledgements
// that arrived while this process was down. Run it periodically (several
// instances may); each pass looks at up to 500 tries.
func (s *Service) ResolveRefunds(ctx context.Context) error {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.bank, a.state, r.method FROM refund_attempts a JOIN refunds r ON r.id = a.refund_id
WHERE a.state = 'unknown' OR (a.state = 'sent' AND a.created_at < ?) ORDER BY a.created_at LIMIT 500`,
		s.opts.Clock.Now().UTC().Add(-staleRefundTry))
	if err != nil {
		return fmt.Errorf("unresolved refund attempts: %w", err)
	}
	type open struct{ attemptID, bank, state, method string }
	var todo []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.attemptID, &o.bank, &o.state, &o.method); err != nil {
			rows.Close()
			return fmt.Errorf("unresolved refund attempts: %w", err)
		}
		todo = append(todo, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("unresolved refund attempts: %w", err)
	}
	for _, o := range todo {
		if ch, ok := s.channels[o.method]; ok {
			s.resolveRefund(ctx, ch, o.attemptID, o.bank, o.state == string(AttemptSent))
		}
	}
	return nil
}

// ClaimRefunds leases up to n pending refunds that are due by the
// service's clock to token until lease from now, so that no other worker
// (in this process or another sharing the database) takes them meanwhile,
// and returns their ids, most overdue first. A refund whose worker dies is
// claimed again once its lease runs out. The refund worker
// (internal/payment/refundworker) calls it and then
// [Service.ProcessRefund] for each.
func (s *Service) ClaimRefunds(ctx context.Context, token string, n int, lease time.Duration) ([]string, error) {
	q := claimRefundsSQLite
	if s.db.Engine() == db.Postgres {
		q = claimRefundsPostgres
	}
	var ids []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ids = ids[:0]
		now := s.now()
		rows, err := tx.Query(ctx, q, token, now.Add(lease), now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim refunds: %w", err)
	}
	return ids, nil
}

// ReleaseRefund hands a claimed refund back, due now, when its worker
// stops before trying it.
func (s *Service) ReleaseRefund(ctx context.Context, refundID, token string) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE refunds SET claim_token = NULL, claimed_until = NULL
WHERE id = ? AND status = 'pending' AND claim_token = ?`, refundID, token)
		return err
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("release refund %s: %w", refundID, err)
	}
	return err
}

// WakeRefunds tells the refund worker that refunds are due now (for
// example after a refund sheet's refunds were created); without a worker
// it does nothing.
func (s *Service) WakeRefunds() {
	if s.opts.WakeRefundsFunc != nil {
		s.opts.WakeRefundsFunc()
	}
}
