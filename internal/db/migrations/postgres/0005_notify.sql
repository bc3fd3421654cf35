-- The merchant notification outbox (internal/notify). A row is written by
-- notify.Outbox.Enqueue inside the business transaction whose state change it
-- announces; body holds the exact bytes POSTed on every attempt. Dispatchers
-- on several instances claim due rows with FOR UPDATE SKIP LOCKED and push
-- next_attempt_ms forward while the delivery is in flight (the lease); the
-- claim_token fences a dispatcher whose lease ran out. Rows are never deleted:
-- delivered and failed events stay for the portal and a manual resend.
CREATE TABLE notify_events (
    id              TEXT    PRIMARY KEY,          -- evt_…
    merchant_id     TEXT    NOT NULL,
    type            TEXT    NOT NULL,             -- payment.succeeded, refund.succeeded, …
    url             TEXT    NOT NULL,             -- destination fixed at enqueue
    body            TEXT    NOT NULL,             -- the JSON body, byte for byte
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,   -- attempts made, ever; numbers notify_attempts
    failures        INTEGER NOT NULL DEFAULT 0,   -- failed attempts since enqueue or the last resend: the step in the schedule
    next_attempt_ms BIGINT  NOT NULL,             -- unix milliseconds when due; a claim pushes it forward (the lease)
    claim_token     TEXT,                         -- set while a dispatcher holds the lease
    last_status     INTEGER NOT NULL DEFAULT 0,   -- HTTP status of the last attempt, 0 if none
    last_error      TEXT    NOT NULL DEFAULT '',  -- safe text of the last attempt's error
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,                  -- the last delivery
    failed_at       TIMESTAMPTZ                   -- when the schedule ran out (cleared by a resend)
);

-- The due-claim query: pending rows in due order.
CREATE INDEX notify_events_due ON notify_events (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX notify_events_merchant ON notify_events (merchant_id, id);
CREATE INDEX notify_events_state ON notify_events (state, id);

-- One row per delivery attempt, numbered from 1 per event.
CREATE TABLE notify_attempts (
    event_id    TEXT    NOT NULL REFERENCES notify_events (id),
    attempt     INTEGER NOT NULL,
    at          TIMESTAMPTZ NOT NULL,             -- when the request started
    http_status INTEGER NOT NULL DEFAULT 0,       -- 0: no HTTP response
    error       TEXT    NOT NULL DEFAULT '',      -- safe text: no URL, no response body
    duration_ms BIGINT  NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
