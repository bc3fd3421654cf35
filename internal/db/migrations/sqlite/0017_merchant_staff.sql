-- Merchant staff (internal/staff): the people who log in to the merchant
-- portal (/portal/) on behalf of one merchant, each with a role: admin
-- (everything), finance (refunds, refund sheets, exports; no key or
-- settings changes) or viewer (read only).
--
-- email is the canonical form (trimmed, lower-case, as accounts.email) and
-- is the login, unique across merchants. password_hash is an argon2id PHC
-- string; no other form of the password is stored. failed_logins counts
-- wrong passwords since failed_since (the lock-out window); log-in is
-- blocked while locked_until is in the future.
CREATE TABLE merchant_staff (
    id            TEXT      PRIMARY KEY,  -- stf_…
    merchant_id   TEXT      NOT NULL REFERENCES merchants (id),
    email         TEXT      NOT NULL UNIQUE,
    password_hash TEXT      NOT NULL,
    role          TEXT      NOT NULL CHECK (role IN ('admin', 'finance', 'viewer')),
    failed_logins INTEGER   NOT NULL DEFAULT 0,
    failed_since  TIMESTAMP,
    locked_until  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
CREATE INDEX merchant_staff_merchant ON merchant_staff (merchant_id);

-- The portal lists a payment's notifications: the merchant's events since
-- the payment was created that mention it (notify.Outbox.ForObject).
CREATE INDEX notify_events_merchant_created ON notify_events (merchant_id, created_at);
