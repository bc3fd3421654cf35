-- The nonce store of merchant request signatures (internal/auth).
-- A row says: this merchant used this nonce, and reusing it before
-- expires_ms is a replay. Rows are pruned once expired; an expired row that
-- is still here is overwritten, not counted as a replay. Instances sharing
-- the database see each other's nonces: the primary key decides.
CREATE TABLE auth_nonces (
    merchant_id TEXT        NOT NULL,
    nonce       TEXT        NOT NULL,
    expires_ms  BIGINT      NOT NULL,  -- unix milliseconds
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, nonce)
);

CREATE INDEX auth_nonces_expiry ON auth_nonces (expires_ms);
