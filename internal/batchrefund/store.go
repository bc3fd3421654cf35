package batchrefund

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"paygate/internal/db"
	"paygate/internal/money"
)

// Line states in refund_batch_lines.state.
const (
	lineRejected = "rejected" // a problem was found when validated
	lineGood     = "good"     // passed validation; no refund yet
	lineQueued   = "queued"   // its refund exists (refund_id)
	lineRefused  = "refused"  // the refund was refused on confirmation
)

const (
	insertBatchSQL = `INSERT INTO refund_batches (id, merchant_id, file_name, state, lines, good, bad, total_minor, currency, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertLinesHead = `INSERT INTO refund_batch_lines (batch_id, line_no, merchant_order_no, amount_text, amount_minor, currency,
merchant_refund_no, reason, payment_id, state, problem, message) VALUES `
	insertLinesRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	linesPerInsert = 100

	selectBatch = `SELECT id, merchant_id, file_name, state, lines, good, bad, total_minor, currency, succeeded, failed,
refunded_minor, created_at, confirmed_at FROM refund_batches`
	selectLines = `SELECT line_no, merchant_order_no, amount_text, amount_minor, currency, merchant_refund_no, reason, payment_id,
state, problem, message, refund_id FROM refund_batch_lines WHERE batch_id = ?`
	countLines = `SELECT state, COUNT(*) FROM refund_batch_lines WHERE batch_id = ? GROUP BY state`

	queueBatch  = `UPDATE refund_batches SET state = 'queued', confirmed_at = ? WHERE id = ? AND state = 'validated'`
	queueLine   = `UPDATE refund_batch_lines SET state = 'queued', refund_id = ? WHERE batch_id = ? AND line_no = ? AND state = 'good'`
	refuseLine  = `UPDATE refund_batch_lines SET state = 'refused', problem = ?, message = ? WHERE batch_id = ? AND line_no = ? AND state = 'good'`
	finishBatch = `UPDATE refund_batches SET state = 'done', succeeded = ?, failed = ?, refunded_minor = ?, done_at = ?
WHERE id = ? AND state = 'queued'`
	discardBatch = `UPDATE refund_batches SET state = 'discarded' WHERE id = ? AND state = 'validated'`
)

// insertValues is the VALUES list of a multi-row insert of n lines.
func insertValues(n int) string {
	return strings.TrimSuffix(strings.Repeat(insertLinesRow+", ", n), ", ")
}

var insertLinesFull = insertLinesHead + insertValues(linesPerInsert)

func insertBatch(ctx context.Context, tx *db.Tx, b Batch, lines []Line) error {
	if _, err := tx.Exec(ctx, insertBatchSQL, b.ID, b.MerchantID, b.FileName, b.State, b.Lines, b.Good, b.Bad,
		b.Total.Minor(), string(b.Total.Currency()), b.CreatedAt); err != nil {
		return err
	}
	for len(lines) > 0 {
		chunk := lines[:min(linesPerInsert, len(lines))]
		lines = lines[len(chunk):]
		args := make([]any, 0, len(chunk)*12)
		for _, l := range chunk {
			var amount sql.NullInt64
			var cur string
			if l.Amount.Currency() != "" {
				amount, cur = sql.NullInt64{Int64: l.Amount.Minor(), Valid: true}, string(l.Amount.Currency())
			}
			state := lineGood
			if l.Problem != "" {
				state = lineRejected
			}
			args = append(args, b.ID, l.No, l.MerchantOrderNo, l.AmountText, amount, cur,
				l.MerchantRefundNo, l.Reason, l.PaymentID, state, l.Problem, l.Message)
		}
		q := insertLinesFull
		if len(chunk) < linesPerInsert {
			q = insertLinesHead + insertValues(len(chunk))
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// keep bounds a cell's text as stored: longer than any cell of a good line
// (a reason is at most 256 characters), so only rejected lines are cut.
func keep(s string) string {
	const n = 1024
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1]) + "…" // the last rune may be cut
}

type scanner interface{ Scan(...any) error }

func scanBatch(row scanner) (Batch, error) {
	var (
		b               Batch
		total, refunded int64
		cur             string
		confirmedAt     sql.NullTime
	)
	err := row.Scan(&b.ID, &b.MerchantID, &b.FileName, &b.State, &b.Lines, &b.Good, &b.Bad, &total, &cur,
		&b.Succeeded, &b.Failed, &refunded, &b.CreatedAt, &confirmedAt)
	if err != nil {
		return Batch{}, err
	}
	c := money.Currency(strings.TrimSpace(cur))
	b.Total, b.Refunded = money.New(total, c), money.New(refunded, c)
	b.CreatedAt = b.CreatedAt.UTC()
	if confirmedAt.Valid {
		t := confirmedAt.Time.UTC()
		b.ConfirmedAt = &t
	}
	return b, nil
}

// getBatch returns the merchant's batch, or [ErrBatchNotFound].
func (s *Service) getBatch(ctx context.Context, merchantID, batchID string) (Batch, error) {
	b, err := scanBatch(s.db.QueryRow(ctx, selectBatch+` WHERE id = ? AND merchant_id = ?`, batchID, merchantID))
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, ErrBatchNotFound
	}
	if err != nil {
		return Batch{}, fmt.Errorf("refund batch %s: %w", batchID, err)
	}
	return b, nil
}

// storedLine is a line as stored, with its state.
type storedLine struct {
	Line
	state string
}

// getLines returns a batch's lines in sheet order; state, if not "",
// selects lines in that state.
func (s *Service) getLines(ctx context.Context, batchID, state string) ([]storedLine, error) {
	q, args := selectLines, []any{batchID}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY line_no`, args...)
	if err != nil {
		return nil, fmt.Errorf("lines of %s: %w", batchID, err)
	}
	defer rows.Close()
	var out []storedLine
	for rows.Next() {
		var (
			l      storedLine
			amount sql.NullInt64
			cur    string
		)
		if err := rows.Scan(&l.No, &l.MerchantOrderNo, &l.AmountText, &amount, &cur, &l.MerchantRefundNo, &l.Reason,
			&l.PaymentID, &l.state, &l.Problem, &l.Message, &l.RefundID); err != nil {
			return nil, fmt.Errorf("lines of %s: %w", batchID, err)
		}
		if amount.Valid {
			l.Amount = money.New(amount.Int64, money.Currency(strings.TrimSpace(cur)))
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lines of %s: %w", batchID, err)
	}
	return out, nil
}

// lineCounts counts a batch's lines by state.
func (s *Service) lineCounts(ctx context.Context, batchID string) (map[string]int, error) {
	rows, err := s.db.Query(ctx, countLines, batchID)
	if err != nil {
		return nil, fmt.Errorf("count lines of %s: %w", batchID, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, rows.Err()
}

// confirmed is the outcome of one line's confirmation.
type confirmed struct {
	no               int
	refundID         string // queued
	problem, message string // refused
}

// recordConfirmed writes the outcomes of confirmed lines in one transaction.
func recordConfirmed(ctx context.Context, tx *db.Tx, batchID string, outcomes []confirmed) error {
	for _, c := range outcomes {
		var err error
		if c.refundID != "" {
			_, err = tx.Exec(ctx, queueLine, c.refundID, batchID, c.no)
		} else {
			_, err = tx.Exec(ctx, refuseLine, c.problem, c.message, batchID, c.no)
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", c.no, err)
		}
	}
	return nil
}

func finish(ctx context.Context, tx *db.Tx, b Batch) (bool, error) {
	res, err := tx.Exec(ctx, finishBatch, b.Succeeded, b.Failed, b.Refunded.Minor(), tx.Now(), b.ID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Service) listBatches(ctx context.Context, merchantID string, limit int) ([]Batch, error) {
	rows, err := s.db.Query(ctx, selectBatch+` WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list refund batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("list refund batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
