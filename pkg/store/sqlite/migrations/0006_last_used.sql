-- 0006: when each API key was last used.
--
-- Usage lives beside the keys, not in their rows: the daemon writes it in
-- batches (at most once per key per interval), and a key row that is
-- rewritten on every use would churn its indexes and the WAL for nothing.
-- first_used and last_used are epoch milliseconds; last_from is where the
-- last use came from (a client address, or the OS user of a socket peer);
-- count is the number of successful authentications recorded.

CREATE TABLE api_key_usage (
	id         TEXT    NOT NULL PRIMARY KEY,
	first_used INTEGER NOT NULL,
	last_used  INTEGER NOT NULL,
	last_from  TEXT    NOT NULL DEFAULT '',
	count      INTEGER NOT NULL CHECK (count >= 0)
) STRICT, WITHOUT ROWID;

-- Keys not used since an instant (range queries and sorts on last_used).
CREATE INDEX api_key_usage_last_used ON api_key_usage (last_used);

-- A deleted key (retention, purge) takes its usage with it.
CREATE TRIGGER api_keys_usage_delete AFTER DELETE ON api_keys BEGIN
	DELETE FROM api_key_usage WHERE id = OLD.id;
END;
