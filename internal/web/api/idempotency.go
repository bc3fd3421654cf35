package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"paygate/internal/db"
)

// idempotency keeps the first response to each (merchant, Idempotency-Key)
// for 24 hours. The same key with the same method, path and body replays it;
// with anything else it is refused (422); while the first request is still
// running, a second gets 409. A request that failed with a server error
// releases its key so that it can be retried.
type idempotency struct{ db *db.DB }

// idemTTL is how long a response is replayed; an in-flight record older
// than idemAbandoned is taken over (its process died).
const (
	idemTTL       = 24 * time.Hour
	idemAbandoned = 5 * time.Minute
)

type idemRecord struct {
	hash   []byte
	state  string
	status int
	body   []byte
	at     time.Time
}

func (a *API) withIdempotency(w http.ResponseWriter, r *http.Request, merchantID, key string, body []byte, h handlerFunc) {
	if len(key) > 255 || !printable(key) {
		a.fail(w, r, errIdemInvalid)
		return
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
	ctx := r.Context()
	rec, won, err := a.idem.claim(ctx, merchantID, key, sum[:])
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !won {
		switch {
		case !bytes.Equal(rec.hash, sum[:]):
			a.fail(w, r, errIdemReused)
		case rec.state == "in_flight":
			a.fail(w, r, errIdemInUse)
		default:
			a.writeRaw(w, r, rec.status, rec.body)
		}
		return
	}
	status, v, herr := h(r, merchantID, body)
	var out errorBody
	if herr != nil {
		status, out = a.render(r, herr)
		v = out
	}
	if status >= 500 {
		if err := a.idem.release(context.WithoutCancel(ctx), merchantID, key); err != nil {
			a.d.Logger.ErrorContext(ctx, "releasing an idempotency key", "err", err)
		}
		a.write(w, r, status, v)
		return
	}
	b, err := jsonMarshal(v)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.idem.finish(context.WithoutCancel(ctx), merchantID, key, status, b); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeRaw(w, r, status, b)
}

// claim records the key as in flight, or returns the existing record.
func (s *idempotency) claim(ctx context.Context, merchantID, key string, hash []byte) (idemRecord, bool, error) {
	var (
		rec idemRecord
		won bool
	)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := tx.Now()
		res, err := tx.Exec(ctx, `INSERT INTO api_idempotency (merchant_id, idem_key, request_hash, state, created_at)
VALUES (?, ?, ?, 'in_flight', ?) ON CONFLICT (merchant_id, idem_key) DO NOTHING`, merchantID, key, hash, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			won = true
			return nil
		}
		var body []byte
		err = tx.QueryRow(ctx, `SELECT request_hash, state, response_status, response_body, created_at
FROM api_idempotency WHERE merchant_id = ? AND idem_key = ?`, merchantID, key).Scan(&rec.hash, &rec.state, &rec.status, &body, &rec.at)
		if errors.Is(err, sql.ErrNoRows) {
			return errIdemInUse // released between our insert and read: retry later
		}
		if err != nil {
			return err
		}
		rec.body = body
		expired := now.Sub(rec.at) > idemTTL
		abandoned := rec.state == "in_flight" && now.Sub(rec.at) > idemAbandoned
		if expired || abandoned {
			_, err := tx.Exec(ctx, `UPDATE api_idempotency SET request_hash = ?, state = 'in_flight', response_status = 0,
response_body = NULL, created_at = ? WHERE merchant_id = ? AND idem_key = ?`, hash, now, merchantID, key)
			won = err == nil
			return err
		}
		return nil
	})
	if errors.Is(err, errIdemInUse) {
		return idemRecord{}, false, err
	}
	if err != nil {
		return idemRecord{}, false, fmt.Errorf("idempotency key: %w", err)
	}
	return rec, won, nil
}

func (s *idempotency) finish(ctx context.Context, merchantID, key string, status int, body []byte) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_idempotency SET state = 'done', response_status = ?, response_body = ?
WHERE merchant_id = ? AND idem_key = ?`, status, body, merchantID, key)
		return err
	})
}

func (s *idempotency) release(ctx context.Context, merchantID, key string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM api_idempotency WHERE merchant_id = ? AND idem_key = ? AND state = 'in_flight'`, merchantID, key)
		return err
	})
}

func printable(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}
