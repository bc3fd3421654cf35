package notify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"paygate/internal/db"
	"paygate/internal/jobs"
)

// Signer signs a notification body for the merchant to verify: it returns
// the Paygate-Timestamp, Paygate-Nonce, Paygate-Key-Id and
// Paygate-Signature headers, the signature covering
// TIMESTAMP "\n" NONCE "\n" BODY "\n" (DESIGN §4). It is called once per
// attempt, so each attempt carries a fresh timestamp and nonce. The gateway
// keys of internal/auth implement it.
type Signer interface {
	Sign(body []byte) (http.Header, error)
}

// DefaultSchedule returns the delays between attempts of DESIGN §4: after
// the first attempt fails the next is due 15 s later, then 1 m, … 24 h
// (about 2 days in all, ten attempts); after the last the event is failed.
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
		time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	}
}

// Options tune a [Dispatcher]. The zero value is production-ready.
type Options struct {
	// Logger receives attempts and failures (default: discard).
	Logger *slog.Logger
	// Timeout is how long an attempt may take to get its answer; a 2xx
	// within it is delivery (default 10 s).
	Timeout time.Duration
	// Schedule is the delays between attempts (default [DefaultSchedule]).
	Schedule []time.Duration
	// MaxInFlight bounds the deliveries running at once (default 16).
	MaxInFlight int
	// PollInterval is how often the dispatcher looks for due events when
	// nobody calls [Dispatcher.Wake] (default 1 s, wall time).
	PollInterval time.Duration
	// Lease is how long a claimed event is kept from other dispatchers; a
	// dispatcher that dies mid-attempt delays the event by this much
	// (default 2×Timeout + 30 s; at least Timeout + 5 s).
	Lease time.Duration
	// Client sends the requests (default: a client of the dispatcher's own
	// with dial, TLS and header timeouts, which follows no redirects). Each
	// attempt is bounded by Timeout whatever the client's settings.
	Client *http.Client
	// OnAttemptFunc, if set, is called after each attempt's outcome is
	// committed, from the delivering goroutine.
	OnAttemptFunc func(Attempt)
}

// Dispatcher delivers due events. Several may run against one database, in
// one process or many: an event is never in flight in two of them at once.
// Create it with [NewDispatcher]; run it with [Dispatcher.Start] and
// [Dispatcher.Stop]. It is safe for concurrent use.
type Dispatcher struct {
	store  *store
	signer Signer
	log    *slog.Logger
	opts   Options
	client *http.Client
	owned  *http.Transport // the default client's transport, closed at Stop

	pump *jobs.Pump[claimed] // the loop, the bound and the goroutines
}

// NewDispatcher returns a Dispatcher that delivers the events stored in d,
// signed by signer. Time comes from d's clock.
func NewDispatcher(d *db.DB, signer Signer, opts Options) *Dispatcher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Schedule == nil {
		opts.Schedule = DefaultSchedule()
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 16
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 2*opts.Timeout + 30*time.Second
	}
	opts.Lease = max(opts.Lease, opts.Timeout+5*time.Second)
	dp := &Dispatcher{
		store:  &store{db: d, schedule: append([]time.Duration(nil), opts.Schedule...)},
		signer: signer,
		log:    opts.Logger,
		opts:   opts,
		client: opts.Client,
	}
	if dp.client == nil {
		dp.owned = newTransport(opts.Timeout, opts.MaxInFlight)
		dp.client = &http.Client{
			Transport:     dp.owned,
			Timeout:       opts.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	dp.pump = jobs.New(jobs.Config[claimed]{
		Name: "notifications", Probe: dp.store.probe, Logger: opts.Logger,
		MaxInFlight: opts.MaxInFlight, PollInterval: opts.PollInterval,
		Claim: func(ctx context.Context, token string, n int) ([]claimed, error) {
			return dp.store.claim(ctx, token, n, opts.Lease)
		},
		Work: dp.deliver,
	})
	return dp
}

// newTransport is the default client's transport: every phase has a
// timeout, and no proxy is read from the environment.
func newTransport(timeout time.Duration, conns int) *http.Transport {
	dial := min(5*time.Second, timeout)
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          4 * conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// ErrStarted is returned by [Dispatcher.Start] on a dispatcher that was
// already started.
var ErrStarted = jobs.ErrStarted

// Start checks the database and starts delivering in the background until
// [Dispatcher.Stop] is called or ctx is done. A dispatcher starts once.
func (d *Dispatcher) Start(ctx context.Context) error {
	return d.pump.Start(ctx)
}

// Stop stops the dispatcher and waits for its goroutines. Attempts in
// flight are cancelled and their events handed back, due at once, without
// counting an attempt; an answer that already arrived is recorded. Stop is
// idempotent and may be called on a dispatcher that never started.
func (d *Dispatcher) Stop() {
	d.pump.Stop()
	if d.owned != nil {
		d.owned.CloseIdleConnections()
	}
}

// Wake makes the dispatcher look for due events now rather than at its next
// poll. The enqueuer calls it after its transaction commits. It never blocks.
func (d *Dispatcher) Wake() {
	d.pump.Wake()
}

// DeliverDue claims and delivers, in the calling goroutine's time, every
// event due now, and returns how many attempts it made. It works whether or
// not the dispatcher is started, sharing its bound on deliveries in flight;
// operators' tools and tests use it.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	return d.pump.DrainNow(ctx)
}

// recordTimeout bounds the write of an attempt's outcome, which must happen
// even while the dispatcher stops.
const recordTimeout = 10 * time.Second

// deliver makes one attempt at c and records it.
func (d *Dispatcher) deliver(ctx context.Context, c claimed) {
	log := d.log.With("event_id", c.ID, "merchant_id", c.MerchantID)
	o := d.post(ctx, log, c)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if o.Status == 0 && ctx.Err() != nil {
		// Stopped mid-attempt: not the receiver's fault. Hand it back.
		if err := d.store.release(rctx, c); err != nil {
			log.ErrorContext(rctx, "handing back notification failed", "err", err)
		}
		return
	}
	a, gaveUp, err := d.store.finished(rctx, c, o)
	if err != nil {
		// The lease runs out and the event is tried again: at least once.
		log.ErrorContext(rctx, "recording notification attempt failed", "err", err)
		return
	}
	switch {
	case a.Delivered():
		log.DebugContext(rctx, "notification delivered", "attempt", a.N, "http_status", a.Status, "duration", a.Duration)
	case gaveUp:
		log.ErrorContext(rctx, "notification failed: schedule exhausted", "attempt", a.N, "http_status", a.Status, "err", a.Error)
	default:
		log.WarnContext(rctx, "notification attempt failed", "attempt", a.N, "http_status", a.Status, "err", a.Error)
	}
	if d.opts.OnAttemptFunc != nil {
		d.opts.OnAttemptFunc(a)
	}
}

// post sends c's body once. Its error text is safe to store and show.
func (d *Dispatcher) post(ctx context.Context, log *slog.Logger, c claimed) (o outcome) {
	o.At = d.store.db.Now()
	// A stopwatch, not a timestamp: the duration is real elapsed time even
	// when the clock is a test's fake.
	start := time.Now()
	defer func() { o.Duration = time.Since(start) }()
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	hdr, err := d.signer.Sign(c.Body)
	if err != nil {
		log.ErrorContext(ctx, "signing notification failed", "err", err)
		o.Error = "signing failed"
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		o.Error = "invalid url"
		return o
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paygate-notify/1")
	resp, err := d.client.Do(req)
	if err != nil {
		o.Error = safeError(err, d.opts.Timeout)
		log.DebugContext(ctx, "notification request failed", "err", o.Error)
		return o
	}
	// Drain a little so the connection can be reused; the body is not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	o.Status = resp.StatusCode
	return o
}
