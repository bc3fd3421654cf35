package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"paygate/internal/db"
)

// The events that mention an object: its id, quoted, anywhere in the
// body (the object itself as data, or a refund's payment_id). Ids are
// unique random strings, so the match is exact; the search is bounded by
// the merchant and by when the object was made (index
// notify_events_merchant_created).
const (
	eventsMentioningSQLite = `SELECT ` + eventColumns + ` FROM notify_events
WHERE merchant_id = ? AND created_at >= ? AND instr(body, ?) > 0 ORDER BY id DESC LIMIT ?`
	eventsMentioningPostgres = `SELECT ` + eventColumns + ` FROM notify_events
WHERE merchant_id = ? AND created_at >= ? AND strpos(body, ?) > 0 ORDER BY id DESC LIMIT ?`
)

// ForObject returns the merchant's events whose data mention objectID (a
// payment's events, and its refunds' events, for a payment id), created
// at or after since (when the object was made), newest first, at most
// limit (default 50, at most 500), each with its attempts. It never
// returns another merchant's event.
func (o *Outbox) ForObject(ctx context.Context, merchantID, objectID string, since time.Time, limit int) ([]Notification, error) {
	if merchantID == "" || objectID == "" || strings.ContainsAny(objectID, `"\`) {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := eventsMentioningSQLite
	if o.db.Engine() == db.Postgres {
		q = eventsMentioningPostgres
	}
	rows, err := o.db.Query(ctx, q, merchantID, since.UTC(), `"`+objectID+`"`, limit)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", objectID, err)
	}
	var out []Notification
	for rows.Next() {
		n, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("events of %s: %w", objectID, err)
		}
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of %s: %w", objectID, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, len(out))
	for i, n := range out {
		ids[i] = n.ID
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	arows, err := o.db.Query(ctx, fmt.Sprintf(selectAttemptsIn, marks), ids...)
	if err != nil {
		return nil, fmt.Errorf("attempts of events of %s: %w", objectID, err)
	}
	byID, err := scanAttempts(arows)
	if err != nil {
		return nil, fmt.Errorf("attempts of events of %s: %w", objectID, err)
	}
	for i := range out {
		out[i].Attempts = byID[out[i].ID]
	}
	return out, nil
}

// ResendFor is [Outbox.Resend] for a merchant: another merchant's event
// is [ErrEventNotFound], exactly like one that does not exist. Errors:
// [ErrEventNotFound], [ErrEventInFlight].
func (o *Outbox) ResendFor(ctx context.Context, merchantID, eventID string) error {
	n, err := o.Get(ctx, eventID)
	if errors.Is(err, ErrEventNotFound) || err == nil && n.MerchantID != merchantID {
		return fmt.Errorf("event %s: %w", eventID, ErrEventNotFound)
	}
	if err != nil {
		return err
	}
	return o.Resend(ctx, eventID)
}
