-- The double-entry ledger (internal/ledger). Balances change only through
-- postings; postings are never updated or deleted.
CREATE TABLE ledger_accounts (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    currency       TEXT    NOT NULL CHECK (length(currency) = 3),
    allow_negative INTEGER NOT NULL DEFAULT 0 CHECK (allow_negative IN (0, 1)),
    -- SQLite turns an overflowing integer into a real: refuse it.
    balance_minor  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(balance_minor) = 'integer'),
    created_at     TIMESTAMP NOT NULL
);

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY,
    entry_key   TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    hash        BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE ledger_postings (
    id                  INTEGER PRIMARY KEY,
    entry_id            TEXT    NOT NULL REFERENCES ledger_entries (id),
    account_id          INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_minor        INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer'),
    currency            TEXT    NOT NULL,
    balance_after_minor INTEGER NOT NULL,
    created_at          TIMESTAMP NOT NULL
);

CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);
