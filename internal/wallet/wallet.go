// Package wallet holds the balances of email accounts (the 快钱 account,
// MISSION K1, K2, K4) and moves money between them: transfers to any email
// address, pay-to-email claims for addresses with no account yet, and the
// return of claims nobody took.
//
// Invariants:
//   - A balance is the ledger account wallet:<account id>:<currency>, which
//     may never go below zero; every movement is one balanced ledger entry,
//     posted in the same transaction as the claim row it concerns.
//   - Money sent to an address with no active account is held in
//     claims:held:<currency> against a claim; it becomes the recipient's
//     balance in the transaction that activates the account, or goes back
//     to the sender once the claim expires — exactly once either way.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"paygate/internal/clock"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/ledger"
	"paygate/internal/money"
)

// Errors.
var (
	ErrInvalid           = errs.E(errs.Invalid, "wallet_invalid", "The transfer is invalid.")
	ErrInsufficientFunds = errs.E(errs.Unprocessable, "wallet_insufficient_funds", "The balance is not enough for this transfer.")
	ErrSelfTransfer      = errs.E(errs.Invalid, "wallet_self_transfer", "An account cannot send money to itself.")
)

// PrefixClaim names claims.
const PrefixClaim = "clm"

// Recipient says who an email address belongs to.
type Recipient struct {
	AccountID string // "" when no active account has the address
}

// FindFunc looks up the active account of an email address inside tx.
type FindFunc func(ctx context.Context, tx *db.Tx, email string) (Recipient, error)

// InviteFunc enqueues, inside tx, the email that invites an address to
// claim money sent to it.
type InviteFunc func(ctx context.Context, tx *db.Tx, to string, c Claim) error

// Options configure a [Wallet].
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock
	IDs    *id.Generator
	// ClaimPeriod is how long a claim waits before it returns to the sender
	// (default 30 days).
	ClaimPeriod time.Duration
	Invite      InviteFunc // nil: no invitation is sent
}

// Wallet moves money between email accounts.
type Wallet struct {
	db     *db.DB
	ledger *ledger.Ledger
	find   FindFunc
	opts   Options
}

// New returns a Wallet; find tells which account owns an email address.
func New(d *db.DB, l *ledger.Ledger, find FindFunc, opts Options) *Wallet {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.IDs == nil {
		opts.IDs = id.NewGenerator(opts.Clock.Now, nil)
	}
	if opts.ClaimPeriod <= 0 {
		opts.ClaimPeriod = 30 * 24 * time.Hour
	}
	return &Wallet{db: d, ledger: l, find: find, opts: opts}
}

// Account returns the ledger account holding an account's balance.
func Account(accountID string, cur money.Currency) string {
	return "wallet:" + accountID + ":" + string(cur)
}

func heldAccount(cur money.Currency) string { return "claims:held:" + string(cur) }

// Balance returns an account's balance (zero if it never held money).
func (w *Wallet) Balance(ctx context.Context, accountID string, cur money.Currency) (money.Amount, error) {
	b, err := w.ledger.Balance(ctx, Account(accountID, cur))
	if errors.Is(err, ledger.ErrAccountNotFound) {
		return money.Zero(cur), nil
	}
	return b, err
}

// OpenTx opens an account's balance in cur within tx (idempotent).
func (w *Wallet) OpenTx(ctx context.Context, tx *db.Tx, accountID string, cur money.Currency) error {
	_, err := w.ledger.OpenAccount(ctx, tx, ledger.AccountSpec{Name: Account(accountID, cur), Currency: cur})
	return err
}

// Claim is money held for an email address.
type Claim struct {
	ID          string
	FromAccount string
	ToEmail     string
	Amount      money.Amount
	Note        string
	State       string // held, claimed, returned
	ClaimedBy   string
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

// Sent is the outcome of [Wallet.Send]: landed in an account at once, or
// held in a claim.
type Sent struct {
	ToAccount string // set when it landed at once
	Claim     *Claim // set when it is held for the address
	EntryID   string
}

// NormalizeEmail returns the canonical form of an address, all lower-case
// (an email is a login here, and people do not type case consistently), or
// an error.
func NormalizeEmail(s string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalid, s)
	}
	return strings.ToLower(a.Address), nil
}

// Send moves amount from an account to an email address: into the
// address's account at once if it has an active one, else into a claim
// that invites the address. key makes it idempotent (a retried request with
// the same key moves the money once). Errors: [ErrInvalid],
// [ErrSelfTransfer], [ErrInsufficientFunds].
func (w *Wallet) Send(ctx context.Context, fromAccount, toEmail string, amount money.Amount, note, key string) (Sent, error) {
	email, err := NormalizeEmail(toEmail)
	if err != nil {
		return Sent{}, err
	}
	if amount.Minor() <= 0 {
		return Sent{}, fmt.Errorf("%w: the amount must be positive", ErrInvalid)
	}
	if _, err := money.ParseCurrency(string(amount.Currency())); err != nil {
		return Sent{}, fmt.Errorf("%w: unknown currency", ErrInvalid)
	}
	if utf8.RuneCountInString(note) > 200 || key == "" || len(key) > 100 {
		return Sent{}, fmt.Errorf("%w: note of at most 200 characters and a key of 1–100 are required", ErrInvalid)
	}
	var out Sent
	err = w.db.InTx(ctx, func(tx *db.Tx) error {
		out = Sent{}
		rcpt, err := w.find(ctx, tx, email)
		if err != nil {
			return err
		}
		if rcpt.AccountID == fromAccount {
			return ErrSelfTransfer
		}
		cur := amount.Currency()
		if err := w.OpenTx(ctx, tx, fromAccount, cur); err != nil {
			return err
		}
		from := Account(fromAccount, cur)
		// The description must be the same on a retry: no fresh ids in it.
		entry := ledger.Entry{Key: "wallet:send:" + fromAccount + ":" + key, Description: "to " + email + ": " + note}
		if rcpt.AccountID != "" {
			if err := w.OpenTx(ctx, tx, rcpt.AccountID, cur); err != nil {
				return err
			}
			entry.Postings = ledger.Transfer(from, Account(rcpt.AccountID, cur), amount)
			out.ToAccount = rcpt.AccountID
		} else {
			if _, err := w.ledger.OpenAccount(ctx, tx, ledger.AccountSpec{Name: heldAccount(cur), Currency: cur}); err != nil {
				return err
			}
			now := tx.Now()
			c := Claim{ID: w.opts.IDs.New(PrefixClaim), FromAccount: fromAccount, ToEmail: email, Amount: amount, Note: note,
				// The same clock as ReturnExpired's decides when it is due.
				State: "held", ExpiresAt: w.opts.Clock.Now().UTC().Add(w.opts.ClaimPeriod), CreatedAt: now}
			entry.Postings = ledger.Transfer(from, heldAccount(cur), amount)
			out.Claim = &c
		}
		posted, err := w.ledger.Post(ctx, tx, entry)
		if errors.Is(err, ledger.ErrInsufficientFunds) {
			return ErrInsufficientFunds
		}
		if err != nil {
			return err
		}
		out.EntryID = posted.ID
		if posted.Replayed {
			out.Claim = nil // the first call created (or not) the claim
			return nil
		}
		if c := out.Claim; c != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO wallet_claims (id, from_account, to_email, amount_minor, currency, note, state, expires_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?)`, c.ID, c.FromAccount, c.ToEmail, c.Amount.Minor(), string(c.Amount.Currency()), c.Note, c.ExpiresAt, c.CreatedAt); err != nil {
				return err
			}
			if w.opts.Invite != nil {
				return w.opts.Invite(ctx, tx, email, *c)
			}
		}
		return nil
	})
	if err != nil {
		return Sent{}, err
	}
	return out, nil
}

// ClaimAllTx turns every claim held for email into the balance of the
// account that has just activated it. It runs inside the activation's
// transaction, so activation and claims commit together.
func (w *Wallet) ClaimAllTx(ctx context.Context, tx *db.Tx, accountID, email string) (int, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return 0, err
	}
	claims, err := w.claimsTx(ctx, tx, `SELECT id, from_account, to_email, amount_minor, currency, note, state, expires_at, created_at
FROM wallet_claims WHERE to_email = ? AND state = 'held' ORDER BY id`, email)
	if err != nil {
		return 0, err
	}
	for _, c := range claims {
		if err := w.resolveTx(ctx, tx, c, "claimed", accountID); err != nil {
			return 0, err
		}
	}
	return len(claims), nil
}

// ReturnExpired gives every claim past its period back to its sender; it
// returns how many. Run it periodically (several instances may).
func (w *Wallet) ReturnExpired(ctx context.Context) (int, error) {
	n := 0
	err := w.db.InTx(ctx, func(tx *db.Tx) error {
		n = 0
		q := `SELECT id, from_account, to_email, amount_minor, currency, note, state, expires_at, created_at
FROM wallet_claims WHERE state = 'held' AND expires_at <= ? ORDER BY id LIMIT 200`
		if tx.Engine() == db.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		claims, err := w.claimsTx(ctx, tx, q, w.opts.Clock.Now().UTC())
		if err != nil {
			return err
		}
		for _, c := range claims {
			if err := w.resolveTx(ctx, tx, c, "returned", c.FromAccount); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// resolveTx moves a held claim's money to account and closes the claim in
// state; the claim row's guarded update makes it happen once.
func (w *Wallet) resolveTx(ctx context.Context, tx *db.Tx, c Claim, state, account string) error {
	res, err := tx.Exec(ctx, `UPDATE wallet_claims SET state = ?, claimed_by = ?, resolved_at = ? WHERE id = ? AND state = 'held'`,
		state, account, tx.Now(), c.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // resolved by someone else first
	}
	cur := c.Amount.Currency()
	if err := w.OpenTx(ctx, tx, account, cur); err != nil {
		return err
	}
	_, err = w.ledger.Post(ctx, tx, ledger.Entry{
		Key:         "wallet:claim:" + c.ID + ":" + state,
		Description: "claim " + c.ID + " " + state,
		Postings:    ledger.Transfer(heldAccount(cur), Account(account, cur), c.Amount),
	})
	return err
}

func (w *Wallet) claimsTx(ctx context.Context, tx *db.Tx, q string, args ...any) ([]Claim, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var (
			c      Claim
			amount int64
			cur    string
		)
		if err := rows.Scan(&c.ID, &c.FromAccount, &c.ToEmail, &amount, &cur, &c.Note, &c.State, &c.ExpiresAt, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.Amount = money.New(amount, money.Currency(strings.TrimSpace(cur)))
		out = append(out, c)
	}
	return out, rows.Err()
}

// Claims returns the claims sent by an account, newest first.
func (w *Wallet) Claims(ctx context.Context, fromAccount string) ([]Claim, error) {
	rows, err := w.db.Query(ctx, `SELECT id, from_account, to_email, amount_minor, currency, note, state, claimed_by, expires_at, created_at
FROM wallet_claims WHERE from_account = ? ORDER BY id DESC LIMIT 500`, fromAccount)
	if err != nil {
		return nil, fmt.Errorf("claims of %s: %w", fromAccount, err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var (
			c      Claim
			amount int64
			cur    string
		)
		if err := rows.Scan(&c.ID, &c.FromAccount, &c.ToEmail, &amount, &cur, &c.Note, &c.State, &c.ClaimedBy, &c.ExpiresAt, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.Amount = money.New(amount, money.Currency(strings.TrimSpace(cur)))
		out = append(out, c)
	}
	return out, rows.Err()
}

// FundTx credits an account from a ledger account outside the wallets
// (a top-up's bank clearing, a test's world account) within tx.
func (w *Wallet) FundTx(ctx context.Context, tx *db.Tx, accountID, fromLedgerAccount string, amount money.Amount, key string) error {
	cur := amount.Currency()
	if err := w.OpenTx(ctx, tx, accountID, cur); err != nil {
		return err
	}
	_, err := w.ledger.Post(ctx, tx, ledger.Entry{Key: key, Description: "top-up",
		Postings: ledger.Transfer(fromLedgerAccount, Account(accountID, cur), amount)})
	return err
}

func ledgerSpec(name string, cur money.Currency, allowNegative bool) ledger.AccountSpec {
	return ledger.AccountSpec{Name: name, Currency: cur, AllowNegative: allowNegative}
}
