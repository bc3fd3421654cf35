package bank

import (
	"context"
	"time"

	"paygate/internal/bank/iso8583"
	"paygate/internal/bank/wire"
)

// unmatched handles a response no request is waiting for: a late reply to
// a request that timed out, a duplicate, or a reply to a STAN never sent on
// this link. It is where a late approval is caught: it is never taken as
// paid, and its reversal is (re)queued. It runs off the reader goroutine.
func (c *Connector) unmatched(s *session, stan string, r recent, in inbound) {
	c.wg.Go(func() { c.handleUnmatched(s, stan, r, in) })
}

func (c *Connector) handleUnmatched(s *session, stan string, r recent, in inbound) {
	log := c.log.With("bank", c.cfg.Name, "link", s.link, "stan", stan)
	switch r.kind {
	case recentAnswered:
		c.stats.duplicates.Add(1)
		log.Info("duplicate response ignored")
		return
	case recentTimedOut:
		c.stats.lateReplies.Add(1)
	default:
		log.Warn("response for a STAN not sent on this link ignored")
		return
	}
	if in.err != nil {
		log.Warn("late malformed response ignored", "err", in.err)
		return
	}
	if k := s.keys.Load(); k == nil || wire.VerifyMAC(in.msg, in.raw, c.cfg.MAC, k.zak) != nil {
		c.stats.badMAC.Add(1)
		log.Warn("late response with a bad MAC ignored", "message", in.msg)
		return
	}
	mti, code := in.msg.MTI(), in.msg.Get(iso8583.FieldResponseCode)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case mti == iso8583.MTIPurchaseResponse && r.rev != nil:
		if code == iso8583.RespApproved {
			c.stats.lateApprovals.Add(1)
			log.Warn("late approval after timeout: not taken as paid, reversal kept", "rrn", r.rev.RRN)
		} else {
			log.Info("late decline after timeout; reversal kept", "rrn", r.rev.RRN, "response_code", code)
		}
		if _, err := c.rev.store.enqueue(ctx, r.rev); err != nil {
			log.Error("re-queueing reversal after a late reply failed", "rrn", r.rev.RRN, "err", err)
		}
		c.rev.wake()
	case mti == iso8583.MTIReversalAdviceResponse && r.rev != nil && reversalAcked(code):
		log.Info("late reversal acknowledgement", "rrn", r.rev.RRN)
		c.rev.acknowledged(ctx, r.rev, code)
	default:
		log.Info("late response ignored", "mti", mti, "response_code", code)
	}
}

// bankRequest answers requests the bank initiates: an echo test gets an
// 0810 with 39=00; anything else is logged and ignored.
func (c *Connector) bankRequest(s *session, m *iso8583.Message, raw []byte) {
	log := c.log.With("bank", c.cfg.Name, "link", s.link)
	k := s.keys.Load()
	if k == nil || wire.VerifyMAC(m, raw, c.cfg.MAC, k.zak) != nil {
		c.stats.badMAC.Add(1)
		log.Warn("request from bank without a valid MAC ignored", "message", m)
		return
	}
	if m.MTI() != iso8583.MTINetwork || m.Get(iso8583.FieldNetworkCode) != iso8583.NetEcho {
		log.Info("request from bank ignored", "message", m)
		return
	}
	resp := iso8583.NewMessage(c.cfg.Dialect)
	err := firstErr(
		resp.SetMTI(iso8583.MTINetworkResponse),
		resp.Set(iso8583.FieldTransmissionTime, m.Get(iso8583.FieldTransmissionTime)),
		resp.Set(iso8583.FieldSTAN, m.Get(iso8583.FieldSTAN)),
		resp.Set(iso8583.FieldResponseCode, iso8583.RespApproved),
		resp.Set(iso8583.FieldNetworkCode, iso8583.NetEcho),
	)
	if err != nil {
		log.Warn("answering bank echo", "err", err)
		return
	}
	raw, err = wire.Seal(resp, c.cfg.MAC, k.zak)
	if err == nil {
		_, err = s.write(raw, c.cfg.WriteTimeout)
	}
	if err != nil {
		log.Warn("answering bank echo", "err", err)
	}
}
