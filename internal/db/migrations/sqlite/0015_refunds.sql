-- Refunds (internal/payment): a succeeded payment given back, in part or
-- whole, to its card or account balance; carried out by the refund worker.
-- payments.refunding_minor is what refunds in flight hold of the payment, so
-- that refunded + refunding never exceeds the amount paid.
ALTER TABLE payments ADD COLUMN refunding_minor INTEGER NOT NULL DEFAULT 0 CHECK (refunding_minor >= 0);

-- The card number of a card payment, sealed by internal/vault (AES-256-GCM,
-- "<key id>:<base64>"), for refunds to the card; '' when none was kept.
ALTER TABLE payment_attempts ADD COLUMN card_sealed TEXT NOT NULL DEFAULT '';

CREATE TABLE refunds (
    id                 TEXT PRIMARY KEY,
    payment_id         TEXT    NOT NULL REFERENCES payments (id),
    merchant_id        TEXT    NOT NULL REFERENCES merchants (id),
    merchant_refund_no TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    currency           TEXT    NOT NULL,
    reason             TEXT    NOT NULL DEFAULT '',
    method             TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    batch_id           TEXT    NOT NULL DEFAULT '',
    failure_code       TEXT    NOT NULL DEFAULT '',
    failure_message    TEXT    NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_try_at        TIMESTAMP NOT NULL,
    -- The worker's lease: who claimed the pending refund, and until when.
    claim_token        TEXT,
    claimed_until      TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    succeeded_at       TIMESTAMP,
    UNIQUE (payment_id, merchant_refund_no)
);
CREATE INDEX refunds_due ON refunds (status, next_try_at);
CREATE INDEX refunds_merchant_created ON refunds (merchant_id, created_at, id);
CREATE INDEX refunds_batch ON refunds (batch_id, id);

-- One try at a refund through the bank ('rfa_…', the client reference the
-- bank connector carries); a new try gets a new row and a new STAN.
CREATE TABLE refund_attempts (
    id                TEXT PRIMARY KEY,
    refund_id         TEXT NOT NULL REFERENCES refunds (id),
    bank              TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL CHECK (state IN ('sent', 'approved', 'declined', 'unknown', 'reversed')),
    stan              TEXT NOT NULL DEFAULT '',
    transmission_time TEXT NOT NULL DEFAULT '',
    rrn               TEXT NOT NULL DEFAULT '',
    auth_code         TEXT NOT NULL DEFAULT '',
    response_code     TEXT NOT NULL DEFAULT '',
    message           TEXT NOT NULL DEFAULT '',
    reversal_id       TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX refund_attempts_refund ON refund_attempts (refund_id, created_at);
CREATE INDEX refund_attempts_open ON refund_attempts (state, created_at);
CREATE INDEX refund_attempts_reversal ON refund_attempts (reversal_id);
