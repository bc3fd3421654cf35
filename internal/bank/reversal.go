package bank

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
	"paygate/internal/db"
)

// reversalWorker drains the connector's share of the persistent reversal
// queue: it claims due rows, sends each as 0420 (first time) or 0421
// (repeats) and marks it reversed when a 0430 arrives. Rows it could not
// finish stay pending with a later due time, doubling per attempt.
type reversalWorker struct {
	c      *Connector
	store  *reversalStore
	wakeCh chan struct{}
}

func newReversalWorker(c *Connector) *reversalWorker {
	return &reversalWorker{c: c, store: &reversalStore{db: c.db, ids: c.ids}, wakeCh: make(chan struct{}, 1)}
}

// wake asks the worker to look at the queue now.
func (w *reversalWorker) wake() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

// run drains the queue whenever woken, and at least every ReversalRetry.
func (w *reversalWorker) run(ctx context.Context) {
	tick := time.NewTicker(w.c.cfg.ReversalRetry)
	defer tick.Stop()
	for {
		w.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.wakeCh:
		case <-tick.C:
		}
	}
}

// retryDelay is the wait after attempt n (0-based): ReversalRetry doubled
// per attempt, at most ReversalRetryMax.
func (w *reversalWorker) retryDelay(attempts int) time.Duration {
	cfg := &w.c.cfg
	d := cfg.ReversalRetry
	for range min(attempts, 20) {
		d *= 2
		if d >= cfg.ReversalRetryMax {
			return cfg.ReversalRetryMax
		}
	}
	return d
}

// lease is how long a claimed row is kept from other workers: long enough
// for the advice to be answered.
func (w *reversalWorker) lease(attempts int) time.Duration {
	return max(w.retryDelay(attempts), 2*w.c.cfg.RequestTimeout)
}

// drain sends every due reversal, a batch at a time, until none is due or
// no link is up.
func (w *reversalWorker) drain(ctx context.Context) {
	log := w.c.log.With("bank", w.c.cfg.Name)
	for ctx.Err() == nil {
		if _, _, ok := w.c.pickNow(); !ok {
			return
		}
		recs, err := w.store.claim(ctx, w.c.cfg.Name, w.c.clock.Now(), w.c.cfg.ReversalBatch, w.lease)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("claiming reversals failed", "err", err)
			}
			return
		}
		if len(recs) == 0 {
			return
		}
		var wg sync.WaitGroup
		sent := 0
		var mu sync.Mutex
		for _, r := range recs {
			wg.Go(func() {
				if w.sendOne(ctx, r) {
					mu.Lock()
					sent++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if sent == 0 {
			return // nothing got through; wait for the next tick or link
		}
	}
}

// sendOne sends one advice and records the outcome; it reports whether the
// advice went out.
func (w *reversalWorker) sendOne(ctx context.Context, r *reversalRecord) bool {
	c := w.c
	log := c.log.With("bank", c.cfg.Name, "reversal_id", r.ID, "rrn", r.RRN, "stan", r.OriginalSTAN, "client_ref", r.ClientRef)
	if r.Abandoned {
		log.Warn("reversing a request its owner never resolved (armed reversal past due)")
	}
	s, li, ok := c.pickNow()
	if !ok {
		return false
	}
	m, err := w.advice(r)
	if err != nil {
		log.Error("building reversal advice failed", "err", err)
		return false
	}
	in, err := s.send(ctx, m, c.cfg.RequestTimeout, r)
	if errors.Is(err, ErrNotSent) {
		return false
	}
	code := ""
	switch {
	case err != nil:
		log.Warn("reversal advice unanswered", "link", li, "attempt", r.Attempts+1, "err", err)
	case in.err != nil:
		log.Warn("reversal answer malformed", "link", li, "err", in.err)
	case wire.VerifyMAC(in.msg, in.raw, c.cfg.MAC, s.keys.Load().zak) != nil:
		c.stats.badMAC.Add(1)
		log.Warn("reversal answer rejected: MAC does not verify", "link", li, "message", in.msg)
	case in.msg.MTI() != iso8583.MTIReversalAdviceResponse:
		log.Warn("reversal answered with an unexpected message", "link", li, "message", in.msg)
	default:
		code = in.msg.Get(iso8583.FieldResponseCode)
		if reversalAcked(code) {
			w.acknowledged(ctx, r, code)
			return true
		}
		log.Warn("reversal refused; will repeat", "link", li, "response_code", code, "meaning", iso8583.ResponseText(code))
	}
	next := c.clock.Now().Add(w.retryDelay(r.Attempts + 1))
	if err := w.store.attempted(context.WithoutCancel(ctx), r.ID, code, next); err != nil {
		log.Error("recording reversal attempt failed", "err", err)
	}
	return true
}

// acknowledged marks r reversed and tells the OnReversed hook once.
func (w *reversalWorker) acknowledged(ctx context.Context, r *reversalRecord, code string) {
	c := w.c
	changed, err := w.store.reversed(context.WithoutCancel(ctx), r.ID, code)
	if err != nil {
		c.log.Error("marking reversal acknowledged failed", "bank", c.cfg.Name, "reversal_id", r.ID, "err", err)
		return
	}
	if !changed {
		return
	}
	c.log.Info("reversal acknowledged", "bank", c.cfg.Name, "reversal_id", r.ID, "rrn", r.RRN, "client_ref", r.ClientRef, "response_code", code)
	if c.onRev != nil {
		if rev, err := w.store.get(context.WithoutCancel(ctx), r.Bank, r.AcquirerID, Reference{STAN: r.OriginalSTAN, TransmissionTime: r.OriginalTime}); err == nil {
			c.onRev(rev)
		}
	}
}

// advice builds the 0420 (first send) or 0421 (repeat) for r.
func (w *reversalWorker) advice(r *reversalRecord) (*iso8583.Message, error) {
	c := w.c
	mti := iso8583.MTIReversalAdvice
	if r.Attempts > 0 {
		mti = iso8583.MTIReversalAdviceRepeat
	}
	f90, err := wire.OriginalData{MTI: r.OriginalMTI, STAN: r.OriginalSTAN, TransmissionTime: r.OriginalTime,
		AcquirerID: r.AcquirerID, ForwarderID: c.cfg.ForwarderID}.Format()
	if err != nil {
		return nil, err
	}
	amount, err := iso8583.FormatAmount(r.AmountMinor)
	if err != nil {
		return nil, err
	}
	m := iso8583.NewMessage(c.cfg.Dialect)
	err = firstErr(
		m.SetMTI(mti),
		m.Set(iso8583.FieldProcessingCode, r.ProcessingCode),
		m.Set(iso8583.FieldAmount, amount),
		m.Set(iso8583.FieldTransmissionTime, c.clock.Now().UTC().Format(fmtDE7)),
		m.Set(iso8583.FieldSTAN, c.stan.next()),
		m.Set(iso8583.FieldAcquirerID, r.AcquirerID),
		m.Set(iso8583.FieldRRN, r.RRN),
		m.Set(iso8583.FieldResponseCode, r.ReasonCode),
		m.Set(iso8583.FieldTerminalID, r.TerminalID),
		m.Set(iso8583.FieldMerchantID, r.MerchantID),
		m.Set(iso8583.FieldCurrency, r.Currency),
		m.Set(iso8583.FieldOriginalData, f90),
	)
	return m, err
}

// reversalAcked reports the 0430 response codes that end a reversal: 00
// (reversed, or already reversed) and 25 (the bank has no such approved
// original, so there is nothing to reverse).
func reversalAcked(code string) bool {
	return code == iso8583.RespApproved || code == iso8583.RespRecordNotFound
}

// Reversal returns the queued reversal of the request ref (its STAN and
// field 7), or [ErrReversalNotFound].
func (c *Connector) Reversal(ctx context.Context, ref Reference) (Reversal, error) {
	return c.rev.store.get(ctx, c.cfg.Name, c.cfg.AcquirerID, ref)
}

// ReversalByClientRef returns the stored reversal of the request whose
// [Request.ClientRef] was ref (the newest, should ref name several), sent
// by any connector of this bank and acquirer, or [ErrReversalNotFound].
// Its State is [ReversalArmed] while the request is in flight (or was
// abandoned and not yet taken over), [ReversalPending] while the reversal
// is being sent and [ReversalReversed] once the bank acknowledged it.
func (c *Connector) ReversalByClientRef(ctx context.Context, ref string) (Reversal, error) {
	return c.rev.store.getByClientRef(ctx, c.cfg.Name, c.cfg.AcquirerID, ref)
}

// DrainReversals sends every reversal that is due now and returns when
// none is left due or no link is up. The worker does this on its own; the
// method is for tools and tests that want it done before they go on.
func (c *Connector) DrainReversals(ctx context.Context) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.calls.Done()
	c.rev.drain(ctx)
	return ctx.Err()
}

// ErrNotConfirmable is returned by [Connector.ConfirmTx] when the request's
// stored reversal is no longer armed: a worker took it over because the
// confirmation came too late, so the request is being reversed and must not
// be recorded as approved.
var ErrNotConfirmable = errors.New("bank: approval can no longer be confirmed: its reversal is under way")

// ConfirmTx confirms, inside the caller's transaction tx, the approval of
// the request sent with ClientRef ref and ConfirmApproval: it removes the
// stored reversal, so that it commits or rolls back with the caller's
// record of the approval. Errors: [ErrNotConfirmable].
func (c *Connector) ConfirmTx(ctx context.Context, tx *db.Tx, ref string) error {
	res, err := tx.Exec(ctx, confirmArmed, c.cfg.Name, ref)
	if err != nil {
		return fmt.Errorf("bank %q: confirm %s: %w", c.cfg.Name, ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("bank %q: confirm %s: %w", c.cfg.Name, ref, ErrNotConfirmable)
	}
	return nil
}
