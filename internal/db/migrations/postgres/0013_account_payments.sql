-- Payments from an account balance (channel "account"): the attempt names
-- the paying account, for refunds back to it.
ALTER TABLE payment_attempts ADD COLUMN payer_account TEXT NOT NULL DEFAULT '';

-- What each account has spent from its balance on payments in its current
-- day (internal/wallet limits). One row per account and currency: the row
-- is also the lock that serialises an account's payments on PostgreSQL.
CREATE TABLE wallet_spend (
    account_id  TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    spent_minor BIGINT NOT NULL CHECK (spent_minor >= 0),
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, currency)
);
