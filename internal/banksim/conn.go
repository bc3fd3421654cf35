package banksim

import (
	"bufio"
	"context"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"paygate/internal/bank/wire"
)

// maxConcurrent bounds the requests one connection handles at once.
const maxConcurrent = 8192

// simConn is one acquirer connection: its session keys and its handlers.
type simConn struct {
	h    *Host
	b    *bankHost
	conn net.Conn
	keys atomic.Pointer[wire.WorkingKeys]

	wmu       sync.Mutex
	requests  atomic.Int64
	closed    chan struct{}
	closeOnce sync.Once
	handlers  sync.WaitGroup

	financials  atomic.Int64  // 0200s received, for HoldResponses
	release     chan struct{} // closed once HoldResponses 0200s have arrived
	releaseOnce sync.Once
}

func newSimConn(h *Host, b *bankHost, conn net.Conn) *simConn {
	return &simConn{h: h, b: b, conn: conn, closed: make(chan struct{}), release: make(chan struct{})}
}

func (c *simConn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.conn.Close()
	})
}

// serve reads requests and handles each on its own goroutine until the
// connection ends; it returns after every handler has.
func (c *simConn) serve(ctx context.Context) {
	defer func() {
		c.close()
		c.handlers.Wait()
	}()
	br := bufio.NewReaderSize(c.conn, 64<<10)
	sem := make(chan struct{}, maxConcurrent)
	for {
		raw, err := wire.ReadFrame(br)
		if err != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-c.closed:
			return
		}
		c.handlers.Go(func() {
			defer func() { <-sem }()
			c.handle(ctx, raw)
		})
		if n, cut := c.requests.Add(1), c.h.currentFaults().CutAfter; cut > 0 && n >= int64(cut) {
			c.h.log.Info("cutting link (fault)", "bank", c.b.cfg.Name, "after_requests", n)
			return
		}
	}
}

// write sends one frame.
func (c *simConn) write(raw []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := wire.WriteFrame(c.conn, raw); err != nil {
		c.close()
	}
}

// sleep waits d or until the connection closes; it reports whether the
// connection is still open.
func (c *simConn) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.closed:
		return false
	}
}

// countFinancial counts an arriving 0200 and releases held responses once
// enough have arrived.
func (c *simConn) countFinancial() {
	n := c.financials.Add(1)
	if hold := c.h.currentFaults().HoldResponses; hold <= 0 || n >= int64(hold) {
		c.releaseOnce.Do(func() { close(c.release) })
	}
}

// deliver writes a financial or reversal response through the faults.
func (c *simConn) deliver(raw []byte, stan string) {
	f := c.h.currentFaults()
	log := c.h.log.With("bank", c.b.cfg.Name, "stan", stan)
	if f.HoldResponses > 0 {
		select {
		case <-c.release:
		case <-c.closed:
			return
		}
	}
	if !c.sleep(f.Latency) {
		return
	}
	if f.Drop > 0 && c.h.draw() < f.Drop {
		log.Debug("response dropped (fault)")
		return
	}
	if f.Corrupt > 0 && c.h.draw() < f.Corrupt {
		log.Debug("response corrupted (fault)")
		raw = append(slices.Clone(raw), 0x00)
	}
	if f.Delay > 0 && c.h.draw() < f.Delay {
		log.Debug("response delayed (fault)", "by", f.DelayBy)
		if !c.sleep(f.DelayBy) {
			return
		}
	}
	c.write(raw)
	if f.Duplicate > 0 && c.h.draw() < f.Duplicate {
		log.Debug("response duplicated (fault)")
		c.write(raw)
	}
}
