package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/money"
)

// Errors returned by the ledger. Match them with errors.Is; an [*AccountError]
// in the chain names the account.
var (
	ErrUnbalanced        = errs.E(errs.Invalid, "ledger_unbalanced", "The entry's postings do not sum to zero in every currency.")
	ErrCurrencyMismatch  = errs.E(errs.Invalid, "ledger_currency_mismatch", "A posting's currency differs from its account's currency.")
	ErrInsufficientFunds = errs.E(errs.Unprocessable, "ledger_insufficient_funds", "The account may not go below zero.")
	ErrAccountNotFound   = errs.E(errs.NotFound, "ledger_account_not_found", "No such ledger account.")
	ErrAccountConflict   = errs.E(errs.Conflict, "ledger_account_conflict", "The account exists with another currency or overdraft setting.")
	ErrKeyReused         = errs.E(errs.Conflict, "ledger_key_reused", "The entry key was already used for a different entry.")
	ErrInvalidEntry      = errs.E(errs.Invalid, "ledger_invalid_entry", "The entry is malformed.")
	ErrOverflow          = errs.E(errs.Unprocessable, "ledger_overflow", "The balance would overflow.")
)

// AccountError says which account a posting failed on.
type AccountError struct {
	Account string
	Detail  string // safe to show: amounts, currencies
	Err     error  // one of the Err* sentinels
}

// Error implements error.
func (e *AccountError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("ledger account %s: %v", e.Account, e.Err)
	}
	return fmt.Sprintf("ledger account %s: %v (%s)", e.Account, e.Err, e.Detail)
}

// Unwrap returns the sentinel.
func (e *AccountError) Unwrap() error { return e.Err }

// Account is a ledger account. Names are structured, e.g.
// "merchant:mch_…:available" or "bank:icbc:clearing" (DESIGN §3).
type Account struct {
	ID            int64
	Name          string
	Currency      money.Currency
	AllowNegative bool
	Balance       money.Amount
	CreatedAt     time.Time
}

// AccountSpec describes an account to open.
type AccountSpec struct {
	Name          string
	Currency      money.Currency
	AllowNegative bool // liabilities of outsiders (banks, the world) may go negative
}

// Posting moves Amount into (positive) or out of (negative) an account.
type Posting struct {
	Account string
	Amount  money.Amount
}

// Transfer returns the two postings that move amt from one account to
// another.
func Transfer(from, to string, amt money.Amount) []Posting {
	neg, err := amt.Neg()
	if err != nil { // only math.MinInt64; let validation refuse it
		return []Posting{{Account: from, Amount: amt}, {Account: to, Amount: amt}}
	}
	return []Posting{{Account: from, Amount: neg}, {Account: to, Amount: amt}}
}

// Entry is one atomic, balanced money movement.
type Entry struct {
	// Key makes posting idempotent: e.g. "payment:pay_…:captured". 1–200
	// printable characters, unique across the ledger.
	Key         string
	Description string // up to 500 characters
	Postings    []Posting
}

// Posted is the result of posting an entry.
type Posted struct {
	ID        string
	Key       string
	Replayed  bool // the key had been posted before; nothing new was written
	CreatedAt time.Time
}

// Ledger posts entries and reads balances. It is safe for concurrent use.
type Ledger struct {
	db  *db.DB
	ids *id.Generator
}

// New returns a Ledger over d that names entries with ids.
func New(d *db.DB, ids *id.Generator) *Ledger {
	return &Ledger{db: d, ids: ids}
}

// leg is one account's net movement within an entry.
type leg struct {
	account string
	amount  money.Amount
}

// normalize validates e and returns its net movement per account, in
// account-name order (the order in which balances are locked), without
// zero legs.
func (e Entry) normalize() ([]leg, error) {
	if e.Key == "" || len(e.Key) > 200 || !printable(e.Key) {
		return nil, fmt.Errorf("%w: key must be 1–200 printable characters", ErrInvalidEntry)
	}
	if utf8.RuneCountInString(e.Description) > 500 || !utf8.ValidString(e.Description) {
		return nil, fmt.Errorf("%w: description must be valid UTF-8 of at most 500 characters", ErrInvalidEntry)
	}
	if len(e.Postings) == 0 {
		return nil, fmt.Errorf("%w: no postings", ErrInvalidEntry)
	}
	net := make(map[string]money.Amount, len(e.Postings))
	sums := make(map[money.Currency]money.Amount, 1)
	for _, p := range e.Postings {
		if err := validName(p.Account); err != nil {
			return nil, err
		}
		cur := p.Amount.Currency()
		if _, err := money.ParseCurrency(string(cur)); err != nil {
			return nil, &AccountError{Account: p.Account, Detail: "unknown currency " + strconv.Quote(string(cur)), Err: ErrCurrencyMismatch}
		}
		if prev, ok := net[p.Account]; ok {
			if prev.Currency() != cur {
				return nil, &AccountError{Account: p.Account, Detail: "postings in " + string(prev.Currency()) + " and " + string(cur), Err: ErrCurrencyMismatch}
			}
			sum, err := prev.Add(p.Amount)
			if err != nil {
				return nil, &AccountError{Account: p.Account, Err: ErrOverflow}
			}
			net[p.Account] = sum
		} else {
			net[p.Account] = p.Amount
		}
		s, ok := sums[cur]
		if !ok {
			s = money.Zero(cur)
		}
		s, err := s.Add(p.Amount)
		if err != nil {
			return nil, fmt.Errorf("%w: the %s postings overflow", ErrOverflow, cur)
		}
		sums[cur] = s
	}
	for cur, s := range sums {
		if !s.IsZero() {
			return nil, fmt.Errorf("%w: %s postings sum to %s", ErrUnbalanced, cur, s)
		}
	}
	legs := make([]leg, 0, len(net))
	for name, amt := range net {
		if !amt.IsZero() {
			legs = append(legs, leg{account: name, amount: amt})
		}
	}
	if len(legs) == 0 {
		return nil, fmt.Errorf("%w: the entry moves no money", ErrInvalidEntry)
	}
	sort.Slice(legs, func(i, j int) bool { return legs[i].account < legs[j].account })
	return legs, nil
}

func validName(name string) error {
	if name == "" || len(name) > 200 || !printable(name) {
		return fmt.Errorf("%w: account name %q must be 1–200 printable characters", ErrInvalidEntry, name)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// entryHash is the content hash stored with each entry and re-computed by
// [Ledger.Check]: the key, the description and the net legs in order.
func entryHash(key, description string, legs []leg) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "paygate-ledger-v1\n%q\n%q\n", key, description)
	for _, l := range legs {
		fmt.Fprintf(h, "%q\t%s\t%d\n", l.account, l.amount.Currency(), l.amount.Minor())
	}
	return h.Sum(nil)
}

// Commit posts entries in one new transaction: all of them or none. It is
// for callers that have no transaction of their own (batch jobs, tools);
// business commands call [Ledger.Post] or [Ledger.PostAll] inside theirs.
func (l *Ledger) Commit(ctx context.Context, entries ...Entry) ([]Posted, error) {
	var out []Posted
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = l.PostAll(ctx, tx, entries)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OpenAccount creates the account if it does not exist, within tx. Opening an
// existing account with the same settings returns it; with other settings it
// fails with [ErrAccountConflict].
func (l *Ledger) OpenAccount(ctx context.Context, tx *db.Tx, spec AccountSpec) (Account, error) {
	if err := validName(spec.Name); err != nil {
		return Account{}, err
	}
	if _, err := money.ParseCurrency(string(spec.Currency)); err != nil {
		return Account{}, &AccountError{Account: spec.Name, Detail: "unknown currency " + strconv.Quote(string(spec.Currency)), Err: ErrCurrencyMismatch}
	}
	if _, err := tx.Exec(ctx, insertAccount, spec.Name, string(spec.Currency), spec.AllowNegative, tx.Now()); err != nil {
		return Account{}, fmt.Errorf("open account %s: %w", spec.Name, err)
	}
	a, err := scanAccount(tx.QueryRow(ctx, selectAccount, spec.Name))
	if err != nil {
		return Account{}, fmt.Errorf("open account %s: %w", spec.Name, err)
	}
	if a.Currency != spec.Currency || a.AllowNegative != spec.AllowNegative {
		return Account{}, &AccountError{Account: spec.Name,
			Detail: fmt.Sprintf("exists in %s with allow_negative=%t", a.Currency, a.AllowNegative), Err: ErrAccountConflict}
	}
	return a, nil
}

// OpenAccounts opens several accounts in one new transaction.
func (l *Ledger) OpenAccounts(ctx context.Context, specs ...AccountSpec) error {
	return l.db.InTx(ctx, func(tx *db.Tx) error {
		for _, s := range specs {
			if _, err := l.OpenAccount(ctx, tx, s); err != nil {
				return err
			}
		}
		return nil
	})
}
