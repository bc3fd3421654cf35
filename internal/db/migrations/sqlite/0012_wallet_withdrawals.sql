-- Withdrawals from wallet balances to bank cards (internal/wallet): one
-- row per try, with the states of a top-up; the amount leaves the balance
-- (into withdrawals:pending) when the row is inserted.
CREATE TABLE wallet_withdrawals (
    id            TEXT PRIMARY KEY,
    account_id    TEXT    NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT    NOT NULL,
    bank          TEXT    NOT NULL DEFAULT '',
    card_masked   TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL CHECK (state IN ('sent', 'succeeded', 'declined', 'unknown', 'reversed')),
    response_code TEXT    NOT NULL DEFAULT '',
    message       TEXT    NOT NULL DEFAULT '',
    rrn           TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX wallet_withdrawals_account ON wallet_withdrawals (account_id, created_at);
CREATE INDEX wallet_withdrawals_open ON wallet_withdrawals (state, created_at);
