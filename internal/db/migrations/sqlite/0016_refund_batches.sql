-- Refund sheets (internal/batchrefund): a merchant's uploaded sheet of
-- refunds, checked line by line before anything moves, then turned into
-- refunds (refunds.batch_id) on confirmation.
CREATE TABLE refund_batches (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT    NOT NULL REFERENCES merchants (id),
    file_name       TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('validated', 'queued', 'done', 'discarded')),
    lines           INTEGER NOT NULL CHECK (lines >= 0),
    good            INTEGER NOT NULL CHECK (good >= 0),
    bad             INTEGER NOT NULL CHECK (bad >= 0),
    total_minor     INTEGER NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
    currency        TEXT    NOT NULL DEFAULT '',
    -- Filled in when the batch is done (until then they are computed on read).
    succeeded       INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    refunded_minor  INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    confirmed_at    TIMESTAMP,
    done_at         TIMESTAMP
);
CREATE INDEX refund_batches_merchant ON refund_batches (merchant_id, id);
CREATE INDEX refund_batches_state ON refund_batches (state);

-- One row per data line of a sheet. state: rejected (a problem found when
-- validated), good (passed validation, no refund yet), queued (its refund
-- exists: refund_id), refused (the refund was refused on confirmation).
CREATE TABLE refund_batch_lines (
    batch_id           TEXT    NOT NULL REFERENCES refund_batches (id),
    line_no            INTEGER NOT NULL,
    merchant_order_no  TEXT    NOT NULL DEFAULT '',
    amount_text        TEXT    NOT NULL DEFAULT '',
    amount_minor       INTEGER,
    currency           TEXT    NOT NULL DEFAULT '',
    merchant_refund_no TEXT    NOT NULL DEFAULT '',
    reason             TEXT    NOT NULL DEFAULT '',
    payment_id         TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL CHECK (state IN ('rejected', 'good', 'queued', 'refused')),
    problem            TEXT    NOT NULL DEFAULT '',
    message            TEXT    NOT NULL DEFAULT '',
    refund_id          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, line_no)
);
CREATE INDEX refund_batch_lines_state ON refund_batch_lines (batch_id, state);
