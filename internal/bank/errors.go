package bank

import "errors"

var (
	// ErrNotSent means the request never left the process: no link was
	// signed on in time, or the link failed before any byte of it was
	// written. Nothing happened at the bank; the request may be retried.
	ErrNotSent = errors.New("bank: request not sent")

	// ErrInvalidRequest is wrapped for requests the connector refuses
	// before sending (bad PAN, PIN, currency or amount). The error never
	// quotes the PAN or PIN.
	ErrInvalidRequest = errors.New("bank: invalid request")

	// ErrStopped is returned after [Connector.Stop].
	ErrStopped = errors.New("bank: connector stopped")

	// ErrReversalNotFound is returned by [Connector.Reversal] and
	// [Connector.ReversalByClientRef] when no reversal is stored for the
	// request: it was approved or declined, never sent, or does not move
	// money.
	ErrReversalNotFound = errors.New("bank: no such reversal")
)
