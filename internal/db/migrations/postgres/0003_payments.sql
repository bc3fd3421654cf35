-- Merchants, their API keys, and payments with their attempts
-- (internal/merchant, internal/payment).
CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT    NOT NULL,
    notify_url  TEXT    NOT NULL DEFAULT '',
    fee_rate_bps     BIGINT NOT NULL DEFAULT 0 CHECK (fee_rate_bps BETWEEN 0 AND 10000),
    fee_fixed_minor  BIGINT NOT NULL DEFAULT 0 CHECK (fee_fixed_minor >= 0),
    fee_min_minor    BIGINT NOT NULL DEFAULT 0 CHECK (fee_min_minor >= 0),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE merchant_keys (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    sign_type   TEXT NOT NULL CHECK (sign_type IN ('RSA2', 'ED25519')),
    public_key_pem TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX merchant_keys_merchant ON merchant_keys (merchant_id);

CREATE TABLE payments (
    id                TEXT PRIMARY KEY,
    merchant_id       TEXT    NOT NULL REFERENCES merchants (id),
    merchant_order_no TEXT    NOT NULL,
    amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
    currency          TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    notify_url        TEXT    NOT NULL DEFAULT '',
    return_url        TEXT    NOT NULL DEFAULT '',
    payer_email       TEXT    NOT NULL DEFAULT '',
    methods           TEXT    NOT NULL DEFAULT 'bankcard',
    status            TEXT    NOT NULL CHECK (status IN ('created', 'processing', 'succeeded', 'closed')),
    fee_minor         BIGINT NOT NULL DEFAULT 0,
    refunded_minor    BIGINT NOT NULL DEFAULT 0,
    expires_at        TIMESTAMPTZ NOT NULL,
    paid_at           TIMESTAMPTZ,
    closed_at         TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, merchant_order_no)
);
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at, id);
CREATE INDEX payments_due ON payments (status, expires_at);

CREATE TABLE payment_attempts (
    id            TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL REFERENCES payments (id),
    channel       TEXT NOT NULL,
    bank          TEXT NOT NULL DEFAULT '',
    card_masked   TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL CHECK (state IN ('sent', 'approved', 'declined', 'unknown', 'reversed')),
    response_code TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    stan          TEXT NOT NULL DEFAULT '',
    transmission_time TEXT NOT NULL DEFAULT '',
    rrn           TEXT NOT NULL DEFAULT '',
    auth_code     TEXT NOT NULL DEFAULT '',
    reversal_id   TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_attempts_payment ON payment_attempts (payment_id, created_at);
CREATE INDEX payment_attempts_reversal ON payment_attempts (reversal_id);
