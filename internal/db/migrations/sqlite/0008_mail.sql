-- The email outbox (internal/mail). A row is written by mail.Outbox.Enqueue
-- inside the business transaction that wants the email sent (registration,
-- a claim invitation, a password reset), so an email exists if and only if
-- that transaction commits. A dispatcher claims due rows (SQLite has one
-- writer) and pushes next_attempt_ms forward while the SMTP session is in
-- flight (the lease); claim_token fences a dispatcher whose lease ran out.
-- Rows are never deleted: the demo mailbox lists them.
CREATE TABLE mail_messages (
    id              TEXT    PRIMARY KEY,          -- msg_…
    to_addr         TEXT    NOT NULL,             -- one bare address, domain lower-cased
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,             -- text/plain part, always present
    html_body       TEXT    NOT NULL DEFAULT '',  -- text/html alternative, '' for none
    kind            TEXT    NOT NULL,             -- activation, invitation, password_reset, …
    ref             TEXT    NOT NULL DEFAULT '',  -- what it is about, e.g. an account id
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,   -- attempts made; numbers mail_attempts
    next_attempt_ms INTEGER NOT NULL,             -- unix milliseconds when due; a claim pushes it forward (the lease)
    claim_token     TEXT,                         -- set while a dispatcher holds the lease
    last_error      TEXT    NOT NULL DEFAULT '',  -- safe text of the last failed attempt
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,                    -- when a server accepted it
    failed_at       TIMESTAMP                     -- when it was given up
);

-- The due-claim query: pending rows in due order.
CREATE INDEX mail_messages_due ON mail_messages (next_attempt_ms) WHERE state = 'pending';
-- The mailbox: one recipient's messages, newest first.
CREATE INDEX mail_messages_to ON mail_messages (to_addr, id);

-- One row per delivery attempt, numbered from 1 per message.
CREATE TABLE mail_attempts (
    message_id  TEXT    NOT NULL REFERENCES mail_messages (id),
    attempt     INTEGER NOT NULL,
    at          TIMESTAMP NOT NULL,               -- when the SMTP session started
    smtp_code   INTEGER NOT NULL DEFAULT 0,       -- the server's reply code; 250 when accepted, 0 if none
    error       TEXT    NOT NULL DEFAULT '',      -- safe text: never the server's reply text or the body
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (message_id, attempt)
);
