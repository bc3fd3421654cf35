package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"paygate/internal/db"
	"paygate/internal/jobs"
)

// DefaultSchedule returns the delays between attempts: after the first
// attempt fails the next is due 30 s later, then 2 m, 10 m, 1 h and 6 h
// (six attempts over about 7 hours); after the last the message is failed.
func DefaultSchedule() []time.Duration {
	return []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}
}

// Options tune a [Dispatcher]. The zero value is production-ready.
type Options struct {
	// Logger receives attempts and failures (default: discard). Lines carry
	// the message id, its kind and the masked recipient; never a body.
	Logger *slog.Logger
	// Schedule is the delays between attempts (default [DefaultSchedule]).
	Schedule []time.Duration
	// MaxInFlight bounds the SMTP sessions running at once (default 4).
	MaxInFlight int
	// PollInterval is how often the dispatcher looks for due messages when
	// nobody calls [Dispatcher.Wake] (default 1 s, wall time).
	PollInterval time.Duration
	// Lease is how long a claimed message is kept from other dispatchers;
	// a dispatcher that dies mid-attempt delays the message by this much
	// (default 2 m). It must exceed the transport's own timeout
	// ([Config.Timeout], 30 s by default).
	Lease time.Duration
	// RedactKinds are the kinds of message whose bodies carry a secret,
	// such as an activation or password-reset link: once delivered, or
	// given up, the stored body is replaced by [RedactedBody], so that the
	// outbox (and its backups) keep no usable link.
	RedactKinds []string
	// OnAttemptFunc, if set, is called after each attempt's outcome is
	// committed, from the delivering goroutine.
	OnAttemptFunc func(Attempt)
}

// Dispatcher sends due messages through a [Transport]. Several may run
// against one database, in one process or many: a message is never in
// flight in two of them at once (while leases hold). Create it with
// [NewDispatcher]; run it with [Dispatcher.Start] and [Dispatcher.Stop].
// It is safe for concurrent use.
type Dispatcher struct {
	store     *store
	transport Transport
	log       *slog.Logger
	opts      Options

	pump *jobs.Pump[claimed] // the loop, the bound and the goroutines
}

// NewDispatcher returns a Dispatcher that sends the messages stored in d
// through t (usually a [*Sender]). Time comes from d's clock.
func NewDispatcher(d *db.DB, t Transport, opts Options) *Dispatcher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Schedule == nil {
		opts.Schedule = DefaultSchedule()
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 4
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	dp := &Dispatcher{
		store:     &store{db: d, schedule: append([]time.Duration(nil), opts.Schedule...), redact: kinds(opts.RedactKinds)},
		transport: t,
		log:       opts.Logger,
		opts:      opts,
	}
	dp.pump = jobs.New(jobs.Config[claimed]{
		Name: "emails", Probe: dp.store.probe, Logger: opts.Logger,
		MaxInFlight: opts.MaxInFlight, PollInterval: opts.PollInterval,
		Claim: func(ctx context.Context, token string, n int) ([]claimed, error) {
			return dp.store.claim(ctx, token, n, opts.Lease)
		},
		Work: dp.deliver,
	})
	return dp
}

// ErrStarted is returned by [Dispatcher.Start] on a dispatcher that was
// already started (or stopped).
var ErrStarted = jobs.ErrStarted

// Start checks the database and starts sending in the background until
// [Dispatcher.Stop] is called or ctx is done. A dispatcher starts once.
func (d *Dispatcher) Start(ctx context.Context) error {
	return d.pump.Start(ctx)
}

// Stop stops the dispatcher and waits for its goroutines. Sessions in
// flight are cut off and their messages handed back, due at once, without
// counting an attempt; a message the server already accepted is recorded
// as sent. Stop is idempotent and may be called on a dispatcher that never
// started.
func (d *Dispatcher) Stop() {
	d.pump.Stop()
}

// Wake makes the dispatcher look for due messages now rather than at its
// next poll. The enqueuer calls it after its transaction commits. It never
// blocks.
func (d *Dispatcher) Wake() {
	d.pump.Wake()
}

// DeliverDue claims and sends, in the calling goroutine's time, every
// message due now, and returns how many attempts it made. It works whether
// or not the dispatcher is started, sharing its bound on sessions in
// flight; operators' tools and tests use it.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	return d.pump.DrainNow(ctx)
}

// recordTimeout bounds the write of an attempt's outcome, which must happen
// even while the dispatcher stops.
const recordTimeout = 10 * time.Second

// deliver makes one attempt at c and records it.
func (d *Dispatcher) deliver(ctx context.Context, c claimed) {
	log := d.log.With("message_id", c.ID, "kind", c.Kind, "to", MaskAddress(c.To))
	o := d.send(ctx, c)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if o.Error != "" && ctx.Err() != nil {
		// Stopped mid-session: not the server's fault. Hand it back.
		if err := d.store.release(rctx, c); err != nil {
			log.ErrorContext(rctx, "handing back email failed", "err", err)
		}
		return
	}
	a, gaveUp, err := d.store.finished(rctx, c, o)
	if err != nil {
		// The lease runs out and the message is tried again: at least once.
		log.ErrorContext(rctx, "recording email attempt failed", "err", err)
		return
	}
	switch {
	case a.Sent():
		log.InfoContext(rctx, "email sent", "attempt", a.N, "duration", a.Duration)
	case gaveUp:
		log.ErrorContext(rctx, "email failed for good", "attempt", a.N, "smtp_code", a.Code, "err", a.Error)
	default:
		log.WarnContext(rctx, "email attempt failed", "attempt", a.N, "smtp_code", a.Code, "err", a.Error)
	}
	if d.opts.OnAttemptFunc != nil {
		d.opts.OnAttemptFunc(a)
	}
}

// send hands c to the transport once. Its error text is safe to store.
func (d *Dispatcher) send(ctx context.Context, c claimed) (o outcome) {
	o.At = d.store.db.Now()
	// A stopwatch, not a timestamp: the duration is real elapsed time even
	// when the clock is a test's fake.
	start := time.Now()
	defer func() { o.Duration = time.Since(start) }()
	err := d.transport.Send(ctx, c.Outgoing)
	if err == nil {
		o.Code = 250
		return o
	}
	var se *SendError
	if errors.As(err, &se) {
		o.Code, o.Error, o.Permanent = se.Code, se.Text, se.Permanent
	} else {
		o.Error = "send failed"
	}
	if o.Error == "" {
		o.Error = "send failed"
	}
	// The cause itself is not logged: go-mail's error texts quote the
	// recipient and the server's reply.
	return o
}

// kinds is a set of message kinds.
func kinds(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, k := range list {
		set[k] = true
	}
	return set
}
