package ledger

import (
	"context"
	"fmt"
	"time"

	"paygate/internal/money"
)

// Direction selects an account's postings by sign for [Ledger.Search].
type Direction string

// Directions.
const (
	DirectionAll Direction = ""    // every posting
	DirectionIn  Direction = "in"  // money into the account (positive amounts)
	DirectionOut Direction = "out" // money out of the account (negative amounts)
)

// HistoryFilter selects and pages an account's postings for
// [Ledger.Search]. Zero fields do not filter.
type HistoryFilter struct {
	From      time.Time // inclusive; zero for no lower bound
	To        time.Time // exclusive; zero for no upper bound
	Direction Direction
	Before    int64 // cursor: [Page.Next] of the previous page; 0 for the newest page
	Limit     int   // page size, 1–1000
}

// searchHistory and its parts build the history query: filters go between
// the selection and the ordering.
const (
	searchHistory = `SELECT p.id, e.id, e.entry_key, e.description, p.amount_minor, p.balance_after_minor, p.created_at
FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
WHERE p.account_id = ? AND p.id < ?`
	searchFrom  = ` AND p.created_at >= ?`
	searchTo    = ` AND p.created_at < ?`
	searchIn    = ` AND p.amount_minor > 0`
	searchOut   = ` AND p.amount_minor < 0`
	searchOrder = ` ORDER BY p.id DESC LIMIT ?`
)

// Search returns a page of the named account's postings that match f,
// newest first, as [Ledger.History] does for an unfiltered history. Each
// line's BalanceAfter is the account's balance right after that posting,
// whatever the filter. Errors: [ErrAccountNotFound], [ErrInvalidEntry] (a
// limit outside 1–1000 or an unknown direction).
func (l *Ledger) Search(ctx context.Context, name string, f HistoryFilter) (Page, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		return Page{}, fmt.Errorf("%w: history limit %d not in 1–1000", ErrInvalidEntry, f.Limit)
	}
	q := searchHistory
	switch f.Direction {
	case DirectionAll:
	case DirectionIn:
		q += searchIn
	case DirectionOut:
		q += searchOut
	default:
		return Page{}, fmt.Errorf("%w: unknown history direction %q", ErrInvalidEntry, f.Direction)
	}
	a, err := l.Account(ctx, name)
	if err != nil {
		return Page{}, err
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	args := []any{a.ID, before}
	if !f.From.IsZero() {
		q += searchFrom
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		q += searchTo
		args = append(args, f.To.UTC())
	}
	q += searchOrder
	args = append(args, f.Limit+1)
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("search history %s: %w", name, err)
	}
	defer rows.Close()
	var page Page
	for rows.Next() {
		var (
			ln       Line
			amt, bal int64
		)
		if err := rows.Scan(&ln.PostingID, &ln.EntryID, &ln.EntryKey, &ln.Description, &amt, &bal, &ln.CreatedAt); err != nil {
			return Page{}, fmt.Errorf("search history %s: %w", name, err)
		}
		ln.Amount, ln.BalanceAfter = money.New(amt, a.Currency), money.New(bal, a.Currency)
		ln.CreatedAt = ln.CreatedAt.UTC()
		page.Lines = append(page.Lines, ln)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("search history %s: %w", name, err)
	}
	if len(page.Lines) > f.Limit {
		page.Lines = page.Lines[:f.Limit]
		page.Next = page.Lines[f.Limit-1].PostingID
	}
	return page, nil
}
