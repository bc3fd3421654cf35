package mail

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

// prefixMessage starts every message id: "msg_01JD…".
const prefixMessage = "msg"

// Outbox writes messages and reads them back. It is safe for concurrent use.
type Outbox struct {
	db  *db.DB
	ids *id.Generator
}

// NewOutbox returns an Outbox over d; ids issues message ids (nil: a
// generator on d's clock and crypto/rand).
func NewOutbox(d *db.DB, ids *id.Generator) *Outbox {
	if ids == nil {
		ids = id.NewGenerator(d.Now, nil)
	}
	return &Outbox{db: d, ids: ids}
}

const (
	insertMessage = `INSERT INTO mail_messages
(id, to_addr, subject, text_body, html_body, kind, ref, state, next_attempt_ms, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`

	messageColumns = `id, to_addr, subject, text_body, html_body, kind, ref, state, next_attempt_ms, last_error,
	created_at, sent_at, failed_at`
	selectMessage  = `SELECT ` + messageColumns + ` FROM mail_messages WHERE id = ?`
	selectAttempts = `SELECT message_id, attempt, at, smtp_code, error, duration_ms
FROM mail_attempts WHERE message_id = ? ORDER BY attempt`
)

// Enqueue stores m as a pending message, due at once, inside the caller's
// transaction tx, and returns its id (msg_…). Nothing is sent before tx
// commits; call [Dispatcher.Wake] after the commit to send at once.
// Errors: [ErrInvalidMessage] (an [*InvalidMessageError] naming the field);
// on any error the caller must roll tx back.
func (o *Outbox) Enqueue(ctx context.Context, tx *db.Tx, m Message) (string, error) {
	m, err := m.validate()
	if err != nil {
		return "", err
	}
	msgID := o.ids.New(prefixMessage)
	now := tx.Now()
	if _, err := tx.Exec(ctx, insertMessage, msgID, m.To, m.Subject, m.Text, m.HTML, m.Kind, m.Ref,
		now.UnixMilli(), now); err != nil {
		return "", fmt.Errorf("enqueue email: %w", err)
	}
	return msgID, nil
}

// Get returns message msgID with its attempts.
// Errors: [ErrMessageNotFound].
func (o *Outbox) Get(ctx context.Context, msgID string) (Mail, error) {
	m, err := scanMessage(o.db.QueryRow(ctx, selectMessage, msgID))
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, fmt.Errorf("email %s: %w", msgID, ErrMessageNotFound)
	}
	if err != nil {
		return Mail{}, fmt.Errorf("read email %s: %w", msgID, err)
	}
	rows, err := o.db.Query(ctx, selectAttempts, msgID)
	if err != nil {
		return Mail{}, fmt.Errorf("read attempts of %s: %w", msgID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a  Attempt
			ms int64
		)
		if err := rows.Scan(&a.MessageID, &a.N, &a.At, &a.Code, &a.Error, &ms); err != nil {
			return Mail{}, fmt.Errorf("read attempts of %s: %w", msgID, err)
		}
		a.At = a.At.UTC()
		a.Duration = time.Duration(ms) * time.Millisecond
		m.Attempts = append(m.Attempts, a)
	}
	if err := rows.Err(); err != nil {
		return Mail{}, fmt.Errorf("read attempts of %s: %w", msgID, err)
	}
	return m, nil
}

// ListParams filter and page [Outbox.List]. Zero fields do not filter.
type ListParams struct {
	// To keeps only messages to this address (its domain is compared
	// case-insensitively).
	To string
	// Before is a cursor: only messages older than this message id (the
	// last id of the previous page).
	Before string
	Limit  int // page size: default 50, at most 500
}

// List returns messages newest first, without their attempts.
func (o *Outbox) List(ctx context.Context, p ListParams) ([]Mail, error) {
	var (
		where []string
		args  []any
	)
	if p.To != "" {
		to, err := normalizeAddress(p.To)
		if err != nil {
			return []Mail{}, nil // no message is addressed to a non-address
		}
		where, args = append(where, "to_addr = ?"), append(args, to)
	}
	if p.Before != "" {
		where, args = append(where, "id < ?"), append(args, p.Before)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := `SELECT ` + messageColumns + ` FROM mail_messages`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)

	rows, err := o.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list emails: %w", err)
	}
	defer rows.Close()
	out := []Mail{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list emails: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list emails: %w", err)
	}
	return out, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanMessage(s scanner) (Mail, error) {
	var (
		m              Mail
		state          string
		nextMS         int64
		sentAt, failAt sql.NullTime
	)
	err := s.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Kind, &m.Ref, &state, &nextMS, &m.LastError,
		&m.CreatedAt, &sentAt, &failAt)
	if err != nil {
		return Mail{}, err
	}
	m.State = State(state)
	m.CreatedAt = m.CreatedAt.UTC()
	if m.State == Pending {
		m.NextAttemptAt = time.UnixMilli(nextMS).UTC()
	}
	if sentAt.Valid {
		m.SentAt = sentAt.Time.UTC()
	}
	if failAt.Valid {
		m.FailedAt = failAt.Time.UTC()
	}
	return m, nil
}
