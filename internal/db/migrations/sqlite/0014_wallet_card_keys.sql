-- Client keys of top-ups and withdrawals (internal/wallet): a request sent
-- again with its key (a double click, a retry, a second instance) finds
-- the row of the first instead of reaching the bank twice. Rows from before
-- keys, and callers that send none, hold NULL, which never collides.
ALTER TABLE wallet_topups ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX wallet_topups_key ON wallet_topups (account_id, idem_key);

ALTER TABLE wallet_withdrawals ADD COLUMN idem_key TEXT;
CREATE UNIQUE INDEX wallet_withdrawals_key ON wallet_withdrawals (account_id, idem_key);
