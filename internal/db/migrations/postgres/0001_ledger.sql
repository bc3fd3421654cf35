-- The double-entry ledger (internal/ledger). Balances change only through
-- postings; postings are never updated or deleted.
CREATE TABLE ledger_accounts (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    currency       CHAR(3) NOT NULL,
    allow_negative BOOLEAN NOT NULL DEFAULT FALSE,
    balance_minor  BIGINT  NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY,
    entry_key   TEXT  NOT NULL UNIQUE,
    description TEXT  NOT NULL,
    hash        BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE ledger_postings (
    id                  BIGSERIAL PRIMARY KEY,
    entry_id            TEXT    NOT NULL REFERENCES ledger_entries (id),
    account_id          BIGINT  NOT NULL REFERENCES ledger_accounts (id),
    amount_minor        BIGINT  NOT NULL,
    currency            CHAR(3) NOT NULL,
    balance_after_minor BIGINT  NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
