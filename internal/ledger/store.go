package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
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
	insertEntriesHead = `INSERT INTO ledger_entries (id, entry_key, description, hash, created_at) VALUES `
	entryValues       = `(?, ?, ?, ?, ?)`
	insertEntriesTail = ` ON CONFLICT (entry_key) DO NOTHING RETURNING entry_key`
	selectEntryByKey  = `SELECT id, hash, created_at FROM ledger_entries WHERE entry_key = ?`
	// updateBalances moves the balances of many accounts (name, amount,
	// currency rows), refusing — by returning no row for it — an account
	// whose currency differs or that may not go below zero and would. The
	// WHERE clause is evaluated on the latest row version under the row
	// lock, so the check holds under concurrency. VALUES columns are named
	// column1… on both engines; PostgreSQL needs the parameters typed.
	updateBalancesHead = `UPDATE ledger_accounts SET balance_minor = balance_minor + v.column2 FROM (VALUES `
	updateBalancesTail = `) AS v
WHERE ledger_accounts.name = v.column1 AND ledger_accounts.currency = v.column3
  AND (ledger_accounts.allow_negative OR ledger_accounts.balance_minor + v.column2 >= 0)
RETURNING id, name, balance_minor, allow_negative`
	balanceValuesSQLite   = `(?, ?, ?)`
	balanceValuesPostgres = `(?::text, ?::bigint, ?::text)`
	// lockAccountsPG takes the accounts' row locks in byte order of their
	// names before updateBalances, whose join may visit rows in any order:
	// two transactions thus never wait for each other in a cycle.
	lockAccountsPG = `SELECT id FROM ledger_accounts WHERE name = ANY(?) ORDER BY name COLLATE "C" FOR UPDATE`
	// lockAndUpdateHeadPG does both in one round trip: the update joins the
	// locking CTE, so it touches only rows the CTE has already locked, and
	// the CTE locks them in order.
	lockAndUpdateHeadPG = `WITH locked AS (` + lockAccountsPG + `)
UPDATE ledger_accounts SET balance_minor = balance_minor + v.column2 FROM locked, (VALUES `
	lockAndUpdateTailPG = `) AS v
WHERE ledger_accounts.id = locked.id AND ledger_accounts.name = v.column1 AND ledger_accounts.currency = v.column3
  AND (ledger_accounts.allow_negative OR ledger_accounts.balance_minor + v.column2 >= 0)
RETURNING ledger_accounts.id, ledger_accounts.name, ledger_accounts.balance_minor, ledger_accounts.allow_negative`
	insertPostingsHead = `INSERT INTO ledger_postings
(entry_id, account_id, amount_minor, currency, balance_after_minor, created_at) VALUES `
	postingValues = `(?, ?, ?, ?, ?, ?)`
)

// Post writes entry e within tx. See the package documentation for what it
// guarantees. Errors: [ErrInvalidEntry], [ErrUnbalanced], [ErrCurrencyMismatch],
// [ErrInsufficientFunds], [ErrAccountNotFound], [ErrKeyReused], [ErrOverflow];
// on any error the caller must roll tx back (db.InTx does).
func (l *Ledger) Post(ctx context.Context, tx *db.Tx, e Entry) (Posted, error) {
	p, err := l.PostAll(ctx, tx, []Entry{e})
	if err != nil {
		return Posted{}, err
	}
	return p[0], nil
}

// PostAll writes entries within tx, in order, as [Ledger.Post] would one by
// one, but in a few statements: a multi-row insert of the entries, one
// balance update per account touched, a multi-row insert of the postings.
// A transaction that posts several entries must post them in one PostAll:
// it updates every balance in account-name order, so two transactions never
// lock the same accounts in opposite orders (no deadlocks on PostgreSQL).
// A no-negative account is checked after every entry, in order, exactly as
// if the entries were posted one by one.
func (l *Ledger) PostAll(ctx context.Context, tx *db.Tx, entries []Entry) ([]Posted, error) {
	now := tx.Now()
	out := make([]Posted, len(entries))
	batch := make([]pending, 0, len(entries))
	first := make(map[string]int, len(entries)) // key → its first entry in this call
	dups := map[int]int{}                       // index → index of the same key earlier
	for i, e := range entries {
		legs, err := e.normalize()
		if err != nil {
			return nil, fmt.Errorf("post %s: %w", e.Key, err)
		}
		hash := entryHash(e.Key, e.Description, legs)
		if j, dup := first[e.Key]; dup {
			if !bytes.Equal(batch[j].hash, hash) {
				return nil, fmt.Errorf("post %s: %w", e.Key, ErrKeyReused)
			}
			dups[i] = batch[j].index
			continue
		}
		first[e.Key] = len(batch)
		out[i] = Posted{ID: l.ids.New(id.PrefixEntry), Key: e.Key, CreatedAt: now}
		batch = append(batch, pending{index: i, entry: e, legs: legs, hash: hash})
	}
	fresh, err := insertEntries(ctx, tx, batch, out, now)
	if err != nil {
		return nil, err
	}
	var moving []pending
	for _, p := range batch {
		if fresh[p.entry.Key] {
			moving = append(moving, p)
			continue
		}
		if out[p.index], err = replay(ctx, tx, p.entry.Key, p.hash); err != nil {
			return nil, err
		}
	}
	if err := applyPostings(ctx, tx, moving, out, now); err != nil {
		return nil, err
	}
	for i, j := range dups {
		out[i] = out[j]
		out[i].Replayed = true
	}
	return out, nil
}

// pending is one validated entry of a PostAll call.
type pending struct {
	index int // in the caller's slice
	entry Entry
	legs  []leg
	hash  []byte
}

// chunkRows bounds the rows of one multi-row insert, so that each statement
// stays well under the engines' parameter limits and the set of distinct
// statement texts (prepared and cached on SQLite) stays small.
const chunkRows = 64

// insertEntries inserts the entries' header rows and returns the keys that
// were new; the others had been posted before.
func insertEntries(ctx context.Context, tx *db.Tx, batch []pending, out []Posted, now time.Time) (map[string]bool, error) {
	fresh := make(map[string]bool, len(batch))
	for start := 0; start < len(batch); start += chunkRows {
		chunk := batch[start:min(start+chunkRows, len(batch))]
		args := make([]any, 0, 5*len(chunk))
		for _, p := range chunk {
			args = append(args, out[p.index].ID, p.entry.Key, p.entry.Description, p.hash, now)
		}
		rows, err := tx.Query(ctx, insertEntriesHead+values(entryValues, len(chunk))+insertEntriesTail, args...)
		if err != nil {
			return nil, fmt.Errorf("post %s: insert entries: %w", chunk[0].entry.Key, err)
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return nil, fmt.Errorf("post %s: insert entries: %w", chunk[0].entry.Key, err)
			}
			fresh[key] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("post %s: insert entries: %w", chunk[0].entry.Key, err)
		}
	}
	return fresh, nil
}

// applyPostings moves the balance of every account the entries touch, once
// each and in name order, then writes the postings with their running
// balances.
func applyPostings(ctx context.Context, tx *db.Tx, moving []pending, out []Posted, now time.Time) error {
	if len(moving) == 0 {
		return nil
	}
	net := map[string]money.Amount{}
	for _, p := range moving {
		for _, lg := range p.legs {
			prev, ok := net[lg.account]
			if !ok {
				net[lg.account] = lg.amount
				continue
			}
			if prev.Currency() != lg.amount.Currency() {
				return fmt.Errorf("post %s: %w", p.entry.Key, &AccountError{Account: lg.account,
					Detail: "postings in " + string(prev.Currency()) + " and " + string(lg.amount.Currency()), Err: ErrCurrencyMismatch})
			}
			sum, err := prev.Add(lg.amount)
			if err != nil {
				return fmt.Errorf("post %s: %w", p.entry.Key, &AccountError{Account: lg.account, Err: ErrOverflow})
			}
			net[lg.account] = sum
		}
	}
	names := make([]string, 0, len(net))
	for name := range net {
		names = append(names, name)
	}
	sort.Strings(names)
	accounts, err := updateBalances(ctx, tx, names, net)
	if err != nil {
		return fmt.Errorf("post %s: %w", keyOf(moving, failedAccount(err)), err)
	}
	args := make([]any, 0, 6*chunkRows)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, insertPostingsHead+values(postingValues, n), args...); err != nil {
			return fmt.Errorf("post: insert postings: %w", err)
		}
		args, n = args[:0], 0
		return nil
	}
	for _, p := range moving {
		for _, lg := range p.legs {
			st := accounts[lg.account]
			st.balance += lg.amount.Minor()
			if st.balance < 0 && !st.mayGoNegative {
				// The net movement fits, but posting the entries in order
				// would overdraw the account on the way: refuse, as posting
				// them one by one would.
				return fmt.Errorf("post %s: %w", p.entry.Key, &AccountError{Account: lg.account, Err: ErrInsufficientFunds,
					Detail: fmt.Sprintf("balance %s, posting %s", money.New(st.balance-lg.amount.Minor(), lg.amount.Currency()), lg.amount)})
			}
			args = append(args, out[p.index].ID, st.id, lg.amount.Minor(), string(lg.amount.Currency()), st.balance, now)
			if n++; n == chunkRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// accountState is an account's row as the balance update left it, with the
// running balance used to lay out the postings.
type accountState struct {
	id            int64
	balance       int64
	mayGoNegative bool
}

// updateBalances applies the net movements to the named accounts (sorted)
// and returns each account's state as it was before them.
func updateBalances(ctx context.Context, tx *db.Tx, names []string, net map[string]money.Amount) (map[string]*accountState, error) {
	row, head, tail := balanceValuesSQLite, updateBalancesHead, updateBalancesTail
	var prefix []any // arguments before the VALUES rows
	if tx.Engine() == db.Postgres {
		row = balanceValuesPostgres
		switch {
		case len(names) == 1:
		case len(names) <= chunkRows:
			head, tail, prefix = lockAndUpdateHeadPG, lockAndUpdateTailPG, []any{names}
		default:
			if _, err := tx.Exec(ctx, lockAccountsPG, names); err != nil {
				return nil, fmt.Errorf("lock accounts: %w", err)
			}
		}
	}
	accounts := make(map[string]*accountState, len(names))
	for start := 0; start < len(names); start += chunkRows {
		chunk := names[start:min(start+chunkRows, len(names))]
		args := make([]any, 0, len(prefix)+3*len(chunk))
		args = append(args, prefix...)
		for _, name := range chunk {
			args = append(args, name, net[name].Minor(), string(net[name].Currency()))
		}
		rows, err := tx.Query(ctx, head+values(row, len(chunk))+tail, args...)
		if err != nil {
			if db.IsOutOfRange(err) {
				return nil, &AccountError{Account: chunk[0], Detail: "one of " + strings.Join(chunk, ", "), Err: ErrOverflow}
			}
			return nil, fmt.Errorf("update balances: %w", err)
		}
		for rows.Next() {
			var (
				st   accountState
				name string
			)
			if err := rows.Scan(&st.id, &name, &st.balance, &st.mayGoNegative); err != nil {
				rows.Close()
				return nil, fmt.Errorf("update balances: %w", err)
			}
			st.balance -= net[name].Minor() // the balance before this call
			accounts[name] = &st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			if db.IsOutOfRange(err) {
				return nil, &AccountError{Account: chunk[0], Detail: "one of " + strings.Join(chunk, ", "), Err: ErrOverflow}
			}
			return nil, fmt.Errorf("update balances: %w", err)
		}
		for _, name := range chunk {
			if accounts[name] == nil {
				return nil, diagnose(ctx, tx, leg{account: name, amount: net[name]})
			}
		}
	}
	return accounts, nil
}

// failedAccount returns the account an error names, or "".
func failedAccount(err error) string {
	var ae *AccountError
	if errors.As(err, &ae) {
		return ae.Account
	}
	return ""
}

// keyOf names the first entry touching account, for error messages.
func keyOf(moving []pending, account string) string {
	for _, p := range moving {
		for _, lg := range p.legs {
			if lg.account == account {
				return p.entry.Key
			}
		}
	}
	return moving[0].entry.Key
}

// values repeats a row of placeholders n times: "(?, ?), (?, ?)".
func values(row string, n int) string {
	return strings.Repeat(row+", ", n-1) + row
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

// diagnose explains why updateBalances returned no row for an account.
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

// History returns up to limit (1–1000) postings of the named account older
// than the cursor before (0 for the newest page). Errors: [ErrAccountNotFound].
func (l *Ledger) History(ctx context.Context, name string, before int64, limit int) (Page, error) {
	return l.Search(ctx, name, HistoryFilter{Before: before, Limit: limit})
}
