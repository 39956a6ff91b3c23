-- 0002: OAuth2 access and refresh tokens (the get token API), and the index
-- the retention remover of API keys needs.
--
-- A token row keeps only SHA-256 hashes of its token strings. Times are
-- epoch milliseconds; subject and client are JSON objects.

CREATE TABLE tokens (
	id                  TEXT    NOT NULL PRIMARY KEY,
	access_hash         TEXT    NOT NULL UNIQUE,
	refresh_hash        TEXT    UNIQUE,
	creation            INTEGER NOT NULL,
	expiration          INTEGER NOT NULL,
	invalidated         INTEGER NOT NULL DEFAULT 0 CHECK (invalidated IN (0, 1)),
	refresh_invalidated INTEGER NOT NULL DEFAULT 0 CHECK (refresh_invalidated IN (0, 1)),
	refreshed           INTEGER NOT NULL DEFAULT 0 CHECK (refreshed IN (0, 1)),
	refresh_time        INTEGER,
	superseding         TEXT,
	principal           TEXT    NOT NULL,
	realm               TEXT    NOT NULL,
	subject             TEXT    NOT NULL CHECK (json_valid(subject)),
	client              TEXT    CHECK (client IS NULL OR json_valid(client)),
	version             INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- Invalidation by user, and by realm (and user).
CREATE INDEX tokens_owner ON tokens (principal, realm);
CREATE INDEX tokens_realm ON tokens (realm);
-- The removal of tokens past their 24 hours, and FindTokens' order.
CREATE INDEX tokens_creation ON tokens (creation, id);

-- The retention remover: invalidated keys by invalidation instant (expired
-- keys use api_keys_expiration).
CREATE INDEX api_keys_invalidation ON api_keys (invalidation) WHERE invalidated = 1;
