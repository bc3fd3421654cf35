package banksim

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"

	"paygate/internal/bank/hsm"
	"paygate/internal/clock"
)

// Host is the simulator: one listener per bank over one store. Start it
// with [Host.Start] and stop it with [Host.Stop].
type Host struct {
	banks []*bankHost
	store *store
	log   *slog.Logger
	clock clock.Clock
	keyRd io.Reader
	dir   string

	fmu    sync.Mutex
	faults Faults
	rng    *rand.Rand // fault decisions and authorization codes, seeded

	mu       sync.Mutex
	conns    map[*simConn]struct{}
	started  bool
	stopped  bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// bankHost is one bank's listener and settings.
type bankHost struct {
	cfg BankConfig
	ln  net.Listener
	// decoy keys stand in for the session keys when a fault says the keys
	// have drifted apart.
	decoyZAK, decoyZPK hsm.Key
}

// New opens (creating if needed) the simulator's SQLite store at dbPath,
// seeds the test cards and prepares the banks. Nothing listens until
// [Host.Start].
func New(ctx context.Context, dbPath string, banks []BankConfig, opts Options) (*Host, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Rand == nil {
		opts.Rand = crand.Reader
	}
	if len(banks) == 0 {
		return nil, errors.New("banksim: no banks")
	}
	h := &Host{log: opts.Logger, clock: opts.Clock, keyRd: opts.Rand, dir: opts.SettlementDir, conns: map[*simConn]struct{}{}}
	seen := map[string]bool{}
	for _, b := range banks {
		b = b.withDefaults()
		switch {
		case b.Name == "" || seen[b.Name]:
			return nil, fmt.Errorf("banksim: bank name %q empty or repeated", b.Name)
		case b.Dialect == nil:
			return nil, fmt.Errorf("banksim: bank %q has no dialect", b.Name)
		case !b.ZMK.Valid():
			return nil, fmt.Errorf("banksim: bank %q has no ZMK", b.Name)
		}
		seen[b.Name] = true
		bh := &bankHost{cfg: b}
		kind := hsm.TDES2
		if b.MAC == hsm.AlgAESCMAC {
			kind = hsm.AES128
		}
		var err error
		if bh.decoyZAK, err = hsm.NewKey(kind, opts.Rand); err == nil {
			bh.decoyZPK, err = hsm.NewKey(hsm.TDES2, opts.Rand)
		}
		if err != nil {
			return nil, fmt.Errorf("banksim: keys: %w", err)
		}
		h.banks = append(h.banks, bh)
	}
	var seed [8]byte
	if _, err := io.ReadFull(opts.Rand, seed[:]); err != nil {
		return nil, fmt.Errorf("banksim: seed: %w", err)
	}
	h.rng = rand.New(rand.NewPCG(binary.BigEndian.Uint64(seed[:]), opts.Faults.Seed))
	h.faults = opts.Faults
	if opts.Faults.Seed != 0 {
		h.rng = rand.New(rand.NewPCG(opts.Faults.Seed, opts.Faults.Seed))
	}
	st, err := openStore(ctx, dbPath, opts.Clock)
	if err != nil {
		return nil, err
	}
	h.store = st
	return h, nil
}

// Start listens on every bank's address and serves until [Host.Stop]. If
// a settlement directory is configured it also writes each bank's file at
// its cut-off.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started {
		return errors.New("banksim: already started")
	}
	h.started = true
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	var lc net.ListenConfig
	for _, b := range h.banks {
		ln, err := lc.Listen(ctx, "tcp", b.cfg.Addr)
		if err != nil {
			for _, o := range h.banks {
				if o.ln != nil {
					o.ln.Close()
				}
			}
			cancel()
			return fmt.Errorf("banksim: listen for %s on %s: %w", b.cfg.Name, b.cfg.Addr, err)
		}
		b.ln = ln
	}
	for _, b := range h.banks {
		h.log.Info("bank host listening", "bank", b.cfg.Name, "dialect", b.cfg.Dialect.Name, "addr", b.ln.Addr().String(), "zmk_kcv", b.cfg.ZMK.KCV())
		h.wg.Go(func() { h.accept(rctx, b) })
	}
	if h.dir != "" {
		h.wg.Go(func() { h.settleAtCutoffs(rctx) })
	}
	return nil
}

// Stop closes the listeners and every connection, waits for the handlers
// and closes the store. It is idempotent.
func (h *Host) Stop() {
	h.stopOnce.Do(func() {
		h.mu.Lock()
		h.stopped = true
		if h.cancel != nil {
			h.cancel()
		}
		for _, b := range h.banks {
			if b.ln != nil {
				b.ln.Close()
			}
		}
		conns := make([]*simConn, 0, len(h.conns))
		for c := range h.conns {
			conns = append(conns, c)
		}
		h.mu.Unlock()
		for _, c := range conns {
			c.close()
		}
		h.wg.Wait()
		if err := h.store.close(); err != nil {
			h.log.Warn("closing bank store", "err", err)
		}
	})
}

// Addr returns the address bank listens on (after Start), or "".
func (h *Host) Addr(bank string) string {
	for _, b := range h.banks {
		if b.cfg.Name == bank && b.ln != nil {
			return b.ln.Addr().String()
		}
	}
	return ""
}

// SetFaults replaces the faults injected from now on. A non-zero Seed
// reseeds the generator.
func (h *Host) SetFaults(f Faults) {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	h.faults = f
	if f.Seed != 0 {
		h.rng = rand.New(rand.NewPCG(f.Seed, f.Seed))
	}
}

func (h *Host) currentFaults() Faults {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	return h.faults
}

// draw returns a uniform number in [0,1) from the seeded generator.
func (h *Host) draw() float64 {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	return h.rng.Float64()
}

// authCode returns a 6-digit authorization code.
func (h *Host) authCode() string {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	return fmt.Sprintf("%06d", h.rng.IntN(1_000_000))
}

// CutLinks closes every open connection now, as a network failure would.
func (h *Host) CutLinks() {
	h.mu.Lock()
	conns := make([]*simConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Balance returns a card's balance in minor units of currency (ISO 4217
// alphabetic, e.g. "CNY").
func (h *Host) Balance(ctx context.Context, pan, currency string) (int64, error) {
	return h.store.balance(ctx, pan, currency)
}

func (h *Host) accept(ctx context.Context, b *bankHost) {
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("accept failed; listener closed", "bank", b.cfg.Name, "err", err)
			}
			return
		}
		c := newSimConn(h, b, conn)
		h.mu.Lock()
		if h.stopped {
			h.mu.Unlock()
			conn.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.wg.Go(func() {
			c.serve(ctx)
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
		})
	}
}
