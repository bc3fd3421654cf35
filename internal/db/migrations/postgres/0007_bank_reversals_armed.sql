-- Pre-stored reversals (internal/bank): a money-moving request writes its
-- reversal as `armed` before the 0200 leaves, so that a gateway that dies
-- with the request in flight still reverses it. The owner deletes the row
-- on a definitive answer (or when nothing was sent) and turns it `pending`
-- on an unknown outcome; an `armed` row whose next_attempt_ms has passed
-- was abandoned (its owner died or hung) and any reversal worker sends it.
-- `void` is for operators: a reversal decided not to be sent (nothing in
-- the connector writes it, and no worker sends it).
-- client_ref is the caller's opaque reference of the request (≤ 64
-- printable characters, e.g. the payment attempt id), '' when none.
--
-- 0002 declared the state CHECK inline, so PostgreSQL named it
-- bank_reversals_state_check; it is replaced under the same name.
ALTER TABLE bank_reversals DROP CONSTRAINT bank_reversals_state_check;
ALTER TABLE bank_reversals ADD CONSTRAINT bank_reversals_state_check
    CHECK (state IN ('armed', 'pending', 'reversed', 'void'));
ALTER TABLE bank_reversals ADD COLUMN client_ref TEXT NOT NULL DEFAULT ''
    CONSTRAINT bank_reversals_client_ref_check CHECK (length(client_ref) <= 64);

CREATE INDEX bank_reversals_client_ref ON bank_reversals (bank, client_ref);
