-- 0001: the initial schema of apikeyd.
--
-- Times are epoch milliseconds. JSON columns hold the exact text the service
-- gave; NULL is an absent (empty) value.

PRAGMA application_id = 1634757476; -- 0x61706B64, "apkd"

CREATE TABLE api_keys (
	id               TEXT    NOT NULL PRIMARY KEY,
	name             TEXT    NOT NULL,
	type             TEXT    NOT NULL,
	creation         INTEGER NOT NULL,
	expiration       INTEGER,
	invalidated      INTEGER NOT NULL DEFAULT 0 CHECK (invalidated IN (0, 1)),
	invalidation     INTEGER,
	hash             TEXT    NOT NULL,
	role_descriptors TEXT    CHECK (role_descriptors IS NULL OR json_valid(role_descriptors)),
	limited_by       TEXT    CHECK (limited_by IS NULL OR json_valid(limited_by)),
	metadata         TEXT    CHECK (metadata IS NULL OR json_valid(metadata)),
	principal        TEXT    NOT NULL,
	full_name        TEXT,
	email            TEXT,
	creator_metadata TEXT    CHECK (creator_metadata IS NULL OR json_valid(creator_metadata)),
	realm            TEXT    NOT NULL,
	realm_type       TEXT    NOT NULL,
	version          INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- Exact name and name prefix (a range on the BINARY collation).
CREATE INDEX api_keys_name ON api_keys (name);
-- Keys of an owner.
CREATE INDEX api_keys_owner ON api_keys (principal, realm);
-- The order FindAPIKeys returns.
CREATE INDEX api_keys_creation ON api_keys (creation, id);
-- Expiry sweeps and ActiveAt.
CREATE INDEX api_keys_expiration ON api_keys (expiration);
-- ExcludeInvalidated.
CREATE INDEX api_keys_invalidated ON api_keys (invalidated);

CREATE TABLE users (
	username      TEXT    NOT NULL PRIMARY KEY,
	password_hash TEXT    NOT NULL,
	roles         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(roles) AND json_type(roles) = 'array'),
	full_name     TEXT,
	email         TEXT,
	metadata      TEXT    CHECK (metadata IS NULL OR json_valid(metadata)),
	enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	reserved      INTEGER NOT NULL CHECK (reserved IN (0, 1))
) STRICT;

CREATE TABLE roles (
	name       TEXT NOT NULL PRIMARY KEY,
	descriptor TEXT CHECK (descriptor IS NULL OR json_valid(descriptor))
) STRICT;
