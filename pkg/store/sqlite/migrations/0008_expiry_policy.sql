-- 0007: expiry policies, and the record of expiry notifications.
--
-- An expiry policy names one scope of a key's owner (a realm, a user or a
-- role) and its default and maximum lifetimes, as the Elasticsearch time
-- values it was given.
--
-- An expiry notice is one notification of a key at one lead time before
-- its expiration (milliseconds), for the expiration it names: delivered,
-- or the attempts made so far. A key's notices go with it.

CREATE TABLE expiry_policies (
	name          TEXT NOT NULL PRIMARY KEY,
	scope         TEXT NOT NULL CHECK (scope IN ('realm', 'user', 'role')),
	subject       TEXT NOT NULL,
	default_value TEXT,
	max_value     TEXT,
	CHECK (default_value IS NOT NULL OR max_value IS NOT NULL)
) STRICT;

CREATE TABLE expiry_notices (
	key_id       TEXT    NOT NULL,
	lead         INTEGER NOT NULL,
	expiration   INTEGER NOT NULL,
	delivered    INTEGER,
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (key_id, lead)
) STRICT, WITHOUT ROWID;

-- The scan of the keys about to expire: a range of expirations of the
-- keys not invalidated, in the order it pages them.
CREATE INDEX api_keys_expiring ON api_keys (expiration, id) WHERE invalidated = 0 AND expiration IS NOT NULL;

CREATE TRIGGER api_keys_notices_delete AFTER DELETE ON api_keys BEGIN
	DELETE FROM expiry_notices WHERE key_id = OLD.id;
END;
