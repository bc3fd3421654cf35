package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"paygate/internal/channel"
)

// staleSent is how long a top-up or withdrawal may stay "sent" before the
// sweep asks what became of it: longer than any bank request takes, so only
// those whose process died mid-request are still sent by then.
const staleSent = 2 * time.Minute

// sweepBatch bounds the requests of each kind one sweep looks at.
const sweepBatch = 500

// Reversed is told the client reference of every reversal a bank
// acknowledged: it records those of top-ups ([Wallet.TopUpReversed]) and
// withdrawals ([Wallet.WithdrawalReversed]) and reports whether ref was
// one; other references (payment attempts, …) are left to their owners.
func (w *Wallet) Reversed(ctx context.Context, clientRef string) (handled bool, err error) {
	for _, k := range []*cardKind{topUps, withdrawals} {
		if k.owns(clientRef) {
			return true, w.reversed(ctx, k, clientRef)
		}
	}
	return false, nil
}

// ResolveOpen looks at every top-up and withdrawal in state unknown, and at
// every one still "sent" two minutes after it began (its process died),
// and asks ch (a [channel.Resolver]) what became of it: reversed ones are
// recorded reversed, and sent ones that moved no money are declined — a
// withdrawal's money goes back to the balance either way. It catches
// acknowledgements that arrived while this process was down. Run it
// periodically; each pass looks at up to 500 of each.
func (w *Wallet) ResolveOpen(ctx context.Context, ch channel.Channel) error {
	r, ok := ch.(channel.Resolver)
	if !ok {
		return fmt.Errorf("wallet: resolve open requests: channel %q cannot resolve", ch.Method())
	}
	return errors.Join(w.resolveOpen(ctx, r, topUps), w.resolveOpen(ctx, r, withdrawals))
}

func (w *Wallet) resolveOpen(ctx context.Context, r channel.Resolver, k *cardKind) error {
	rows, err := w.db.Query(ctx, `SELECT id, bank, state FROM `+k.table+`
WHERE state = 'unknown' OR (state = 'sent' AND created_at < ?) ORDER BY created_at LIMIT ?`,
		w.opts.Clock.Now().UTC().Add(-staleSent), sweepBatch)
	if err != nil {
		return fmt.Errorf("open %ss: %w", k.name, err)
	}
	type open struct{ id, bank, state string }
	var todo []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.bank, &o.state); err != nil {
			rows.Close()
			return fmt.Errorf("open %ss: %w", k.name, err)
		}
		todo = append(todo, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("open %ss: %w", k.name, err)
	}
	var errList []error
	for _, o := range todo {
		if o.bank == "" {
			continue // no bank was ever chosen, so none can tell
		}
		res, err := r.Resolve(ctx, o.id, o.bank)
		if err != nil {
			w.opts.Logger.Warn("checking a card request", "id", o.id, "bank", o.bank, "err", err)
			continue
		}
		switch {
		case res == channel.Reversed:
			err = w.reversed(ctx, k, o.id)
		case res == channel.NothingTaken && o.state == "sent":
			err = w.nothingTaken(ctx, k, o.id)
		}
		if err != nil {
			w.opts.Logger.Error("recording what became of a card request", "id", o.id, "bank", o.bank, "err", err)
			errList = append(errList, fmt.Errorf("%s %s: %w", k.name, o.id, err))
		}
	}
	return errors.Join(errList...)
}
