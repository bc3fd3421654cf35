// Package jobs runs background work claimed from the database: a Pump
// claims due items in batches as slots free up, works each in its own
// goroutine with a bound on how many run at once, and drains again whenever
// it is woken or its poll interval passes. Claiming — with row locks (FOR
// UPDATE SKIP LOCKED) and leases, so that many instances can share one
// PostgreSQL — is the caller's; the Pump owns only the loop, the bound and
// the goroutines, and stops them all on Stop.
package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrStarted is returned by [Pump.Start] on a pump that was already
// started (or stopped).
var ErrStarted = errors.New("jobs: already started")

// Config describes a [Pump]'s work.
type Config[T any] struct {
	// Name says what is pumped, for log lines ("notifications", "emails").
	Name string
	// Probe, if set, is called by Start and must succeed (e.g. the tables
	// exist).
	Probe func(ctx context.Context) error
	// Claim takes up to n due items under the claim token, leasing them so
	// that no other pump takes them while they are worked.
	Claim func(ctx context.Context, token string, n int) ([]T, error)
	// Work handles one item; it runs in its own goroutine and must record
	// its outcome itself (even after ctx is cancelled, if it can).
	Work         func(ctx context.Context, item T)
	MaxInFlight  int           // default 4
	PollInterval time.Duration // default 1s
	Logger       *slog.Logger  // default: discard
}

// Pump runs claimed work in the background. It is safe for concurrent use.
type Pump[T any] struct {
	cfg      Config[T]
	sem      chan struct{} // one token per item in flight
	wakeCh   chan struct{}
	instance string // prefix of this pump's claim tokens
	seq      atomic.Uint64

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the loop and its workers
}

// New returns a Pump for cfg.
func New[T any](cfg Config[T]) *Pump[T] {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pump[T]{cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), wakeCh: make(chan struct{}, 1), instance: rand.Text()[:12]}
}

// Start probes and starts pumping in the background until [Pump.Stop] is
// called or ctx is done. A pump starts once.
func (p *Pump[T]) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return ErrStarted
	}
	if p.cfg.Probe != nil {
		if err := p.cfg.Probe(ctx); err != nil {
			return err
		}
	}
	p.started = true
	runCtx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.wg.Add(1)
	go p.run(runCtx)
	return nil
}

// Stop cancels the loop and the work in flight and waits for every
// goroutine. It is idempotent and may be called on a pump that never
// started; a stopped pump does not start again.
func (p *Pump[T]) Stop() {
	p.mu.Lock()
	p.started = true
	if p.cancel != nil {
		p.cancel()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Wake makes the pump look for due work now rather than at its next poll.
// It never blocks.
func (p *Pump[T]) Wake() {
	select {
	case p.wakeCh <- struct{}{}:
	default:
	}
}

// DrainNow claims and works, in the calling goroutine's time, everything due
// now, and returns how many items it started. It works whether or not the
// pump is started, sharing its bound on work in flight.
func (p *Pump[T]) DrainNow(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	n, err := p.drain(ctx, &wg)
	wg.Wait()
	return n, err
}

// run is the background loop: drain whenever woken or polled.
func (p *Pump[T]) run(ctx context.Context) {
	defer p.wg.Done()
	poll := time.NewTimer(p.cfg.PollInterval)
	defer poll.Stop()
	for {
		if _, err := p.drain(ctx, &p.wg); err != nil && ctx.Err() == nil {
			p.cfg.Logger.ErrorContext(ctx, "claiming "+p.cfg.Name+" failed", "err", err)
		}
		poll.Reset(p.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-p.wakeCh:
		case <-poll.C:
		}
	}
}

// drain claims due items as slots free up and starts one goroutine per
// item, counted in wg, until no more are due. It returns how many it
// started.
func (p *Pump[T]) drain(ctx context.Context, wg *sync.WaitGroup) (int, error) {
	total := 0
	for {
		select {
		case p.sem <- struct{}{}: // wait for one free slot
		case <-ctx.Done():
			return total, ctx.Err()
		}
		n := 1
	fill:
		for n < cap(p.sem) {
			select {
			case p.sem <- struct{}{}:
				n++
			default:
				break fill
			}
		}
		token := p.instance + "." + strconv.FormatUint(p.seq.Add(1), 10)
		items, err := p.cfg.Claim(ctx, token, n)
		for range n - len(items) {
			<-p.sem
		}
		if err != nil {
			return total, err
		}
		for _, it := range items {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-p.sem }()
				p.cfg.Work(ctx, it)
			}()
		}
		total += len(items)
		if len(items) < n {
			return total, nil
		}
	}
}
