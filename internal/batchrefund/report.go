package batchrefund

import (
	"context"
	"fmt"

	"paygate/internal/db"
	"paygate/internal/money"
	"paygate/internal/payment"
)

// Get returns a batch with its lines in sheet order, each with its
// refund's current status. A queued batch whose refunds have all succeeded
// or failed becomes [Done] here. Errors: [ErrBatchNotFound].
func (s *Service) Get(ctx context.Context, merchantID, batchID string) (Batch, []Line, error) {
	b, err := s.getBatch(ctx, merchantID, batchID)
	if err != nil {
		return Batch{}, nil, err
	}
	stored, err := s.getLines(ctx, b.ID, "")
	if err != nil {
		return Batch{}, nil, err
	}
	counts := map[string]int{}
	for _, l := range stored {
		counts[l.state]++
	}
	refunds, err := s.progress(ctx, &b, counts)
	if err != nil {
		return Batch{}, nil, err
	}
	lines := make([]Line, len(stored))
	for i, l := range stored {
		switch l.state {
		case lineQueued:
			l.Status = payment.RefundPending
			if r, ok := refunds[l.RefundID]; ok {
				l.Status = r.Status
				if r.Status == payment.RefundFailed {
					l.Problem, l.Message = r.FailureCode, r.FailureMessage
				}
			}
		case lineRefused:
			l.Status = payment.RefundFailed
		}
		lines[i] = l.Line
	}
	return b, lines, nil
}

// Status returns a batch without its lines, with its counts as they stand:
// what a page showing progress polls. Errors: [ErrBatchNotFound].
func (s *Service) Status(ctx context.Context, merchantID, batchID string) (Batch, error) {
	b, err := s.getBatch(ctx, merchantID, batchID)
	if err != nil {
		return Batch{}, err
	}
	if b.State != Queued {
		return b, nil
	}
	counts, err := s.lineCounts(ctx, b.ID)
	if err != nil {
		return Batch{}, err
	}
	_, err = s.progress(ctx, &b, counts)
	return b, err
}

// List returns a merchant's batches, newest first, at most limit (1–100;
// anything else means 20).
func (s *Service) List(ctx context.Context, merchantID string, limit int) ([]Batch, error) {
	if limit < 1 || limit > 100 {
		limit = 20
	}
	bs, err := s.listBatches(ctx, merchantID, limit)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if bs[i].State != Queued {
			continue
		}
		counts, err := s.lineCounts(ctx, bs[i].ID)
		if err != nil {
			return nil, err
		}
		if _, err := s.progress(ctx, &bs[i], counts); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

// Discard drops a validated batch that will not be confirmed; discarding
// it again does nothing. Errors: [ErrBatchNotFound], [ErrBatchConfirmed].
func (s *Service) Discard(ctx context.Context, merchantID, batchID string) error {
	b, err := s.getBatch(ctx, merchantID, batchID)
	if err != nil {
		return err
	}
	switch b.State {
	case Discarded:
		return nil
	case Queued, Done:
		return ErrBatchConfirmed
	}
	var n int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, discardBatch, b.ID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("discard refund batch %s: %w", b.ID, err)
	}
	if n == 0 { // confirmed meanwhile
		return ErrBatchConfirmed
	}
	return nil
}

// progress counts a confirmed batch's outcomes from its refunds and its
// line counts by state, and marks it done, once and for good, when nothing
// is left in flight. It returns the batch's refunds by id (nil when b is
// not confirmed).
func (s *Service) progress(ctx context.Context, b *Batch, counts map[string]int) (map[string]payment.Refund, error) {
	if b.State != Queued && b.State != Done {
		return nil, nil
	}
	list, err := s.payments.RefundsOfBatch(ctx, b.MerchantID, b.ID)
	if err != nil {
		return nil, fmt.Errorf("refunds of batch %s: %w", b.ID, err)
	}
	refunds := make(map[string]payment.Refund, len(list))
	for _, r := range list {
		refunds[r.ID] = r
	}
	if b.State == Done {
		return refunds, nil // counted when it became done
	}
	succeeded, failed, inFlight := 0, counts[lineRefused], counts[lineGood]
	refunded := money.Zero(b.Total.Currency())
	for _, r := range list {
		switch r.Status {
		case payment.RefundSucceeded:
			succeeded++
			if refunded, err = refunded.Add(r.Amount); err != nil {
				return nil, err
			}
		case payment.RefundFailed:
			failed++
		default:
			inFlight++
		}
	}
	b.Succeeded, b.Failed, b.Refunded = succeeded, failed, refunded
	if inFlight > 0 {
		return refunds, nil
	}
	var done bool
	err = s.db.InTx(ctx, func(tx *db.Tx) (err error) {
		done, err = finish(ctx, tx, *b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish refund batch %s: %w", b.ID, err)
	}
	if done {
		b.State = Done
		s.log.InfoContext(ctx, "refund batch done", "merchant_id", b.MerchantID, "batch_id", b.ID,
			"succeeded", succeeded, "failed", failed, "refunded", refunded.Format())
	} else if fresh, err := s.getBatch(ctx, b.MerchantID, b.ID); err == nil {
		*b = fresh // finished by someone else meanwhile
	}
	return refunds, nil
}
