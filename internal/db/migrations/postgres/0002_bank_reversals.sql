-- The persistent reversal queue of the bank connectors (internal/bank).
-- A row is written when a money-moving request to a bank ends `unknown`
-- (timeout, broken link, unverifiable answer); the reversal worker sends it
-- as 0420, then 0421, until the bank acknowledges it with 0430. Rows are
-- kept once acknowledged: they are the record that the request ended
-- `reversed`. No PAN is stored: the bank finds the original by field 90.
-- Workers on several instances claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE bank_reversals (
    id                TEXT    PRIMARY KEY,
    bank              TEXT    NOT NULL,
    acquirer_id       TEXT    NOT NULL,
    original_mti      CHAR(4) NOT NULL,
    original_stan     CHAR(6) NOT NULL,
    original_time     CHAR(10) NOT NULL, -- field 7 of the original, MMDDhhmmss
    rrn               TEXT    NOT NULL,
    processing_code   CHAR(6) NOT NULL,
    amount_minor      BIGINT  NOT NULL CHECK (amount_minor >= 0),
    currency          CHAR(3) NOT NULL,  -- ISO 4217 numeric, field 49
    terminal_id       TEXT    NOT NULL,
    merchant_id       TEXT    NOT NULL,
    reason_code       TEXT    NOT NULL,  -- field 39 of the advice: why it is reversed
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'reversed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms   BIGINT  NOT NULL,  -- unix milliseconds; claiming pushes it forward (a lease)
    response_code     TEXT    NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    reversed_at       TIMESTAMPTZ,
    UNIQUE (bank, acquirer_id, original_stan, original_time)
);

CREATE INDEX bank_reversals_due ON bank_reversals (bank, state, next_attempt_ms);
CREATE INDEX bank_reversals_rrn ON bank_reversals (bank, rrn);
