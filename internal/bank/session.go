package bank

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
)

// Errors of one send that make its outcome unknown (the request went out).
var (
	errTimeout  = errors.New("no response in time")
	errLinkLost = errors.New("link lost after sending")
)

// sessionKeys are the working keys of one signed-on TCP session. They never
// change during the session: signing on again means a new session.
type sessionKeys struct {
	zpk, zak hsm.Key
	at       time.Time
}

// inbound is a message read from the bank: the strictly unpacked message and
// its raw bytes (for MAC verification), or, for bytes that did not unpack
// but whose STAN could be read leniently, the unpacking error.
type inbound struct {
	msg *iso8583.Message
	raw []byte
	err error
}

// call is one request waiting for its response.
type call struct {
	reply chan inbound // buffered 1: the reader never blocks on it
	rev   *reversalRecord
}

// recentKind records how a STAN that is no longer pending ended, so that a
// reply arriving later can be told apart: late (timed out) or duplicate.
type recentKind uint8

const (
	recentAnswered recentKind = iota + 1
	recentTimedOut
)

type recent struct {
	kind recentKind
	at   time.Time
	rev  *reversalRecord // for timed-out money-moving requests and reversal advices
}

// session is one TCP connection to the bank, from dial to close. Requests
// are matched to responses by STAN; any number may be in flight. The reader
// goroutine is owned by the session: [session.close] stops it and
// readerDone is closed when it has returned.
type session struct {
	c    *Connector
	link int
	conn net.Conn
	keys atomic.Pointer[sessionKeys]

	wmu sync.Mutex // one frame at a time, with its write deadline

	mu      sync.Mutex
	pending map[string]*call
	recent  map[string]recent

	peak       atomic.Int64 // most requests ever in flight at once
	lastSend   atomic.Int64 // unix nanoseconds of the last frame written
	closed     chan struct{}
	closeOnce  sync.Once
	closeErr   error // set before closed is closed
	readerDone chan struct{}
}

func newSession(c *Connector, link int, conn net.Conn) *session {
	s := &session{
		c: c, link: link, conn: conn,
		pending:    make(map[string]*call),
		recent:     make(map[string]recent),
		closed:     make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	s.lastSend.Store(time.Now().UnixNano())
	go s.readLoop()
	return s
}

// close shuts the connection once; waiters see closed and end unknown.
func (s *session) close(cause error) {
	s.closeOnce.Do(func() {
		s.closeErr = cause
		close(s.closed)
		_ = s.conn.Close()
	})
}

func (s *session) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// inFlight returns the number of requests waiting for a response.
func (s *session) inFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// send writes m (MACed once the session has keys) and waits for the
// response with the same STAN. Errors wrapping [ErrNotSent] mean nothing
// reached the bank; errTimeout, errLinkLost and context errors mean the
// outcome is unknown. rev, if not nil, is remembered with the STAN so that
// a late reply can be linked to its reversal.
func (s *session) send(ctx context.Context, m *iso8583.Message, timeout time.Duration, rev *reversalRecord) (inbound, error) {
	stan := m.Get(iso8583.FieldSTAN)
	var (
		raw []byte
		err error
	)
	if k := s.keys.Load(); k != nil {
		raw, err = wire.Seal(m, s.c.cfg.MAC, k.zak)
	} else {
		raw, err = iso8583.Pack(m)
	}
	if err != nil {
		return inbound{}, fmt.Errorf("%w: packing %s: %w", ErrNotSent, m.MTI(), err)
	}
	cl := &call{reply: make(chan inbound, 1), rev: rev}
	s.mu.Lock()
	if s.isClosed() {
		s.mu.Unlock()
		return inbound{}, fmt.Errorf("%w: link closed", ErrNotSent)
	}
	if _, dup := s.pending[stan]; dup {
		s.mu.Unlock()
		return inbound{}, fmt.Errorf("%w: STAN %s already in flight", ErrNotSent, stan)
	}
	s.pending[stan] = cl
	if n := int64(len(s.pending)); n > s.peak.Load() {
		s.peak.Store(n) // under s.mu: no lost update
	}
	s.mu.Unlock()

	if n, err := s.write(raw, s.c.cfg.WriteTimeout); err != nil {
		s.mu.Lock()
		delete(s.pending, stan)
		s.mu.Unlock()
		s.close(err)
		if n == 0 {
			return inbound{}, fmt.Errorf("%w: %w", ErrNotSent, err)
		}
		s.remember(stan, recentTimedOut, rev)
		return inbound{}, fmt.Errorf("%w: %w", errLinkLost, err)
	}

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var why error
	select {
	case in := <-cl.reply:
		return in, nil
	case <-timer.C:
		why = errTimeout
	case <-s.closed:
		why = errLinkLost
	case <-ctx.Done():
		why = ctx.Err()
	}
	s.mu.Lock()
	if s.pending[stan] == cl {
		delete(s.pending, stan)
		s.recent[stan] = recent{kind: recentTimedOut, at: time.Now(), rev: rev}
		s.mu.Unlock()
		return inbound{}, why
	}
	s.mu.Unlock()
	// The reader took the call out of pending just before we gave up: its
	// reply is in the buffered channel, or about to be.
	return <-cl.reply, nil
}

// write sends one frame under the write lock with a deadline.
func (s *session) write(raw []byte, timeout time.Duration) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	n, err := wire.WriteFrame(s.conn, raw)
	if err == nil {
		s.lastSend.Store(time.Now().UnixNano())
	}
	return n, err
}

func (s *session) remember(stan string, kind recentKind, rev *reversalRecord) {
	s.mu.Lock()
	s.recent[stan] = recent{kind: kind, at: time.Now(), rev: rev}
	s.mu.Unlock()
}

// prune forgets finished STANs older than keep.
func (s *session) prune(keep time.Duration) {
	cut := time.Now().Add(-keep)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.recent {
		if r.at.Before(cut) {
			delete(s.recent, k)
		}
	}
}

// deliver hands a response to the call waiting for its STAN. It returns
// false, with what is known about the STAN, when no call is waiting.
func (s *session) deliver(stan string, in inbound) (recent, bool) {
	s.mu.Lock()
	cl, ok := s.pending[stan]
	if !ok {
		r := s.recent[stan]
		s.mu.Unlock()
		return r, false
	}
	delete(s.pending, stan)
	s.recent[stan] = recent{kind: recentAnswered, at: time.Now()}
	s.mu.Unlock()
	cl.reply <- in
	return recent{}, true
}

// readLoop reads frames until the connection fails or is closed. Responses
// go to their waiting calls; everything else goes to the connector's
// unmatched-message path, off the reader's goroutine.
func (s *session) readLoop() {
	defer close(s.readerDone)
	d := s.c.cfg.Dialect
	br := bufio.NewReaderSize(s.conn, 64<<10)
	for {
		raw, err := wire.ReadFrame(br)
		if err != nil {
			s.close(fmt.Errorf("read: %w", err))
			return
		}
		m, err := iso8583.Unpack(d, raw)
		if err != nil {
			s.c.stats.malformed.Add(1)
			s.c.log.Warn("malformed message from bank", "bank", s.c.cfg.Name, "link", s.link, "bytes", len(raw), "err", err)
			if mti, stan, ok := wire.Peek(d, raw); ok && isResponseMTI(mti) {
				if r, matched := s.deliver(stan, inbound{err: err}); !matched {
					s.c.unmatched(s, stan, r, inbound{err: err})
				}
			}
			continue
		}
		if !isResponseMTI(m.MTI()) {
			s.c.bankRequest(s, m, raw)
			continue
		}
		stan := m.Get(iso8583.FieldSTAN)
		in := inbound{msg: m, raw: raw}
		if r, matched := s.deliver(stan, in); !matched {
			s.c.unmatched(s, stan, r, in)
		}
	}
}

// isResponseMTI reports MTIs whose third digit is odd: request responses
// (x1x) and advice responses (x3x).
func isResponseMTI(mti string) bool {
	return len(mti) == 4 && (mti[2]-'0')%2 == 1
}
