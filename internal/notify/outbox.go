package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"paygate/internal/db"
	"paygate/internal/id"
)

// Outbox writes events and reads them back. It is safe for concurrent use.
type Outbox struct {
	db  *db.DB
	ids *id.Generator
}

// NewOutbox returns an Outbox over d; ids issues event ids (nil: a generator
// on d's clock and crypto/rand).
func NewOutbox(d *db.DB, ids *id.Generator) *Outbox {
	if ids == nil {
		ids = id.NewGenerator(d.Now, nil)
	}
	return &Outbox{db: d, ids: ids}
}

const (
	insertEvent = `INSERT INTO notify_events (id, merchant_id, type, url, body, state, next_attempt_ms, created_at)
VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`

	eventColumns = `id, merchant_id, type, url, body, state, next_attempt_ms, last_status, last_error,
	created_at, delivered_at, failed_at`
	selectEvent    = `SELECT ` + eventColumns + ` FROM notify_events WHERE id = ?`
	selectAttempts = `SELECT event_id, attempt, at, http_status, error, duration_ms
FROM notify_attempts WHERE event_id = ? ORDER BY attempt`
	selectAttemptsIn = `SELECT event_id, attempt, at, http_status, error, duration_ms
FROM notify_attempts WHERE event_id IN (%s) ORDER BY event_id, attempt`

	// resendEvent makes an event due now with a fresh schedule, unless a
	// dispatcher holds an unexpired lease on it.
	resendEvent = `UPDATE notify_events
SET state = 'pending', failures = 0, next_attempt_ms = ?, claim_token = NULL, failed_at = NULL
WHERE id = ? AND (claim_token IS NULL OR next_attempt_ms <= ?)`
	existsEvent = `SELECT count(*) FROM notify_events WHERE id = ?`
)

// Enqueue stores ev as a pending event, due at once, inside the caller's
// transaction tx, and returns its id (evt_…). The event's created_at is
// tx.Now() and its wire body is fixed here. Nothing is sent before tx
// commits; call [Dispatcher.Wake] after the commit to deliver at once.
// Errors: [ErrInvalidEvent]; on any error the caller must roll tx back.
func (o *Outbox) Enqueue(ctx context.Context, tx *db.Tx, ev Event) (string, error) {
	data, err := ev.validate()
	if err != nil {
		return "", err
	}
	evtID := o.ids.New(id.PrefixEvent)
	now := tx.Now()
	b, err := body(evtID, ev.Type, now, data)
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, insertEvent, evtID, ev.MerchantID, ev.Type, ev.URL, string(b), now.UnixMilli(), now); err != nil {
		return "", fmt.Errorf("enqueue event: %w", err)
	}
	return evtID, nil
}

// Resend makes event eventID due now, whatever its state, with the retry
// schedule started afresh; attempt numbers continue. The running
// dispatchers pick it up at their next poll ([Dispatcher.Wake] for at once).
// Errors: [ErrEventNotFound]; [ErrEventInFlight] while an attempt is running.
func (o *Outbox) Resend(ctx context.Context, eventID string) error {
	var n int64
	err := o.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now().UnixMilli()
		res, err := tx.Exec(ctx, resendEvent, now, eventID, now)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var exists int
		if err := tx.QueryRow(ctx, existsEvent, eventID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return ErrEventNotFound
		}
		return ErrEventInFlight
	})
	if err != nil {
		return fmt.Errorf("resend event %s: %w", eventID, err)
	}
	return nil
}

// Get returns event eventID with its attempts. It does not check who asks:
// a caller serving a merchant must compare [Notification.MerchantID] and
// answer [ErrEventNotFound] for another merchant's event.
// Errors: [ErrEventNotFound].
func (o *Outbox) Get(ctx context.Context, eventID string) (Notification, error) {
	n, err := scanEvent(o.db.QueryRow(ctx, selectEvent, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return Notification{}, fmt.Errorf("event %s: %w", eventID, ErrEventNotFound)
	}
	if err != nil {
		return Notification{}, fmt.Errorf("read event %s: %w", eventID, err)
	}
	rows, err := o.db.Query(ctx, selectAttempts, eventID)
	if err != nil {
		return Notification{}, fmt.Errorf("read attempts of %s: %w", eventID, err)
	}
	byID, err := scanAttempts(rows)
	if err != nil {
		return Notification{}, fmt.Errorf("read attempts of %s: %w", eventID, err)
	}
	n.Attempts = byID[eventID]
	return n, nil
}

// ListParams filter and page [Outbox.List]. Zero fields do not filter.
type ListParams struct {
	MerchantID string // only this merchant's events; "" for all (operators)
	State      State  // only events in this state
	Type       string // only events of this type
	// Before is a cursor: only events older than this event id (the last id
	// of the previous page).
	Before string
	Limit  int // page size: default 50, at most 500
}

// List returns events newest first, with their attempts.
func (o *Outbox) List(ctx context.Context, p ListParams) ([]Notification, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if p.MerchantID != "" {
		add("merchant_id = ?", p.MerchantID)
	}
	if p.State != "" {
		add("state = ?", string(p.State))
	}
	if p.Type != "" {
		add("type = ?", p.Type)
	}
	if p.Before != "" {
		add("id < ?", p.Before)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := `SELECT ` + eventColumns + ` FROM notify_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)

	rows, err := o.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	var out []Notification
	for rows.Next() {
		n, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
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
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	byID, err := scanAttempts(arows)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	for i := range out {
		out[i].Attempts = byID[out[i].ID]
	}
	return out, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEvent(s scanner) (Notification, error) {
	var (
		n                   Notification
		body, state         string
		nextMS              int64
		delivered, failedAt sql.NullTime
	)
	err := s.Scan(&n.ID, &n.MerchantID, &n.Type, &n.URL, &body, &state, &nextMS, &n.LastStatus, &n.LastError,
		&n.CreatedAt, &delivered, &failedAt)
	if err != nil {
		return Notification{}, err
	}
	n.Body = []byte(body)
	n.State = State(state)
	n.CreatedAt = n.CreatedAt.UTC()
	if n.State == Pending {
		n.NextAttemptAt = time.UnixMilli(nextMS).UTC()
	}
	if delivered.Valid {
		n.DeliveredAt = delivered.Time.UTC()
	}
	if failedAt.Valid {
		n.FailedAt = failedAt.Time.UTC()
	}
	return n, nil
}

// scanAttempts reads attempt rows, grouped by event id, and closes rows.
func scanAttempts(rows *sql.Rows) (map[string][]Attempt, error) {
	defer rows.Close()
	out := map[string][]Attempt{}
	for rows.Next() {
		var (
			a  Attempt
			ms int64
		)
		if err := rows.Scan(&a.EventID, &a.N, &a.At, &a.Status, &a.Error, &ms); err != nil {
			return nil, err
		}
		a.At = a.At.UTC()
		a.Duration = time.Duration(ms) * time.Millisecond
		out[a.EventID] = append(out[a.EventID], a)
	}
	return out, rows.Err()
}
