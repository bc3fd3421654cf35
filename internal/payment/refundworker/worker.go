// Package refundworker carries out pending refunds in the background: it
// claims due refunds from the database under a lease (FOR UPDATE SKIP
// LOCKED on PostgreSQL), so that several gateway instances sharing one
// database never try the same refund at once, and makes one try at each
// ([payment.Service.ProcessRefund]) with a bound on how many run at once.
//
// What it guarantees rests on the payment service: a refund is tried only
// from pending, by one caller at a time; a try whose outcome is unknown is
// reversed before the refund is due again; so a card is paid back exactly
// once, however often workers die or race.
package refundworker

import (
	"context"
	"log/slog"
	"time"

	"paygate/internal/jobs"
	"paygate/internal/payment"
)

// Options tune a [Worker]. The zero value is production-ready.
type Options struct {
	// Logger receives failures (default: discard).
	Logger *slog.Logger
	// MaxInFlight bounds the refunds tried at once (default 64): card
	// refunds spend most of their time waiting for the bank.
	MaxInFlight int
	// PollInterval is how often the worker looks for due refunds when
	// nobody calls [Worker.Wake] (default 1 s, wall time).
	PollInterval time.Duration
	// Lease is how long a claimed refund is kept from other workers before
	// its try starts (default 2 min); a worker that dies holding claims
	// delays those refunds by this much.
	Lease time.Duration
	// TryTimeout bounds one try (default 2 min); recording its outcome is
	// not cut short by it.
	TryTimeout time.Duration
}

// Worker runs the refunds of a payment service. Create it with [New]; run
// it with [Worker.Start] and [Worker.Stop]. It is safe for concurrent use.
type Worker struct {
	svc  *payment.Service
	log  *slog.Logger
	opts Options
	pump *jobs.Pump[claim]
}

// claim is a leased refund.
type claim struct{ refundID, token string }

// New returns a worker for svc's refunds.
func New(svc *payment.Service, opts Options) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 64
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.TryTimeout <= 0 {
		opts.TryTimeout = 2 * time.Minute
	}
	w := &Worker{svc: svc, log: opts.Logger, opts: opts}
	w.pump = jobs.New(jobs.Config[claim]{
		Name: "refunds", Logger: opts.Logger, MaxInFlight: opts.MaxInFlight, PollInterval: opts.PollInterval,
		Claim: func(ctx context.Context, token string, n int) ([]claim, error) {
			ids, err := svc.ClaimRefunds(ctx, token, n, opts.Lease)
			out := make([]claim, len(ids))
			for i, id := range ids {
				out[i] = claim{refundID: id, token: token}
			}
			return out, err
		},
		Work: w.work,
	})
	return w
}

// ErrStarted is returned by [Worker.Start] on a worker that was already
// started (or stopped).
var ErrStarted = jobs.ErrStarted

// Start starts carrying out refunds in the background until [Worker.Stop]
// is called or ctx is done. A worker starts once.
func (w *Worker) Start(ctx context.Context) error { return w.pump.Start(ctx) }

// Stop stops the worker and waits for the tries in flight: a try cut short
// at the bank ends unknown and is reversed, then retried by whichever
// worker runs next. It is idempotent and may be called on a worker that
// never started.
func (w *Worker) Stop() { w.pump.Stop() }

// Wake makes the worker look for due refunds now rather than at its next
// poll. It never blocks.
func (w *Worker) Wake() { w.pump.Wake() }

// RunDue claims and tries, in the calling goroutine's time, every refund
// due now, and returns how many it tried. It works whether or not the
// worker is started, sharing its bound; tools and tests use it.
func (w *Worker) RunDue(ctx context.Context) (int, error) { return w.pump.DrainNow(ctx) }

// work makes one try at a claimed refund.
func (w *Worker) work(ctx context.Context, c claim) {
	if ctx.Err() != nil {
		// Stopping: hand it back untried rather than wait out the lease.
		if err := w.svc.ReleaseRefund(context.WithoutCancel(ctx), c.refundID, c.token); err != nil {
			w.log.Error("handing back a refund", "refund_id", c.refundID, "err", err)
		}
		return
	}
	tctx, cancel := context.WithTimeout(ctx, w.opts.TryTimeout)
	defer cancel()
	r, err := w.svc.ProcessRefund(tctx, c.refundID)
	if err != nil {
		// The lease runs out and the refund is claimed again, or the
		// sweep settles its try.
		w.log.Error("refund try failed", "refund_id", c.refundID, "err", err)
		return
	}
	if r.Status == payment.RefundFailed {
		w.log.Warn("refund failed", "refund_id", r.ID, "payment_id", r.PaymentID, "failure_code", r.FailureCode)
	}
}
