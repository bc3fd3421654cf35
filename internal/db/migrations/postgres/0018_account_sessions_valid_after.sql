-- Sessions logged in before sessions_valid_after are refused (internal/web/
-- accountweb's log-in gate compares the session's log-in time with it).
-- A password reset sets it to the reset's time, so that a session that a
-- request in flight wrote back after the reset deleted it is still out.
-- NULL: no restriction.
ALTER TABLE accounts ADD COLUMN sessions_valid_after TIMESTAMPTZ;

-- A lock-out after wrong passwords no longer turns a pending account into
-- a locked one (which a later right password made active, link unused):
-- put back the pending accounts that were locked out that way.
UPDATE accounts SET status = 'pending' WHERE status = 'locked' AND activated_at IS NULL AND locked_until IS NOT NULL;
