-- Pay-to-email claims (internal/wallet): money sent to an email address
-- with no active account is held until that address activates an account,
-- or returned to the sender when the claim expires.
CREATE TABLE wallet_claims (
    id           TEXT PRIMARY KEY,
    from_account TEXT    NOT NULL,
    to_email     TEXT    NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL CHECK (state IN ('held', 'claimed', 'returned')),
    claimed_by   TEXT    NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    resolved_at  TIMESTAMPTZ
);
CREATE INDEX wallet_claims_email ON wallet_claims (to_email, state);
CREATE INDEX wallet_claims_due ON wallet_claims (state, expires_at);
