package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/money"
)

// Top-ups and withdrawals are the two card requests of a wallet: one row
// per try, in states sent → succeeded | declined | unknown → reversed, with
// the rules of a payment attempt. They differ only in their table and in
// the money each state moves, so the code below is written once for both.
//
// A request may carry the client's key: the row stores it, and a unique
// index on (account_id, idem_key) lets only the first request with a key
// insert its row and reach the provider; any other finds that row instead
// (see [Wallet.replay]). The index, not a read before the insert, decides,
// so it holds across concurrent callers and processes.

// ErrKeyReused is returned when a top-up or withdrawal comes with a key
// that the account already used for a request of another amount or card.
var ErrKeyReused = errs.E(errs.Unprocessable, "wallet_key_reused", "This request key was already used for a different top-up or withdrawal.")

// maxKeyLen bounds a request key, in bytes.
const maxKeyLen = 100

// errKeyTaken says that insertTx found the request's key already used.
var errKeyTaken = errors.New("request key already used")

// checkKey validates a request key: "" (none), or at most 100 bytes of
// printable UTF-8. Errors: [ErrInvalid].
func checkKey(key string) error {
	ok := len(key) <= maxKeyLen && utf8.ValidString(key)
	for _, c := range key {
		ok = ok && unicode.IsPrint(c)
	}
	if !ok {
		return fmt.Errorf("%w: the request key must be at most %d bytes of printable characters", ErrInvalid, maxKeyLen)
	}
	return nil
}

// CardRequest is one try to move money between a balance and a bank card:
// a [TopUp] or a [Withdrawal].
type CardRequest struct {
	ID           string
	AccountID    string
	Amount       money.Amount
	Bank         string
	CardMasked   string
	State        string // sent, succeeded, declined, unknown, reversed
	ResponseCode string
	Message      string
	RRN          string // the bank's retrieval reference number, once it answered
	CreatedAt    time.Time
}

// cardKind is what differs between top-ups and withdrawals.
type cardKind struct {
	name     string // for errors and logs: "top-up", "withdrawal"
	table    string
	prefix   string
	notFound error
	// moveTx makes, inside tx, the ledger movement owed once r has
	// reached r.State. Its entry keys make it happen once per request.
	moveTx func(w *Wallet, ctx context.Context, tx *db.Tx, r CardRequest) error
}

var (
	topUps      = &cardKind{name: "top-up", table: "wallet_topups", prefix: PrefixTopUp, notFound: ErrTopUpNotFound, moveTx: (*Wallet).topUpMoveTx}
	withdrawals = &cardKind{name: "withdrawal", table: "wallet_withdrawals", prefix: PrefixWithdrawal, notFound: ErrWithdrawalNotFound, moveTx: (*Wallet).withdrawalMoveTx}
)

// owns reports whether id names a request of this kind.
func (k *cardKind) owns(id string) bool { return strings.HasPrefix(id, k.prefix+"_") }

const cardColumns = `id, account_id, amount_minor, currency, bank, card_masked, state, response_code, message, rrn, created_at`

// newCardRequest starts a request of kind k for amount to or from card via
// ch. A card the channel cannot take at all is refused here, before
// anything is written or held.
func (w *Wallet) newCardRequest(k *cardKind, ch channel.Channel, accountID string, card channel.Card, amount money.Amount) (CardRequest, error) {
	if cc, ok := ch.(channel.CardChecker); ok {
		if err := cc.CheckCard(card); err != nil {
			return CardRequest{}, fmt.Errorf("%s: %w", k.name, err)
		}
	}
	r := CardRequest{ID: w.opts.IDs.New(k.prefix), AccountID: accountID, Amount: amount, CardMasked: card.Masked(), State: "sent"}
	if bc, ok := ch.(interface{ Bank(string) string }); ok {
		r.Bank = bc.Bank(card.PAN)
	}
	return r, nil
}

// insertTx stores r, in state sent and with the request key (NULL when
// ""), within tx. It returns errKeyTaken if the account already has a
// request of kind k with that key; the transaction must then be rolled
// back (PostgreSQL has aborted it).
func (w *Wallet) insertTx(ctx context.Context, tx *db.Tx, k *cardKind, r *CardRequest, key string) error {
	r.CreatedAt = tx.Now()
	var keyArg any // NULL: no key, no collision
	if key != "" {
		keyArg = key
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+k.table+` (id, account_id, amount_minor, currency, bank, card_masked, state, idem_key, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'sent', ?, ?, ?)`, r.ID, r.AccountID, r.Amount.Minor(), string(r.Amount.Currency()), r.Bank, r.CardMasked, keyArg, r.CreatedAt, r.CreatedAt)
	if key != "" && db.IsUniqueViolation(err) {
		return errKeyTaken
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.name, r.ID, err)
	}
	return nil
}

// replay returns the request of kind k that r's account already made with
// key, as it is now (perhaps still sent, its first caller waiting for the
// provider), for a request r that found the key taken. It runs after
// insertTx's transaction is over: the row that took the key was committed
// before the unique index refused r's. Errors: [ErrKeyReused] when that
// request is for another amount or card.
func (w *Wallet) replay(ctx context.Context, k *cardKind, r CardRequest, key string) (CardRequest, error) {
	got, err := scanCardRequest(w.db.QueryRow(ctx, `SELECT `+cardColumns+` FROM `+k.table+` WHERE account_id = ? AND idem_key = ?`,
		r.AccountID, key))
	if err != nil {
		return CardRequest{}, fmt.Errorf("%s of %s by its key: %w", k.name, r.AccountID, err)
	}
	if got.Amount != r.Amount || got.CardMasked != r.CardMasked {
		return CardRequest{}, fmt.Errorf("%s %s: %w", k.name, got.ID, ErrKeyReused)
	}
	return got, nil
}

// conclude records what ch reported for r (res, or chErr when nothing
// reached the provider, which declines r) and returns chErr, or the error
// of recording it.
func (w *Wallet) conclude(ctx context.Context, ch channel.Channel, k *cardKind, r *CardRequest, res channel.Result, chErr error) error {
	// The outcome is recorded even if the caller has gone away meanwhile:
	// the bank has answered, and the books must say what it did.
	ctx = context.WithoutCancel(ctx)
	if chErr != nil && res.Status != channel.Unknown {
		if err := w.finish(ctx, ch, k, r, channel.Result{Status: channel.Declined, Code: "XX", Message: "not sent"}); err != nil {
			// The sweep declines it once it is stale ([Wallet.ResolveOpen]).
			w.opts.Logger.Error("recording a request that was not sent", "id", r.ID, "err", err)
		}
		return chErr
	}
	return w.finish(ctx, ch, k, r, res)
}

// finish records the outcome res of r in one transaction. An approval is
// first confirmed to ch (a [channel.Confirmer]), so that the provider's
// armed reversal goes exactly when the approval and its money movement
// commit; one that comes too late to confirm ([channel.ErrNotConfirmable])
// is recorded unknown instead, since the provider is reversing it.
func (w *Wallet) finish(ctx context.Context, ch channel.Channel, k *cardKind, r *CardRequest, res channel.Result) error {
	record := func(tx *db.Tx, res channel.Result) error {
		got, moved, err := w.transitionTx(ctx, tx, k, r.ID, []string{"sent"}, stateOf(res.Status), &res)
		if err != nil {
			return err
		}
		if !moved && res.Status == channel.Approved {
			// Roll the confirmation back: its reversal is sent when due.
			return fmt.Errorf("%s %s is already %s: approval not recorded", k.name, r.ID, got.State)
		}
		*r = got
		return nil
	}
	err := w.db.InTx(ctx, func(tx *db.Tx) error {
		if res.Status == channel.Approved {
			if c, ok := ch.(channel.Confirmer); ok {
				if err := c.Confirm(ctx, tx, r.ID, res.Provider); err != nil {
					return err
				}
			}
		}
		return record(tx, res)
	})
	if errors.Is(err, channel.ErrNotConfirmable) {
		res.Status, res.Message = channel.Unknown, "approved too late; being reversed"
		err = w.db.InTx(ctx, func(tx *db.Tx) error { return record(tx, res) })
	}
	if err != nil {
		return fmt.Errorf("recording %s %s: %w", k.name, r.ID, err)
	}
	return nil
}

// stateOf is the state a request takes for a channel outcome; anything
// unexpected may have moved money, so it is unknown.
func stateOf(s channel.Status) string {
	switch s {
	case channel.Approved:
		return "succeeded"
	case channel.Declined:
		return "declined"
	}
	return "unknown"
}

// transitionTx moves request id of kind k, if it is in one of the states
// from, to state to — taking res's provider, code, message and reference
// when res is not nil — and makes the money movement that state owes. It
// returns the request as it now is and whether it moved it.
func (w *Wallet) transitionTx(ctx context.Context, tx *db.Tx, k *cardKind, id string, from []string, to string, res *channel.Result) (CardRequest, bool, error) {
	r, err := w.getTx(ctx, tx, k, id)
	if err != nil {
		return CardRequest{}, false, err
	}
	was := r.State
	if !slices.Contains(from, was) {
		return r, false, nil
	}
	r.State = to
	if res != nil {
		if res.Provider != "" {
			r.Bank = res.Provider
		}
		r.ResponseCode, r.Message, r.RRN = res.Code, res.Message, res.RRN
	}
	out, err := tx.Exec(ctx, `UPDATE `+k.table+` SET state = ?, bank = ?, response_code = ?, message = ?, rrn = ?, updated_at = ?
WHERE id = ? AND state = ?`, r.State, r.Bank, r.ResponseCode, r.Message, r.RRN, tx.Now(), id, was)
	if err != nil {
		return CardRequest{}, false, fmt.Errorf("%s %s: %w", k.name, id, err)
	}
	if n, _ := out.RowsAffected(); n != 1 {
		// Another transaction moved it first (PostgreSQL re-reads the row
		// it waited for): report it as that one left it.
		r, err := w.getTx(ctx, tx, k, id)
		return r, false, err
	}
	if err := k.moveTx(w, ctx, tx, r); err != nil {
		return CardRequest{}, false, fmt.Errorf("%s %s %s: %w", k.name, id, r.State, err)
	}
	return r, true, nil
}

// getTx reads request id of kind k within tx. Errors: k's not-found error.
func (w *Wallet) getTx(ctx context.Context, tx *db.Tx, k *cardKind, id string) (CardRequest, error) {
	r, err := scanCardRequest(tx.QueryRow(ctx, `SELECT `+cardColumns+` FROM `+k.table+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return CardRequest{}, fmt.Errorf("%s %s: %w", k.name, id, k.notFound)
	}
	if err != nil {
		return CardRequest{}, fmt.Errorf("%s %s: %w", k.name, id, err)
	}
	return r, nil
}

// reversed records that the provider acknowledged the reversal of request
// id: it ends reversed, and the money it held goes back. Ids of other
// kinds, and requests no longer open, are left alone.
func (w *Wallet) reversed(ctx context.Context, k *cardKind, id string) error {
	if !k.owns(id) {
		return nil
	}
	return w.db.InTx(ctx, func(tx *db.Tx) error {
		_, _, err := w.transitionTx(ctx, tx, k, id, []string{"sent", "unknown"}, "reversed", nil)
		return err
	})
}

// nothingTaken declines a request left sent by a process that died before
// its provider moved any money.
func (w *Wallet) nothingTaken(ctx context.Context, k *cardKind, id string) error {
	return w.db.InTx(ctx, func(tx *db.Tx) error {
		_, _, err := w.transitionTx(ctx, tx, k, id, []string{"sent"}, "declined",
			&channel.Result{Code: "XX", Message: "not completed; nothing was moved"})
		return err
	})
}

// byID returns request id of kind k, or k's not-found error.
func (w *Wallet) byID(ctx context.Context, k *cardKind, id string) (CardRequest, error) {
	r, err := scanCardRequest(w.db.QueryRow(ctx, `SELECT `+cardColumns+` FROM `+k.table+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return CardRequest{}, k.notFound
	}
	if err != nil {
		return CardRequest{}, fmt.Errorf("%s %s: %w", k.name, id, err)
	}
	return r, nil
}

// Listing bounds.
const (
	defaultListLimit = 100
	maxListLimit     = 500
)

// list returns an account's requests of kind k, newest first: at most
// limit (≤ 0 means 100; capped at 500).
func (w *Wallet) list(ctx context.Context, k *cardKind, accountID string, limit int) ([]CardRequest, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	rows, err := w.db.Query(ctx, `SELECT `+cardColumns+` FROM `+k.table+`
WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("%ss of %s: %w", k.name, accountID, err)
	}
	defer rows.Close()
	var out []CardRequest
	for rows.Next() {
		r, err := scanCardRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("%ss of %s: %w", k.name, accountID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanCardRequest(row interface{ Scan(...any) error }) (CardRequest, error) {
	var (
		r      CardRequest
		amount int64
		cur    string
	)
	if err := row.Scan(&r.ID, &r.AccountID, &amount, &cur, &r.Bank, &r.CardMasked, &r.State, &r.ResponseCode, &r.Message,
		&r.RRN, &r.CreatedAt); err != nil {
		return CardRequest{}, err
	}
	r.Amount = money.New(amount, money.Currency(strings.TrimSpace(cur)))
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// clearingTx opens (idempotently) and names the account of what bank owes
// us, or we owe it, in cur. It may go negative.
func (w *Wallet) clearingTx(ctx context.Context, tx *db.Tx, bank string, cur money.Currency) (string, error) {
	name := "bank:" + bank + ":clearing:" + string(cur)
	_, err := w.ledger.OpenAccount(ctx, tx, ledgerSpec(name, cur, true))
	return name, err
}
