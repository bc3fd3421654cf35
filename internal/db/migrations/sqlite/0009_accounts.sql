-- Email accounts (internal/account, MISSION K1): registration, activation,
-- log-in with lock-out, password reset, and the sessions of logged-in users.
--
-- email is the canonical form (account.NormalizeEmail: trimmed, all
-- lower-case) and is the login. password_hash is an argon2id PHC string; no
-- other form of the password is ever stored. status: pending until the
-- activation link is used; locked while locked_until is in the future (or
-- for good when locked_until is NULL, for operators); active otherwise.
-- failed_logins counts failures since failed_since (the lock-out window).
CREATE TABLE accounts (
    id            TEXT      PRIMARY KEY,
    email         TEXT      NOT NULL UNIQUE,
    kind          TEXT      NOT NULL CHECK (kind IN ('personal', 'enterprise')),
    company       TEXT      NOT NULL DEFAULT '',
    status        TEXT      NOT NULL CHECK (status IN ('pending', 'active', 'locked')),
    password_hash TEXT      NOT NULL,
    failed_logins INTEGER   NOT NULL DEFAULT 0,
    failed_since  TIMESTAMP,
    locked_until  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    activated_at  TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (kind = 'personal' OR company <> '')
);

-- Single-use links mailed to an account's address. Only the SHA-256 of the
-- random token is kept, so a copy of the database opens no account. A token
-- is used at most once (used_at) and never after expires_at.
CREATE TABLE account_tokens (
    token_hash TEXT      PRIMARY KEY,  -- hex SHA-256 of the 32 random bytes
    account_id TEXT      NOT NULL REFERENCES accounts (id),
    purpose    TEXT      NOT NULL CHECK (purpose IN ('activate', 'reset')),
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);

-- Browser sessions (github.com/alexedwards/scs/v2 store), shared by every
-- instance on the database. token is scs's random session token; data is
-- scs's encoding of the session. account_id copies the logged-in account
-- out of data ('' when none), so that a password reset can end every
-- session of the account.
CREATE TABLE sessions (
    token      TEXT        PRIMARY KEY,
    data       BLOB        NOT NULL,
    expiry     TIMESTAMP   NOT NULL,
    account_id TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_expiry ON sessions (expiry);
CREATE INDEX sessions_account ON sessions (account_id);
