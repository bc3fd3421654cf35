package bank

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"paygate/internal/bank/iso8583"
	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/id"
)

// Options are a connector's dependencies; every field is optional.
type Options struct {
	// Logger receives link events, late and malformed replies (default:
	// discard). Nothing logged contains a PIN, a full PAN or key material.
	Logger *slog.Logger
	// Clock stamps field 7 and the reversal queue (default: system clock).
	Clock clock.Clock
	// IDs issues reversal ids (default: a new generator).
	IDs *id.Generator
	// Rand seeds the first STAN (default crypto/rand); see STANStart.
	Rand io.Reader
	// STANStart fixes the first STAN (1–999999); 0 picks one at random so
	// that instances and restarts do not reuse each other's numbers.
	STANStart int
	// OnReversedFunc, if set, is called (from the reversal worker's
	// goroutine) each time the bank acknowledges a reversal, whichever
	// connector sent the request: [Reversal.ClientRef] names the request.
	// ResponseCode 25 means the bank had nothing to reverse.
	OnReversedFunc func(Reversal)
}

// Connector is the gateway's connection to one bank: its links, its STAN
// counter and its reversal worker. Its methods are safe for concurrent use.
type Connector struct {
	cfg   Config
	db    *db.DB
	log   *slog.Logger
	clock clock.Clock
	ids   *id.Generator
	onRev func(Reversal)

	// halted stands for the process dying: set only by tests
	// (export_test.go), it makes a request in flight return without
	// writing to the database.
	halted atomic.Bool

	stan  *stanCounter
	links []*link
	rr    atomic.Uint32
	rev   *reversalWorker
	stats stats

	upMu sync.Mutex
	upCh chan struct{} // closed and replaced whenever a link comes up

	mu       sync.Mutex
	started  bool
	stopping chan struct{}
	cancel   context.CancelFunc
	calls    sync.WaitGroup // requests in progress, waited for by Stop
	wg       sync.WaitGroup // goroutines owned by the connector
	stopOnce sync.Once
}

// stats are counters shown by [Connector.Status].
type stats struct {
	lateApprovals atomic.Uint64
	lateReplies   atomic.Uint64
	duplicates    atomic.Uint64
	malformed     atomic.Uint64
	badMAC        atomic.Uint64
}

// New returns a connector for one bank; d holds the reversal queue.
// Nothing connects until [Connector.Start].
func New(cfg Config, d *db.DB, opts Options) (*Connector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("bank %q: no database for the reversal queue", cfg.Name)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(nil, nil)
	}
	start := opts.STANStart
	if start == 0 {
		r := opts.Rand
		if r == nil {
			r = crand.Reader
		}
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("bank %q: seeding STAN: %w", cfg.Name, err)
		}
		start = int(binary.BigEndian.Uint64(b[:])%maxSTAN) + 1
	}
	c := &Connector{
		cfg: cfg, db: d, log: opts.Logger, clock: opts.Clock, ids: opts.IDs, onRev: opts.OnReversedFunc,
		stan:     newSTANCounter(start),
		upCh:     make(chan struct{}),
		stopping: make(chan struct{}),
	}
	for i := range cfg.Links {
		c.links = append(c.links, &link{c: c, idx: i, state: StateDown})
	}
	c.rev = newReversalWorker(c)
	return c, nil
}

// Name returns the bank's name.
func (c *Connector) Name() string { return c.cfg.Name }

// Start connects the links (in the background: use [Connector.WaitReady] to
// wait for the first sign-on) and starts the reversal worker. It fails if
// called twice. The goroutines run until [Connector.Stop]; ctx only carries
// values, its cancellation does not stop them.
func (c *Connector) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("bank %q: already started", c.cfg.Name)
	}
	c.started = true
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	for _, l := range c.links {
		c.wg.Go(func() { l.run(rctx) })
	}
	if !c.cfg.PassiveReversals {
		c.wg.Go(func() { c.rev.run(rctx) })
	}
	return nil
}

// Stop refuses new requests, waits for those in progress (each is bounded
// by the request timeout), then closes the links and stops the reversal
// worker. Reversals still queued stay in the database for the next start.
// Stop is idempotent.
func (c *Connector) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		close(c.stopping)
		cancel := c.cancel
		c.mu.Unlock()
		c.calls.Wait()
		if cancel != nil {
			cancel()
		}
		c.wg.Wait()
	})
}

// enter registers a request in progress, or fails after Stop.
func (c *Connector) enter() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stopping:
		return ErrStopped
	default:
	}
	c.calls.Add(1)
	return nil
}

// WaitReady blocks until at least one link is signed on, or ctx is done.
func (c *Connector) WaitReady(ctx context.Context) error {
	for {
		ch := c.upChan()
		if _, _, ok := c.pickNow(); ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("bank %q: no link signed on: %w", c.cfg.Name, ctx.Err())
		}
	}
}

func (c *Connector) upChan() chan struct{} {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	return c.upCh
}

// linkUp wakes everyone waiting for a link, and the reversal worker.
func (c *Connector) linkUp() {
	c.upMu.Lock()
	close(c.upCh)
	c.upCh = make(chan struct{})
	c.upMu.Unlock()
	c.rev.wake()
}

// pickNow returns a signed-on session, round robin over the links.
func (c *Connector) pickNow() (*session, int, bool) {
	n := uint32(len(c.links))
	start := c.rr.Add(1)
	for i := range n {
		l := c.links[(start+i)%n]
		if s := l.cur.Load(); s != nil && !s.isClosed() {
			return s, l.idx, true
		}
	}
	return nil, 0, false
}

// pick waits up to the request timeout for a signed-on session.
func (c *Connector) pick(ctx context.Context) (*session, int, error) {
	timer := time.NewTimer(c.cfg.RequestTimeout)
	defer timer.Stop()
	for {
		ch := c.upChan()
		if s, i, ok := c.pickNow(); ok {
			return s, i, nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil, 0, fmt.Errorf("%w: bank %q: no link signed on", ErrNotSent, c.cfg.Name)
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("%w: bank %q: %w", ErrNotSent, c.cfg.Name, ctx.Err())
		case <-c.stopping:
			return nil, 0, ErrStopped
		}
	}
}

// networkMessage builds an 0800 with field 70 = code and a fresh STAN.
func (c *Connector) networkMessage(code string) (*iso8583.Message, error) {
	m := iso8583.NewMessage(c.cfg.Dialect)
	now := c.clock.Now()
	err := firstErr(
		m.SetMTI(iso8583.MTINetwork),
		m.Set(iso8583.FieldTransmissionTime, now.UTC().Format(fmtDE7)),
		m.Set(iso8583.FieldSTAN, c.stan.next()),
		m.Set(iso8583.FieldAcquirerID, c.cfg.AcquirerID),
		m.Set(iso8583.FieldNetworkCode, code),
	)
	if err != nil {
		return nil, fmt.Errorf("bank %q: building 0800 %s: %w", c.cfg.Name, code, err)
	}
	return m, nil
}

// Time layouts of fields 7 (GMT), 12 and 13 (local).
const (
	fmtDE7  = "0102150405"
	fmtDE12 = "150405"
	fmtDE13 = "0102"
)

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
