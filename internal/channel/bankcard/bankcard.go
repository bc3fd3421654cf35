// Package bankcard is the bank-card channel: it routes a card by its number
// to the issuing bank's connector and debits it over ISO 8583.
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
	r := c.route(ch.Card.PAN)
	if r == nil {
		return channel.Result{}, ErrNoRoute
	}
	res, err := r.Connector.Debit(ctx, bank.Request{PAN: ch.Card.PAN, PIN: ch.Card.PIN, Expiry: ch.Card.Expiry,
		Amount: ch.Amount, ClientRef: ch.AttemptID, ConfirmApproval: ch.AttemptID != ""})
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

// Resolve tells what became of the debit made for an attempt (found by the
// attempt id it carried). Every debit stores its reversal before it is sent
// and keeps it until the bank declines it or the payment confirms the
// approval, so no stored reversal means no money was taken.
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
// approved debit until the payment records it.
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
