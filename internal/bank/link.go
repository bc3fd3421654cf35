package bank

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
)

// Link states shown by [Connector.Status].
const (
	StateConnecting = "connecting" // dialling or signing on
	StateUp         = "up"         // signed on, keys confirmed, carrying traffic
	StateDown       = "down"       // waiting to reconnect after a failure
	StateStopped    = "stopped"    // the connector was stopped
)

// link is one of a connector's TCP links: a supervisor goroutine that dials,
// signs on, keeps the session alive with echo tests and reconnects with
// exponential backoff. cur holds the session while it is usable.
type link struct {
	c   *Connector
	idx int
	cur atomic.Pointer[session]

	mu         sync.Mutex
	state      string
	lastErr    string
	connects   int
	signedOnAt time.Time
	zakKCV     string
	lastEcho   time.Time
	echoRTT    time.Duration
}

func (l *link) setState(state string, err error) {
	l.mu.Lock()
	l.state = state
	if err != nil {
		l.lastErr = err.Error()
	}
	l.mu.Unlock()
}

// run is the supervisor loop; it returns when ctx is done.
func (l *link) run(ctx context.Context) {
	cfg := &l.c.cfg
	backoff := cfg.ReconnectMin
	for ctx.Err() == nil {
		l.setState(StateConnecting, nil)
		s, err := l.connect(ctx)
		if err != nil {
			l.setState(StateDown, err)
			if ctx.Err() == nil {
				l.c.log.Warn("bank link connect failed", "bank", cfg.Name, "link", l.idx, "retry_in", backoff, "err", err)
			}
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			backoff = min(2*backoff, cfg.ReconnectMax)
			continue
		}
		backoff = cfg.ReconnectMin
		k := s.keys.Load()
		l.mu.Lock()
		l.state, l.lastErr = StateUp, ""
		l.connects++
		l.signedOnAt, l.zakKCV = k.at, k.zak.KCV()
		l.mu.Unlock()
		l.cur.Store(s)
		l.c.linkUp()
		l.c.log.Info("bank link up", "bank", cfg.Name, "link", l.idx, "zak_kcv", k.zak.KCV())

		l.serve(ctx, s)

		l.cur.Store(nil)
		s.close(errors.New("link supervisor stopped"))
		<-s.readerDone
		if ctx.Err() == nil {
			l.setState(StateDown, s.closeErr)
			l.c.log.Warn("bank link down", "bank", cfg.Name, "link", l.idx, "err", s.closeErr)
		}
	}
	l.setState(StateStopped, nil)
}

// connect dials and signs on; the session returned is usable.
func (l *link) connect(ctx context.Context) (*session, error) {
	cfg := &l.c.cfg
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(cctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.Addr, err)
	}
	s := newSession(l.c, l.idx, conn)
	if err := l.signOn(cctx, s); err != nil {
		s.close(err)
		<-s.readerDone
		return nil, err
	}
	return s, nil
}

// signOn sends 0800 70=001, installs the working keys of the 0810 after
// checking their KCVs and the 0810's MAC under the new ZAK, and confirms
// them with a MACed echo.
func (l *link) signOn(ctx context.Context, s *session) error {
	cfg := &l.c.cfg
	m, err := l.c.networkMessage(iso8583.NetSignOn)
	if err != nil {
		return err
	}
	in, err := s.send(ctx, m, cfg.ConnectTimeout, nil)
	if err != nil {
		return fmt.Errorf("sign-on: %w", err)
	}
	if in.err != nil {
		return fmt.Errorf("sign-on response: %w", in.err)
	}
	if mti, code := in.msg.MTI(), in.msg.Get(iso8583.FieldResponseCode); mti != iso8583.MTINetworkResponse || code != iso8583.RespApproved {
		return fmt.Errorf("sign-on refused: %s response code %q (%s)", mti, code, iso8583.ResponseText(code))
	}
	keys, err := wire.ParseKeyExchange(cfg.ZMK, in.msg.Get(iso8583.FieldAdditionalData))
	if err != nil {
		return fmt.Errorf("sign-on keys: %w", err)
	}
	if err := cfg.MAC.CheckKey(keys.ZAK); err != nil {
		return fmt.Errorf("sign-on ZAK: %w", err)
	}
	if err := wire.VerifyMAC(in.msg, in.raw, cfg.MAC, keys.ZAK); err != nil {
		return fmt.Errorf("sign-on response MAC: %w", err)
	}
	s.keys.Store(&sessionKeys{zpk: keys.ZPK, zak: keys.ZAK, at: l.c.clock.Now()})
	if err := l.echo(ctx, s); err != nil {
		return fmt.Errorf("key confirmation echo: %w", err)
	}
	return nil
}

// echo sends 0800 70=301 and expects a MACed 0810 with 39=00.
func (l *link) echo(ctx context.Context, s *session) error {
	cfg := &l.c.cfg
	m, err := l.c.networkMessage(iso8583.NetEcho)
	if err != nil {
		return err
	}
	start := time.Now()
	in, err := s.send(ctx, m, cfg.RequestTimeout, nil)
	if err != nil {
		return err
	}
	if in.err != nil {
		return in.err
	}
	if err := wire.VerifyMAC(in.msg, in.raw, cfg.MAC, s.keys.Load().zak); err != nil {
		return err
	}
	if code := in.msg.Get(iso8583.FieldResponseCode); in.msg.MTI() != iso8583.MTINetworkResponse || code != iso8583.RespApproved {
		return fmt.Errorf("echo answered %s code %q (%s)", in.msg.MTI(), code, iso8583.ResponseText(code))
	}
	l.mu.Lock()
	l.lastEcho, l.echoRTT = l.c.clock.Now(), time.Since(start)
	l.mu.Unlock()
	return nil
}

// serve keeps a signed-on session until it fails or ctx is done: it sends
// an echo test whenever nothing was sent for EchoInterval, and forgets old
// finished STANs.
func (l *link) serve(ctx context.Context, s *session) {
	cfg := &l.c.cfg
	tick := time.NewTicker(max(cfg.EchoInterval/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		case <-tick.C:
			s.prune(recentKeep(cfg))
			if time.Since(time.Unix(0, s.lastSend.Load())) < cfg.EchoInterval {
				continue
			}
			if err := l.echo(ctx, s); err != nil && ctx.Err() == nil {
				s.close(fmt.Errorf("echo test: %w", err))
				return
			}
		}
	}
}

// recentKeep is how long a finished STAN is remembered for late replies.
func recentKeep(cfg *Config) time.Duration { return max(10*cfg.RequestTimeout, 10*time.Minute) }

// status snapshots the link for the operator view.
func (l *link) status(now time.Time) LinkStatus {
	l.mu.Lock()
	st := LinkStatus{
		Link: l.idx, State: l.state, LastError: l.lastErr, Connects: l.connects,
		ZAKCheckValue: l.zakKCV, LastEcho: l.lastEcho, EchoRTT: l.echoRTT,
	}
	signedOnAt := l.signedOnAt
	l.mu.Unlock()
	if s := l.cur.Load(); s != nil && !s.isClosed() {
		st.SignedOn = true
		st.SignedOnAt = signedOnAt
		st.KeyAge = now.Sub(signedOnAt)
		st.InFlight = s.inFlight()
		st.PeakInFlight = int(s.peak.Load())
	}
	return st
}
