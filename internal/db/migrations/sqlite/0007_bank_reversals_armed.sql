-- Pre-stored reversals (internal/bank): a money-moving request writes its
-- reversal as `armed` before the 0200 leaves, so that a gateway that dies
-- with the request in flight still reverses it. The owner deletes the row
-- on a definitive answer (or when nothing was sent) and turns it `pending`
-- on an unknown outcome; an `armed` row whose next_attempt_ms has passed
-- was abandoned (its owner died or hung) and any reversal worker sends it.
-- `void` is for operators: a reversal decided not to be sent (nothing in
-- the connector writes it, and no worker sends it).
-- client_ref is the caller's opaque reference of the request (≤ 64
-- printable characters, e.g. the payment attempt id), '' when none.
--
-- SQLite cannot alter a CHECK constraint: the table is rebuilt (new table,
-- copy, drop, rename, indexes again). Nothing references it by foreign key.
CREATE TABLE bank_reversals_0007 (
    id                TEXT    PRIMARY KEY,
    bank              TEXT    NOT NULL,
    acquirer_id       TEXT    NOT NULL,
    original_mti      TEXT    NOT NULL,
    original_stan     TEXT    NOT NULL,
    original_time     TEXT    NOT NULL,  -- field 7 of the original, MMDDhhmmss
    rrn               TEXT    NOT NULL,
    processing_code   TEXT    NOT NULL,
    amount_minor      INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor >= 0),
    currency          TEXT    NOT NULL,  -- ISO 4217 numeric, field 49
    terminal_id       TEXT    NOT NULL,
    merchant_id       TEXT    NOT NULL,
    reason_code       TEXT    NOT NULL,  -- field 39 of the advice: why it is reversed
    state             TEXT    NOT NULL CHECK (state IN ('armed', 'pending', 'reversed', 'void')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms   INTEGER NOT NULL,  -- unix milliseconds: pending, when due (a lease once claimed); armed, when abandoned
    response_code     TEXT    NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    reversed_at       TIMESTAMP,
    client_ref        TEXT    NOT NULL DEFAULT '' CHECK (length(client_ref) <= 64),
    UNIQUE (bank, acquirer_id, original_stan, original_time)
);

INSERT INTO bank_reversals_0007 (id, bank, acquirer_id, original_mti, original_stan, original_time, rrn, processing_code,
    amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms, response_code,
    created_at, reversed_at, client_ref)
SELECT id, bank, acquirer_id, original_mti, original_stan, original_time, rrn, processing_code,
    amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms, response_code,
    created_at, reversed_at, ''
FROM bank_reversals;

DROP TABLE bank_reversals;
ALTER TABLE bank_reversals_0007 RENAME TO bank_reversals;

CREATE INDEX bank_reversals_due ON bank_reversals (bank, state, next_attempt_ms);
CREATE INDEX bank_reversals_rrn ON bank_reversals (bank, rrn);
CREATE INDEX bank_reversals_client_ref ON bank_reversals (bank, client_ref);
