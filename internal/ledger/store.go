package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"paygate/internal/db"
	"paygate/internal/id"
	"paygate/internal/money"
)

const (
	insertAccount = `INSERT INTO ledger_accounts (name, currency, allow_negative, balance_minor, created_at)
VALUES (?, ?, ?, 0, ?) ON CONFLICT (name) DO NOTHING`
	selectAccount = `SELECT id, name, currency, allow_negative, balance_minor, created_at
FROM ledger_accounts WHERE name = ?`
	insertEntry = `INSERT INTO ledger_entries (id, entry_key, description, hash, created_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (entry_key) DO NOTHING RETURNING id`
	selectEntryByKey = `SELECT id, hash, created_at FROM ledger_entries WHERE entry_key = ?`
	// updateBalance moves one account's balance, refusing (no row) when the
	// currency differs or a no-negative account would go below zero. The
	// WHERE clause is re-checked on the latest row version under the row
	// lock, so the check holds under concurrency.
	updateBalance = `UPDATE ledger_accounts SET balance_minor = balance_minor + ?
WHERE name = ? AND currency = ? AND (allow_negative OR balance_minor + ? >= 0)
RETURNING id, balance_minor`
	// lockAccountsPG takes the row locks of many accounts in byte order, the
	// order Post updates them in, whatever the database's collation.
	lockAccountsPG     = `SELECT id FROM ledger_accounts WHERE name = ANY(?) ORDER BY name COLLATE "C" FOR UPDATE`
	insertPostingsHead = `INSERT INTO ledger_postings
(entry_id, account_id, amount_minor, currency, balance_after_minor, created_at) VALUES `
	postingValues = `(?, ?, ?, ?, ?, ?)`
)

// Post writes entry e within tx. See the package documentation for what it
// guarantees. Errors: [ErrInvalidEntry], [ErrUnbalanced], [ErrCurrencyMismatch],
// [ErrInsufficientFunds], [ErrAccountNotFound], [ErrKeyReused], [ErrOverflow];
// on any error the caller must roll tx back (db.InTx does).
func (l *Ledger) Post(ctx context.Context, tx *db.Tx, e Entry) (Posted, error) {
	legs, err := e.normalize()
	if err != nil {
		return Posted{}, fmt.Errorf("post %s: %w", e.Key, err)
	}
	hash := entryHash(e.Key, e.Description, legs)
	entryID := l.ids.New(id.PrefixEntry)
	now := tx.Now()

	var got string
	err = tx.QueryRow(ctx, insertEntry, entryID, e.Key, e.Description, hash, now).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return replay(ctx, tx, e.Key, hash)
	}
	if err != nil {
		return Posted{}, fmt.Errorf("post %s: insert entry: %w", e.Key, err)
	}

	args := make([]any, 0, 6*len(legs))
	for _, lg := range legs {
		var accountID, balance int64
		amt, cur := lg.amount.Minor(), string(lg.amount.Currency())
		err := tx.QueryRow(ctx, updateBalance, amt, lg.account, cur, amt).Scan(&accountID, &balance)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return Posted{}, fmt.Errorf("post %s: %w", e.Key, diagnose(ctx, tx, lg))
		case db.IsOutOfRange(err):
			return Posted{}, fmt.Errorf("post %s: %w", e.Key, &AccountError{Account: lg.account, Err: ErrOverflow})
		case err != nil:
			return Posted{}, fmt.Errorf("post %s: update %s: %w", e.Key, lg.account, err)
		}
		args = append(args, entryID, accountID, amt, cur, balance, now)
	}
	q := insertPostingsHead + strings.Repeat(postingValues+", ", len(legs)-1) + postingValues
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return Posted{}, fmt.Errorf("post %s: insert postings: %w", e.Key, err)
	}
	return Posted{ID: entryID, Key: e.Key, CreatedAt: now}, nil
}

// Lock takes the row locks of the named accounts, in the same order as Post
// does. A transaction that posts more than one entry calls it first with
// every account it will touch; otherwise two such transactions could lock
// the same accounts in opposite orders and deadlock. SQLite serializes
// writers, so there it does nothing.
func (l *Ledger) Lock(ctx context.Context, tx *db.Tx, accounts ...string) error {
	if tx.Engine() != db.Postgres || len(accounts) < 2 {
		return nil
	}
	rows, err := tx.Query(ctx, lockAccountsPG, accounts)
	if err != nil {
		return fmt.Errorf("lock accounts: %w", err)
	}
	for rows.Next() {
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lock accounts: %w", err)
	}
	return nil
}

// replay answers a second post of a key: the first result if the content is
// the same, ErrKeyReused if not.
func replay(ctx context.Context, tx *db.Tx, key string, hash []byte) (Posted, error) {
	var (
		p       = Posted{Key: key, Replayed: true}
		oldHash []byte
	)
	if err := tx.QueryRow(ctx, selectEntryByKey, key).Scan(&p.ID, &oldHash, &p.CreatedAt); err != nil {
		return Posted{}, fmt.Errorf("post %s: read existing entry: %w", key, err)
	}
	if !bytes.Equal(oldHash, hash) {
		return Posted{}, fmt.Errorf("post %s: %w", key, ErrKeyReused)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// diagnose explains why updateBalance matched no row.
func diagnose(ctx context.Context, tx *db.Tx, lg leg) error {
	a, err := scanAccount(tx.QueryRow(ctx, selectAccount, lg.account))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &AccountError{Account: lg.account, Err: ErrAccountNotFound}
	case err != nil:
		return fmt.Errorf("read account %s: %w", lg.account, err)
	case a.Currency != lg.amount.Currency():
		return &AccountError{Account: lg.account, Err: ErrCurrencyMismatch,
			Detail: fmt.Sprintf("account holds %s, posting is %s", a.Currency, lg.amount.Currency())}
	default:
		return &AccountError{Account: lg.account, Err: ErrInsufficientFunds,
			Detail: fmt.Sprintf("balance %s %s, posting %s", a.Balance, a.Currency, lg.amount)}
	}
}

type scanner interface{ Scan(dest ...any) error }

func scanAccount(row scanner) (Account, error) {
	var (
		a   Account
		cur string
		bal int64
	)
	if err := row.Scan(&a.ID, &a.Name, &cur, &a.AllowNegative, &bal, &a.CreatedAt); err != nil {
		return Account{}, err
	}
	a.Currency = money.Currency(strings.TrimSpace(cur))
	a.Balance = money.New(bal, a.Currency)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// Account returns the named account with its current balance. Errors:
// [ErrAccountNotFound].
func (l *Ledger) Account(ctx context.Context, name string) (Account, error) {
	a, err := scanAccount(l.db.QueryRow(ctx, selectAccount, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, &AccountError{Account: name, Err: ErrAccountNotFound}
	}
	if err != nil {
		return Account{}, fmt.Errorf("read account %s: %w", name, err)
	}
	return a, nil
}

// Balance returns the named account's balance. Errors: [ErrAccountNotFound].
func (l *Ledger) Balance(ctx context.Context, name string) (money.Amount, error) {
	a, err := l.Account(ctx, name)
	return a.Balance, err
}

// Line is one posting in an account's history.
type Line struct {
	PostingID    int64
	EntryID      string
	EntryKey     string
	Description  string
	Amount       money.Amount // signed: positive into the account
	BalanceAfter money.Amount
	CreatedAt    time.Time
}

// Page is one page of an account's history, newest first.
type Page struct {
	Lines []Line
	// Next is the cursor for the following (older) page; 0 when there is none.
	Next int64
}

const selectHistory = `SELECT p.id, e.id, e.entry_key, e.description, p.amount_minor, p.balance_after_minor, p.created_at
FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
WHERE p.account_id = ? AND p.id < ?
ORDER BY p.id DESC LIMIT ?`

// History returns up to limit (1–1000) postings of the named account older
// than the cursor before (0 for the newest page). Errors: [ErrAccountNotFound].
func (l *Ledger) History(ctx context.Context, name string, before int64, limit int) (Page, error) {
	if limit <= 0 || limit > 1000 {
		return Page{}, fmt.Errorf("%w: history limit %d not in 1–1000", ErrInvalidEntry, limit)
	}
	a, err := l.Account(ctx, name)
	if err != nil {
		return Page{}, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := l.db.Query(ctx, selectHistory, a.ID, before, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("history %s: %w", name, err)
	}
	defer rows.Close()
	var page Page
	for rows.Next() {
		var (
			ln       Line
			amt, bal int64
		)
		if err := rows.Scan(&ln.PostingID, &ln.EntryID, &ln.EntryKey, &ln.Description, &amt, &bal, &ln.CreatedAt); err != nil {
			return Page{}, fmt.Errorf("history %s: %w", name, err)
		}
		ln.Amount, ln.BalanceAfter = money.New(amt, a.Currency), money.New(bal, a.Currency)
		ln.CreatedAt = ln.CreatedAt.UTC()
		page.Lines = append(page.Lines, ln)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("history %s: %w", name, err)
	}
	if len(page.Lines) > limit {
		page.Lines = page.Lines[:limit]
		page.Next = page.Lines[limit-1].PostingID
	}
	return page, nil
}
