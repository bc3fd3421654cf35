package batchrefund

import (
	"context"
	"errors"
	"fmt"

	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/payment"
)

// Confirm turns a validated batch's good lines into pending refunds (the
// lines are checked again under the payments' locks; a line that no longer
// fits is marked failed) and wakes the refund worker.
//
// Confirming is idempotent: confirming a queued or done batch again
// creates nothing and returns it as it stands, except that it finishes an
// earlier confirmation that was interrupted. The work goes in chunks of 200
// lines; each refund gets the line's refund number, or "<batch id>-<line
// no>", so a repeated creation returns the refund made the first time.
// Errors: [ErrBatchNotFound], [ErrBatchDiscarded].
func (s *Service) Confirm(ctx context.Context, merchantID, batchID string) (Batch, error) {
	b, err := s.queue(ctx, merchantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	if err := s.submit(ctx, b); err != nil {
		return Batch{}, err
	}
	return s.Status(ctx, merchantID, batchID)
}

// Queue confirms a batch as [Service.Confirm] does but returns as soon as
// the batch is queued: its refunds are created in the background while the
// refund worker already carries out the first ones, so a page can show
// every line's progress from the start. A creation cut short ([Service.Close],
// or the process stops) is finished by [Service.Resume]. Errors: [ErrBatchNotFound],
// [ErrBatchDiscarded].
func (s *Service) Queue(ctx context.Context, merchantID, batchID string) (Batch, error) {
	b, err := s.queue(ctx, merchantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	s.work.Go(func() {
		if err := s.submit(s.bg, b); err != nil && s.bg.Err() == nil {
			s.log.ErrorContext(s.bg, "creating the refunds of a batch; Resume will finish", "batch_id", b.ID, "err", err)
		}
	})
	return s.Status(ctx, merchantID, batchID)
}

// queue moves a validated batch to queued (a queued or done batch stays as
// it is) and returns it. A discard that wins a race with it wins.
func (s *Service) queue(ctx context.Context, merchantID, batchID string) (Batch, error) {
	b, err := s.getBatch(ctx, merchantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	switch b.State {
	case Discarded:
		return Batch{}, ErrBatchDiscarded
	case Validated:
		var queued bool
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.Exec(ctx, queueBatch, tx.Now(), b.ID)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			queued = n == 1
			return err
		})
		if err != nil {
			return Batch{}, fmt.Errorf("confirm refund batch %s: %w", b.ID, err)
		}
		if !queued { // someone else moved it first: a discard must win
			if b, err = s.getBatch(ctx, merchantID, batchID); err != nil {
				return Batch{}, err
			}
			if b.State == Discarded {
				return Batch{}, ErrBatchDiscarded
			}
		}
	}
	return b, nil
}

// submit creates the refunds of a batch's lines that have none yet.
func (s *Service) submit(ctx context.Context, b Batch) error {
	good, err := s.getLines(ctx, b.ID, lineGood)
	if err != nil {
		return err
	}
	queued, refused := 0, 0
	for start := 0; start < len(good); start += confirmChunk {
		chunk := good[start:min(start+confirmChunk, len(good))]
		outcomes := make([]confirmed, len(chunk))
		err := forEach(ctx, len(chunk), s.opts.Workers, func(ctx context.Context, i int) error {
			l := chunk[i].Line
			r, err := s.payments.CreateRefund(ctx, payment.RefundParams{
				MerchantID: b.MerchantID, PaymentID: l.PaymentID, MerchantRefundNo: refundNo(b.ID, l),
				Amount: l.Amount, Reason: l.Reason, BatchID: b.ID,
			})
			outcomes[i].no = l.No
			switch {
			case err == nil && r.BatchID != b.ID:
				outcomes[i].problem, outcomes[i].message = ProblemRefundNoUsed,
					"Refused on confirmation: this refund number was used meanwhile for another refund of this order."
			case err == nil:
				outcomes[i].refundID = r.ID
			default:
				code, msg, ok := refusal(err)
				if !ok {
					return fmt.Errorf("refund line %d of %s: %w", l.No, b.ID, err)
				}
				outcomes[i].problem, outcomes[i].message = code, msg
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = s.db.InTx(ctx, func(tx *db.Tx) error { return recordConfirmed(ctx, tx, b.ID, outcomes) })
		if err != nil {
			return fmt.Errorf("record refunds of %s: %w", b.ID, err)
		}
		for _, o := range outcomes {
			if o.refundID != "" {
				queued++
			} else {
				refused++
			}
		}
		s.wake()
	}
	if len(good) > 0 {
		s.log.InfoContext(ctx, "refund batch confirmed", "merchant_id", b.MerchantID, "batch_id", b.ID,
			"queued", queued, "refused", refused)
	}
	return nil
}

// refundNo is the merchant refund number of a line's refund: its own, or
// one derived from the batch and line, so that it is the same every time.
func refundNo(batchID string, l Line) string {
	if l.MerchantRefundNo != "" {
		return l.MerchantRefundNo
	}
	return fmt.Sprintf("%s-%d", batchID, l.No)
}

// refusal turns the payment service's refusal of a refund into a line
// problem; ok is false for errors that are not a refusal (the database is
// down, say), which stop the confirmation.
func refusal(err error) (problem, message string, ok bool) {
	const on = "Refused on confirmation: "
	switch {
	case errors.Is(err, payment.ErrRefundExceeds):
		return ProblemAmountExceeds, on + "the amount is now more than what is left to refund on this order.", true
	case errors.Is(err, payment.ErrRefundWindowPassed):
		return ProblemWindowPassed, on + "the payment succeeded too long ago to be refunded.", true
	case errors.Is(err, payment.ErrNotRefundable):
		return ProblemNotRefundable, on + "the payment can no longer be refunded.", true
	case errors.Is(err, payment.ErrRefundNoReused):
		return ProblemRefundNoUsed, on + "this refund number was used meanwhile for another refund of this order.", true
	case errors.Is(err, payment.ErrNotFound):
		return ProblemOrderNotFound, on + "no payment of yours has this merchant order number.", true
	}
	if e := errs.As(err); e != nil && e.Kind != errs.Internal && e.Kind != errs.Unavailable {
		return ProblemRefundRefused, on + e.Message, true
	}
	return "", "", false
}

// Resume finishes the confirmations that were interrupted (by a crash or a
// failing database) and returns how many batches it resumed. Run it at
// start-up or now and then; it is safe while confirmations run.
func (s *Service) Resume(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT b.id, b.merchant_id FROM refund_batches b
JOIN refund_batch_lines l ON l.batch_id = b.id AND l.state = 'good' WHERE b.state = 'queued'`)
	if err != nil {
		return 0, fmt.Errorf("resume refund batches: %w", err)
	}
	var todo [][2]string
	for rows.Next() {
		var id, merchantID string
		if err := rows.Scan(&id, &merchantID); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, [2]string{id, merchantID})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	resumed := 0
	var failures []error
	for _, t := range todo { // one failing batch must not hold the others back
		b, err := s.getBatch(ctx, t[1], t[0])
		if err == nil {
			err = s.submit(ctx, b)
		}
		if err != nil {
			failures = append(failures, fmt.Errorf("resume refund batch %s: %w", t[0], err))
			continue
		}
		resumed++
	}
	return resumed, errors.Join(failures...)
}
