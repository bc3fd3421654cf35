// Package bankcard is the bank-card channel: it routes a card by its number
// to the issuing bank's connector and debits, credits or refunds it over
// ISO 8583.
package bankcard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"paygate/internal/bank"
	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
)

// ErrNoRoute is returned for a card number no configured bank serves.
var ErrNoRoute = errs.E(errs.Unprocessable, "card_not_supported", "No bank we work with issues this card.")

// ErrBankUnavailable is returned when the bank could not be reached; no
// money moved.
var ErrBankUnavailable = errs.E(errs.Unavailable, "bank_unavailable", "The bank cannot be reached right now; please try again.")

// Route sends card numbers starting with Prefix to a connector.
type Route struct {
	Prefix    string
	Connector *bank.Connector
}

// Channel is the bank-card channel.
type Channel struct {
	routes []Route // longest prefix first
}

var _ channel.Channel = (*Channel)(nil)

// New returns a channel over routes (card-number prefix → bank).
func New(routes ...Route) *Channel {
	rs := append([]Route(nil), routes...)
	for i := 1; i < len(rs); i++ { // insertion sort by prefix length, longest first
		for j := i; j > 0 && len(rs[j].Prefix) > len(rs[j-1].Prefix); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	return &Channel{routes: rs}
}

// Method returns "bankcard".
func (c *Channel) Method() string { return "bankcard" }

// Bank returns the name of the bank that serves pan, or "".
func (c *Channel) Bank(pan string) string {
	if r := c.route(pan); r != nil {
		return r.Connector.Name()
	}
	return ""
}

var _ channel.CardChecker = (*Channel)(nil)

// CheckCard returns [ErrNoRoute] when no bank of the channel issues the card.
func (c *Channel) CheckCard(card channel.Card) error {
	if c.route(card.PAN) == nil {
		return ErrNoRoute
	}
	return nil
}

func (c *Channel) route(pan string) *Route {
	for i := range c.routes {
		if strings.HasPrefix(pan, c.routes[i].Prefix) {
			return &c.routes[i]
		}
	}
	return nil
}

// Charge debits the card at its bank.
func (c *Channel) Charge(ctx context.Context, ch channel.Charge) (channel.Result, error) {
	return c.send(ctx, ch.Card.PAN, func(conn *bank.Connector) (bank.Result, error) {
		return conn.Debit(ctx, bank.Request{PAN: ch.Card.PAN, PIN: ch.Card.PIN, Expiry: ch.Card.Expiry,
			Amount: ch.Amount, ClientRef: ch.AttemptID, ConfirmApproval: ch.AttemptID != ""})
	})
}

var _ channel.Payouter = (*Channel)(nil)

// Payout credits the card at its bank (processing code 210000), with the
// rules of [Channel.Charge]: the credit's reversal is stored before it is
// sent, and an approval keeps it armed until [Channel.Confirm] when
// p.AttemptID is set.
func (c *Channel) Payout(ctx context.Context, p channel.Payout) (channel.Result, error) {
	return c.send(ctx, p.Card.PAN, func(conn *bank.Connector) (bank.Result, error) {
		return conn.Credit(ctx, bank.Request{PAN: p.Card.PAN, Expiry: p.Card.Expiry,
			Amount: p.Amount, ClientRef: p.AttemptID, ConfirmApproval: p.AttemptID != ""})
	})
}

var _ channel.Refunder = (*Channel)(nil)

// ErrRefundRoute is returned for a refund whose card no longer routes to
// the bank that took the payment; nothing is sent.
var ErrRefundRoute = errors.New("bankcard: the card no longer routes to the bank of the original charge")

// Refund gives r.Amount back to the card of the original charge (0200,
// processing code 200000, field 90 naming the charge), at the bank that
// took it. Its reversal is stored before it is sent and, with r.AttemptID
// as client reference, an approval keeps it armed until [Channel.Confirm]:
// a refund is never paid without being recorded, and an unknown one is
// reversed, so that a new try pays the card exactly once.
func (c *Channel) Refund(ctx context.Context, r channel.Refund) (channel.Result, error) {
	if rt := c.route(r.Card.PAN); rt != nil && r.Original.Provider != "" && rt.Connector.Name() != r.Original.Provider {
		return channel.Result{}, ErrRefundRoute
	}
	orig := bank.Reference{STAN: r.Original.STAN, TransmissionTime: r.Original.TransmissionTime, RRN: r.Original.RRN}
	return c.send(ctx, r.Card.PAN, func(conn *bank.Connector) (bank.Result, error) {
		return conn.Refund(ctx, bank.Request{PAN: r.Card.PAN, Amount: r.Amount, ClientRef: r.AttemptID,
			ConfirmApproval: r.AttemptID != ""}, orig)
	})
}

// send routes pan to its bank, runs op on the bank's connector and turns
// what it returns into a channel outcome: an error alone when nothing
// reached the bank, else a Result (with any error beside an unknown one).
func (c *Channel) send(ctx context.Context, pan string, op func(*bank.Connector) (bank.Result, error)) (channel.Result, error) {
	r := c.route(pan)
	if r == nil {
		return channel.Result{}, ErrNoRoute
	}
	res, err := op(r.Connector)
	switch {
	case errors.Is(err, bank.ErrNotSent):
		return channel.Result{}, fmt.Errorf("%w (%v)", ErrBankUnavailable, err)
	case errors.Is(err, bank.ErrInvalidRequest):
		return channel.Result{}, errs.Wrap(errs.Invalid, "card_invalid", "The card details are not valid.", err)
	case err != nil && res.Outcome != bank.Unknown:
		return channel.Result{}, err
	}
	// The connector stores the reversal before it sends, so an unknown
	// outcome is always being reversed; report any error beside it.
	out := channel.Result{
		Code: res.ResponseCode, Message: res.Message, Provider: r.Connector.Name(),
		STAN: res.Reference.STAN, TransmissionTime: res.Reference.TransmissionTime, RRN: res.Reference.RRN,
		AuthCode: res.AuthCode, ReversalID: res.ReversalID,
	}
	switch res.Outcome {
	case bank.Approved:
		out.Status = channel.Approved
	case bank.Declined:
		out.Status = channel.Declined
	default:
		out.Status = channel.Unknown
	}
	return out, err
}

var _ channel.Resolver = (*Channel)(nil)

// Resolve tells what became of the debit, credit or refund made for an attempt
// (found by the attempt id it carried as client reference). Every debit and
// credit stores its reversal before it is sent and keeps it until the bank
// declines it or the caller confirms the approval, so no stored reversal
// means no money moved — or, for a confirmed approval, that its outcome was
// recorded.
func (c *Channel) Resolve(ctx context.Context, attemptID, provider string) (channel.Resolution, error) {
	for i := range c.routes {
		conn := c.routes[i].Connector
		if conn.Name() != provider {
			continue
		}
		rev, err := conn.ReversalByClientRef(ctx, attemptID)
		switch {
		case errors.Is(err, bank.ErrReversalNotFound):
			return channel.NothingTaken, nil
		case err != nil:
			return channel.Unresolved, err
		case rev.State == bank.ReversalReversed:
			return channel.Reversed, nil
		default:
			return channel.Unresolved, nil
		}
	}
	return channel.Unresolved, fmt.Errorf("bankcard: no connector for bank %q", provider)
}

var _ channel.Confirmer = (*Channel)(nil)

// Confirm removes, inside tx, the reversal the connector keeps armed for an
// approved debit, credit or refund until the caller records it. Errors:
// [channel.ErrNotConfirmable].
func (c *Channel) Confirm(ctx context.Context, tx *db.Tx, attemptID, provider string) error {
	for i := range c.routes {
		if conn := c.routes[i].Connector; conn.Name() == provider {
			err := conn.ConfirmTx(ctx, tx, attemptID)
			if errors.Is(err, bank.ErrNotConfirmable) {
				return fmt.Errorf("%w (%v)", channel.ErrNotConfirmable, err)
			}
			return err
		}
	}
	return fmt.Errorf("bankcard: no connector for bank %q", provider)
}
