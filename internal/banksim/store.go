package banksim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"paygate/internal/clock"
	"paygate/internal/db"
)

// schema is the simulator's own SQLite schema, separate from paygate's
// migrations: the bank's database is not the gateway's.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS sim_cards (
    pan         TEXT PRIMARY KEY,
    bank        TEXT NOT NULL,
    pin_hash    TEXT NOT NULL,   -- PIN verification value, never the PIN
    expiry      TEXT NOT NULL,   -- YYMM or ''
    behaviour   TEXT NOT NULL,
    limit_minor INTEGER NOT NULL -- single-payment limit, 0 for none
)`,
	`CREATE TABLE IF NOT EXISTS sim_balances (
    pan           TEXT NOT NULL REFERENCES sim_cards (pan),
    currency      TEXT NOT NULL, -- ISO 4217 alphabetic
    balance_minor INTEGER NOT NULL,
    PRIMARY KEY (pan, currency)
)`,
	// One row per request that reached a decision the bank must remember:
	// approvals, and declines for funds.
	`CREATE TABLE IF NOT EXISTS sim_txns (
    id                INTEGER PRIMARY KEY,
    bank              TEXT NOT NULL,
    acquirer_id       TEXT NOT NULL, -- zero-filled to 11 digits
    stan              TEXT NOT NULL,
    transmission_time TEXT NOT NULL, -- field 7, MMDDhhmmss
    mti               TEXT NOT NULL,
    proc_code         TEXT NOT NULL,
    pan               TEXT NOT NULL,
    currency          TEXT NOT NULL,
    amount_minor      INTEGER NOT NULL,
    rrn               TEXT NOT NULL,
    auth_code         TEXT NOT NULL,
    resp_code         TEXT NOT NULL,
    merchant_id       TEXT NOT NULL,
    terminal_id       TEXT NOT NULL,
    local_time        TEXT NOT NULL, -- YYYYMMDDhhmmss in the bank's zone
    business_date     TEXT NOT NULL, -- YYYYMMDD, after the cut-off rule
    reversed          INTEGER NOT NULL DEFAULT 0,
    refunded_minor    INTEGER NOT NULL DEFAULT 0,
    orig_rrn          TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    UNIQUE (bank, acquirer_id, stan, transmission_time, mti)
)`,
	`CREATE INDEX IF NOT EXISTS sim_txns_settle ON sim_txns (bank, business_date)`,
	// One row per original a reversal named, found or not: repeats are
	// answered from here, and an original arriving after its reversal is
	// refused.
	`CREATE TABLE IF NOT EXISTS sim_reversals (
    bank        TEXT NOT NULL,
    acquirer_id TEXT NOT NULL,
    orig_stan   TEXT NOT NULL,
    orig_time   TEXT NOT NULL,
    rrn         TEXT NOT NULL,
    result      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (bank, acquirer_id, orig_stan, orig_time)
)`,
}

// cardInfo is a card as the processing code needs it, loaded at start.
type cardInfo struct {
	pan        string
	bank       string
	pinHash    string
	expiry     string
	behaviour  Behaviour
	limitMinor int64
}

// store is the simulator's database.
type store struct {
	db    *db.DB
	cards map[string]*cardInfo // read-only after open
}

// openStore opens (creating if needed) the SQLite file at path, seeds the
// test cards that are missing and loads the cards.
func openStore(ctx context.Context, path string, clk clock.Clock) (*store, error) {
	d, err := db.Open(ctx, "sqlite:"+path, db.Options{NoMigrate: true, Synchronous: "NORMAL", Clock: clk})
	if err != nil {
		return nil, fmt.Errorf("banksim: open store: %w", err)
	}
	s := &store{db: d, cards: map[string]*cardInfo{}}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range schema {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		for _, c := range TestCards() {
			hash := ""
			if c.PIN != "" {
				hash = pinHash(c.PAN, c.PIN)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO sim_cards (pan, bank, pin_hash, expiry, behaviour, limit_minor)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pan) DO NOTHING`, c.PAN, c.Bank, hash, c.Expiry, string(c.Behaviour), c.LimitMinor); err != nil {
				return err
			}
			for _, cur := range c.Currencies {
				if _, err := tx.Exec(ctx, `INSERT INTO sim_balances (pan, currency, balance_minor) VALUES (?, ?, ?)
ON CONFLICT (pan, currency) DO NOTHING`, c.PAN, cur, c.Balance); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = s.loadCards(ctx)
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("banksim: prepare store: %w", err)
	}
	return s, nil
}

func (s *store) loadCards(ctx context.Context) error {
	rows, err := s.db.Query(ctx, `SELECT pan, bank, pin_hash, expiry, behaviour, limit_minor FROM sim_cards`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := new(cardInfo)
		var b string
		if err := rows.Scan(&c.pan, &c.bank, &c.pinHash, &c.expiry, &b, &c.limitMinor); err != nil {
			return err
		}
		c.behaviour = Behaviour(b)
		s.cards[c.pan] = c
	}
	return rows.Err()
}

func (s *store) close() error { return s.db.Close() }

// balance returns a card's balance in currency (alphabetic code).
func (s *store) balance(ctx context.Context, pan, currency string) (int64, error) {
	var v int64
	err := s.db.QueryRow(ctx, `SELECT balance_minor FROM sim_balances WHERE pan = ? AND currency = ?`, pan, currency).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("banksim: card %s holds no %s", maskPAN(pan), currency)
	}
	return v, err
}

// txn is one request being decided, as stored in sim_txns.
type txn struct {
	bank, acquirer, stan, de7, mti, proc string
	pan, currency, rrn, auth             string
	merchant, terminal                   string
	amount                               int64
	local                                time.Time
	businessDate                         string
	orig                                 *origKey // refunds
}

// origKey finds an original request: the field 90 keys.
type origKey struct{ acquirer, stan, de7 string }

// errDuplicate marks a request whose keys were already processed.
var errDuplicate = errors.New("duplicate transmission")

const insertTxn = `INSERT INTO sim_txns (bank, acquirer_id, stan, transmission_time, mti, proc_code, pan, currency,
	amount_minor, rrn, auth_code, resp_code, merchant_id, terminal_id, local_time, business_date, orig_rrn, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (s *store) insert(ctx context.Context, tx *db.Tx, t *txn, code, origRRN string) error {
	auth := ""
	if code == "00" {
		auth = t.auth
	}
	_, err := tx.Exec(ctx, insertTxn, t.bank, t.acquirer, t.stan, t.de7, t.mti, t.proc, t.pan, t.currency, t.amount,
		t.rrn, auth, code, t.merchant, t.terminal, t.local.Format("20060102150405"), t.businessDate, origRRN, tx.Now())
	if db.IsUniqueViolation(err) {
		return errDuplicate
	}
	return err
}

// reversedBefore reports whether a reversal already named this request.
func reversedBefore(ctx context.Context, tx *db.Tx, bank, acquirer, stan, de7 string) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM sim_reversals WHERE bank = ? AND acquirer_id = ? AND orig_stan = ? AND orig_time = ?`,
		bank, acquirer, stan, de7).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// debit takes t.amount from the card if the balance allows; it returns 00,
// 51, or 12 for an original already reversed.
func (s *store) debit(ctx context.Context, t *txn) (string, error) {
	var code string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if rev, err := reversedBefore(ctx, tx, t.bank, t.acquirer, t.stan, t.de7); err != nil || rev {
			code = "12"
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE sim_balances SET balance_minor = balance_minor - ?
WHERE pan = ? AND currency = ? AND balance_minor >= ?`, t.amount, t.pan, t.currency, t.amount)
		if err != nil {
			return err
		}
		code = "51"
		if n, _ := res.RowsAffected(); n == 1 {
			code = "00"
		}
		return s.insert(ctx, tx, t, code, "")
	})
	return code, err
}

// credit adds t.amount to the card (payouts); 00, or 12 for an original
// already reversed.
func (s *store) credit(ctx context.Context, t *txn) (string, error) {
	var code string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if rev, err := reversedBefore(ctx, tx, t.bank, t.acquirer, t.stan, t.de7); err != nil || rev {
			code = "12"
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sim_balances SET balance_minor = balance_minor + ? WHERE pan = ? AND currency = ?`,
			t.amount, t.pan, t.currency); err != nil {
			return err
		}
		code = "00"
		return s.insert(ctx, tx, t, code, "")
	})
	return code, err
}

// refund gives back part or all of an approved, unreversed debit of the
// same card: 00; 25 if there is no such original; 13 if the refunds would
// exceed it.
func (s *store) refund(ctx context.Context, t *txn) (string, error) {
	var code string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if rev, err := reversedBefore(ctx, tx, t.bank, t.acquirer, t.stan, t.de7); err != nil || rev {
			code = "12"
			return err
		}
		var (
			id               int64
			pan, cur, rrn    string
			amount, refunded int64
		)
		err := tx.QueryRow(ctx, `SELECT id, pan, currency, rrn, amount_minor, refunded_minor FROM sim_txns
WHERE bank = ? AND acquirer_id = ? AND stan = ? AND transmission_time = ? AND mti = '0200'
  AND proc_code = '000000' AND resp_code = '00' AND reversed = 0`,
			t.bank, t.orig.acquirer, t.orig.stan, t.orig.de7).Scan(&id, &pan, &cur, &rrn, &amount, &refunded)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			code = "25"
			return nil
		case err != nil:
			return err
		case pan != t.pan || cur != t.currency:
			code = "25"
			return nil
		case refunded+t.amount > amount:
			code = "13"
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE sim_txns SET refunded_minor = refunded_minor + ? WHERE id = ?`, t.amount, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sim_balances SET balance_minor = balance_minor + ? WHERE pan = ? AND currency = ?`,
			t.amount, t.pan, t.currency); err != nil {
			return err
		}
		code = "00"
		return s.insert(ctx, tx, t, code, rrn)
	})
	return code, err
}

// reverse undoes the approved original named by k, once: 00 when it is
// (or already was) reversed, 25 when there is no approved original — in
// which case the original is refused should it arrive later.
func (s *store) reverse(ctx context.Context, bank string, k origKey, rrn string) (string, error) {
	var code string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO sim_reversals (bank, acquirer_id, orig_stan, orig_time, rrn, result, created_at)
VALUES (?, ?, ?, ?, ?, '', ?) ON CONFLICT (bank, acquirer_id, orig_stan, orig_time) DO NOTHING`,
			bank, k.acquirer, k.stan, k.de7, rrn, tx.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tx.QueryRow(ctx, `SELECT result FROM sim_reversals WHERE bank = ? AND acquirer_id = ? AND orig_stan = ? AND orig_time = ?`,
				bank, k.acquirer, k.stan, k.de7).Scan(&code)
		}
		var (
			id, amount          int64
			pan, cur, proc, ref string
		)
		err = tx.QueryRow(ctx, `SELECT id, pan, currency, proc_code, amount_minor, orig_rrn FROM sim_txns
WHERE bank = ? AND acquirer_id = ? AND stan = ? AND transmission_time = ? AND mti = '0200' AND resp_code = '00' AND reversed = 0`,
			bank, k.acquirer, k.stan, k.de7).Scan(&id, &pan, &cur, &proc, &amount, &ref)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			code = "25"
		case err != nil:
			return err
		default:
			delta := amount // a debit is undone by giving the money back
			if proc != "000000" {
				delta = -amount // refunds and credits are taken back
			}
			if _, err := tx.Exec(ctx, `UPDATE sim_balances SET balance_minor = balance_minor + ? WHERE pan = ? AND currency = ?`,
				delta, pan, cur); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE sim_txns SET reversed = 1 WHERE id = ?`, id); err != nil {
				return err
			}
			if proc == "200000" {
				if _, err := tx.Exec(ctx, `UPDATE sim_txns SET refunded_minor = refunded_minor - ?
WHERE bank = ? AND rrn = ? AND proc_code = '000000' AND resp_code = '00'`, amount, bank, ref); err != nil {
					return err
				}
			}
			code = "00"
		}
		_, err = tx.Exec(ctx, `UPDATE sim_reversals SET result = ? WHERE bank = ? AND acquirer_id = ? AND orig_stan = ? AND orig_time = ?`,
			code, bank, k.acquirer, k.stan, k.de7)
		return err
	})
	return code, err
}

// maskPAN keeps the first 6 and last 4 digits.
func maskPAN(pan string) string {
	if len(pan) < 11 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}
