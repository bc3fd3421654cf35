-- Idempotency keys of the merchant API (internal/web/api): the first
-- response to a POST with an Idempotency-Key is kept for 24 h and replayed
-- for the same key and body.
CREATE TABLE api_idempotency (
    merchant_id     TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status INTEGER NOT NULL DEFAULT 0,
    response_body   BLOB,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, idem_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
