package bank

import (
	"context"
	"time"
)

// LinkStatus is the operator view of one link.
type LinkStatus struct {
	Link          int           `json:"link"`
	State         string        `json:"state"` // StateConnecting, StateUp, StateDown, StateStopped
	SignedOn      bool          `json:"signed_on"`
	SignedOnAt    time.Time     `json:"signed_on_at,omitzero"`
	KeyAge        time.Duration `json:"key_age"`        // since the working keys were installed
	ZAKCheckValue string        `json:"zak_kcv"`        // KCV of the current ZAK: identifies the key, reveals nothing
	InFlight      int           `json:"in_flight"`      // requests waiting for a response
	PeakInFlight  int           `json:"peak_in_flight"` // most in flight at once on this session
	LastEcho      time.Time     `json:"last_echo,omitzero"`
	EchoRTT       time.Duration `json:"echo_rtt"`
	Connects      int           `json:"connects"` // successful sign-ons so far
	LastError     string        `json:"last_error,omitempty"`
}

// Status is the operator view of a connector.
type Status struct {
	Bank             string       `json:"bank"`
	Addr             string       `json:"addr"`
	Dialect          string       `json:"dialect"`
	Links            []LinkStatus `json:"links"`
	ReversalsPending int          `json:"reversals_pending"` // pending, and armed ones abandoned past their due time
	LateApprovals    uint64       `json:"late_approvals"`    // approvals that came after their timeout (reversed)
	LateReplies      uint64       `json:"late_replies"`
	Duplicates       uint64       `json:"duplicates"`
	Malformed        uint64       `json:"malformed"`
	BadMACs          uint64       `json:"bad_macs"`
}

// Status returns the state of every link and the number of reversals
// waiting in the queue.
func (c *Connector) Status(ctx context.Context) (Status, error) {
	now := c.clock.Now()
	st := Status{
		Bank: c.cfg.Name, Addr: c.cfg.Addr, Dialect: c.cfg.Dialect.Name,
		LateApprovals: c.stats.lateApprovals.Load(), LateReplies: c.stats.lateReplies.Load(),
		Duplicates: c.stats.duplicates.Load(), Malformed: c.stats.malformed.Load(), BadMACs: c.stats.badMAC.Load(),
	}
	for _, l := range c.links {
		st.Links = append(st.Links, l.status(now))
	}
	n, err := c.rev.store.pending(ctx, c.cfg.Name, now)
	if err != nil {
		return st, err
	}
	st.ReversalsPending = n
	return st, nil
}
