package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"paygate/internal/money"
)

// Problem is one inconsistency found by [Ledger.Check].
type Problem struct {
	Kind    string // balance_mismatch, negative_balance, unbalanced_entry, entry_altered, books_unbalanced, currency_mismatch
	Account string // the account concerned, if any
	Entry   string // the entry concerned, if any
	Detail  string
}

// String renders the problem on one line.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Kind)
	if p.Account != "" {
		b.WriteString(" account=" + p.Account)
	}
	if p.Entry != "" {
		b.WriteString(" entry=" + p.Entry)
	}
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	return b.String()
}

// Report is the result of [Ledger.Check].
type Report struct {
	Accounts int
	Entries  int
	Postings int
	// Totals holds, per currency, the sum of all balances (zero when the books
	// balance) and the gross amount moved.
	Totals   []CurrencyTotal
	Problems []Problem
}

// CurrencyTotal sums one currency's books.
type CurrencyTotal struct {
	Currency money.Currency
	Accounts int
	Balance  int64 // sum of all balances: zero when the books balance
	Moved    int64 // sum of positive postings
}

// OK reports whether the check found nothing wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }

const (
	checkAccounts = `SELECT a.name, a.currency, a.allow_negative, a.balance_minor,
	COALESCE(s.total, 0), COALESCE(s.n, 0), COALESCE(s.bad_currency, 0)
FROM ledger_accounts a
LEFT JOIN (
	SELECT p.account_id, SUM(p.amount_minor) AS total, COUNT(*) AS n,
		SUM(CASE WHEN p.currency <> a2.currency THEN 1 ELSE 0 END) AS bad_currency
	FROM ledger_postings p JOIN ledger_accounts a2 ON a2.id = p.account_id
	GROUP BY p.account_id
) s ON s.account_id = a.id
ORDER BY a.name`
	checkEntries = `SELECT e.id, e.entry_key, e.description, e.hash, a.name, p.currency, p.amount_minor
FROM ledger_entries e
LEFT JOIN ledger_postings p ON p.entry_id = e.id
LEFT JOIN ledger_accounts a ON a.id = p.account_id
ORDER BY e.id, a.name`
	checkMoved = `SELECT currency, COALESCE(SUM(amount_minor), 0) FROM ledger_postings WHERE amount_minor > 0 GROUP BY currency`
)

// Check proves the books: every account's balance equals the sum of its
// postings, no account that forbids it is below zero, every entry balances
// per currency and still matches its stored hash (so a posting altered by
// hand is found and named), and all balances sum to zero per currency. It
// reads a consistent snapshot only on PostgreSQL with no concurrent writers;
// run it on a quiet database for an exact answer.
func (l *Ledger) Check(ctx context.Context) (Report, error) {
	var r Report
	totals := map[money.Currency]*CurrencyTotal{}
	rows, err := l.db.Query(ctx, checkAccounts)
	if err != nil {
		return Report{}, fmt.Errorf("check accounts: %w", err)
	}
	for rows.Next() {
		var (
			name, cur             string
			allowNeg              bool
			balance, sum, n, badC int64
		)
		if err := rows.Scan(&name, &cur, &allowNeg, &balance, &sum, &n, &badC); err != nil {
			rows.Close()
			return Report{}, fmt.Errorf("check accounts: %w", err)
		}
		c := money.Currency(strings.TrimSpace(cur))
		r.Accounts++
		r.Postings += int(n)
		t := totals[c]
		if t == nil {
			t = &CurrencyTotal{Currency: c}
			totals[c] = t
		}
		t.Accounts++
		t.Balance += balance
		if balance != sum {
			r.Problems = append(r.Problems, Problem{Kind: "balance_mismatch", Account: name,
				Detail: fmt.Sprintf("balance %s but its postings sum to %s", money.New(balance, c).Format(), money.New(sum, c).Format())})
		}
		if !allowNeg && balance < 0 {
			r.Problems = append(r.Problems, Problem{Kind: "negative_balance", Account: name,
				Detail: fmt.Sprintf("balance %s in an account that may not go negative", money.New(balance, c).Format())})
		}
		if badC > 0 {
			r.Problems = append(r.Problems, Problem{Kind: "currency_mismatch", Account: name,
				Detail: fmt.Sprintf("%d postings not in %s", badC, c)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("check accounts: %w", err)
	}
	if err := l.checkEntries(ctx, &r); err != nil {
		return Report{}, err
	}
	moved, err := l.db.Query(ctx, checkMoved)
	if err != nil {
		return Report{}, fmt.Errorf("check totals: %w", err)
	}
	for moved.Next() {
		var (
			cur string
			m   int64
		)
		if err := moved.Scan(&cur, &m); err != nil {
			moved.Close()
			return Report{}, fmt.Errorf("check totals: %w", err)
		}
		if t := totals[money.Currency(strings.TrimSpace(cur))]; t != nil {
			t.Moved = m
		}
	}
	moved.Close()
	for _, t := range totals {
		r.Totals = append(r.Totals, *t)
		if t.Balance != 0 {
			r.Problems = append(r.Problems, Problem{Kind: "books_unbalanced",
				Detail: fmt.Sprintf("all %s balances sum to %s, not zero", t.Currency, money.New(t.Balance, t.Currency).Format())})
		}
	}
	sort.Slice(r.Totals, func(i, j int) bool { return r.Totals[i].Currency < r.Totals[j].Currency })
	return r, nil
}

// checkEntries streams every entry with its postings, re-checking balance and
// hash.
func (l *Ledger) checkEntries(ctx context.Context, r *Report) error {
	rows, err := l.db.Query(ctx, checkEntries)
	if err != nil {
		return fmt.Errorf("check entries: %w", err)
	}
	defer rows.Close()
	var (
		curID, curKey, curDesc string
		curHash                []byte
		legs                   []leg
	)
	flush := func() {
		if curID == "" {
			return
		}
		r.Entries++
		// Hash in Go's order: the database's collation may sort differently.
		sort.Slice(legs, func(i, j int) bool { return legs[i].account < legs[j].account })
		sums := map[money.Currency]int64{}
		names := make([]string, 0, len(legs))
		for _, lg := range legs {
			sums[lg.amount.Currency()] += lg.amount.Minor()
			names = append(names, lg.account)
		}
		accounts := strings.Join(names, ",")
		for cur, s := range sums {
			if s != 0 {
				r.Problems = append(r.Problems, Problem{Kind: "unbalanced_entry", Entry: curID, Account: accounts,
					Detail: fmt.Sprintf("key %s: its postings sum to %s, not zero", curKey, money.New(s, cur).Format())})
			}
		}
		if !bytes.Equal(entryHash(curKey, curDesc, legs), curHash) {
			r.Problems = append(r.Problems, Problem{Kind: "entry_altered", Entry: curID, Account: accounts,
				Detail: fmt.Sprintf("key %s: postings or description differ from what was posted", curKey)})
		}
	}
	for rows.Next() {
		var (
			eid, key, desc string
			hash           []byte
			account, cur   *string
			amt            *int64
		)
		if err := rows.Scan(&eid, &key, &desc, &hash, &account, &cur, &amt); err != nil {
			return fmt.Errorf("check entries: %w", err)
		}
		if eid != curID {
			flush()
			curID, curKey, curDesc, curHash, legs = eid, key, desc, hash, legs[:0]
		}
		if account != nil && amt != nil && cur != nil {
			legs = append(legs, leg{account: *account, amount: money.New(*amt, money.Currency(strings.TrimSpace(*cur)))})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check entries: %w", err)
	}
	flush()
	return nil
}
