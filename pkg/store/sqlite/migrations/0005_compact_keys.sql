-- 0005: a compact key table.
--
-- Every key of an owner carries the same limited-by snapshot (hundreds of
-- bytes for a superuser): snapshots are now kept once each in
-- api_key_snapshots and a key names its own by id. Keys get an explicit
-- integer primary key, seq, which VACUUM keeps (it is the rowid, so the
-- index order, _doc, stays as it was), and metadata leaves refer to their
-- key by seq rather than by its 20-character id.

DROP VIEW api_key_metadata;
DROP TRIGGER api_keys_leaves_delete;

CREATE TABLE api_key_snapshots (
	id   INTEGER NOT NULL PRIMARY KEY,
	json TEXT    NOT NULL UNIQUE CHECK (json_valid(json))
) STRICT;

INSERT INTO api_key_snapshots (json)
	SELECT DISTINCT limited_by FROM api_keys WHERE limited_by IS NOT NULL ORDER BY rowid;

CREATE TABLE api_keys_compact (
	seq              INTEGER NOT NULL PRIMARY KEY,
	id               TEXT    NOT NULL UNIQUE,
	name             TEXT    NOT NULL,
	type             TEXT    NOT NULL,
	creation         INTEGER NOT NULL,
	expiration       INTEGER,
	invalidated      INTEGER NOT NULL DEFAULT 0 CHECK (invalidated IN (0, 1)),
	invalidation     INTEGER,
	hash             TEXT    NOT NULL,
	role_descriptors TEXT    CHECK (role_descriptors IS NULL OR json_valid(role_descriptors)),
	limited_by_id    INTEGER,
	metadata         TEXT    CHECK (metadata IS NULL OR json_valid(metadata)),
	principal        TEXT    NOT NULL,
	full_name        TEXT,
	email            TEXT,
	creator_metadata TEXT    CHECK (creator_metadata IS NULL OR json_valid(creator_metadata)),
	realm            TEXT    NOT NULL,
	realm_type       TEXT    NOT NULL,
	version          INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

INSERT INTO api_keys_compact (seq, id, name, type, creation, expiration, invalidated, invalidation, hash,
		role_descriptors, limited_by_id, metadata, principal, full_name, email, creator_metadata,
		realm, realm_type, version)
	SELECT k.rowid, k.id, k.name, k.type, k.creation, k.expiration, k.invalidated, k.invalidation, k.hash,
		k.role_descriptors, s.id, k.metadata, k.principal, k.full_name, k.email, k.creator_metadata,
		k.realm, k.realm_type, k.version
	FROM api_keys AS k LEFT JOIN api_key_snapshots AS s ON s.json = k.limited_by;

CREATE TABLE api_key_leaves_compact (
	path_id INTEGER NOT NULL,
	value   TEXT    NOT NULL,
	key_seq INTEGER NOT NULL,
	PRIMARY KEY (path_id, value, key_seq)
) STRICT, WITHOUT ROWID;

INSERT INTO api_key_leaves_compact (path_id, value, key_seq)
	SELECT l.path_id, l.value, k.seq FROM api_key_leaves AS l JOIN api_keys_compact AS k ON k.id = l.key_id;

DROP TABLE api_key_leaves;
DROP TABLE api_keys;
ALTER TABLE api_keys_compact RENAME TO api_keys;
ALTER TABLE api_key_leaves_compact RENAME TO api_key_leaves;

-- The indexes of 0001 to 0004, on the new tables.
CREATE INDEX api_keys_name ON api_keys (name);
CREATE INDEX api_keys_owner ON api_keys (principal, realm);
CREATE INDEX api_keys_creation ON api_keys (creation, id);
CREATE INDEX api_keys_expiration ON api_keys (expiration);
CREATE INDEX api_keys_invalidated ON api_keys (invalidated);
CREATE INDEX api_keys_invalidation ON api_keys (invalidation) WHERE invalidated = 1;
CREATE INDEX api_keys_realm ON api_keys (realm);
CREATE INDEX api_keys_type ON api_keys (type);
CREATE INDEX api_keys_invalidation_time ON api_keys (invalidation);
CREATE INDEX api_key_leaves_value ON api_key_leaves (value);
CREATE INDEX api_key_leaves_key ON api_key_leaves (key_seq);

CREATE VIEW api_key_metadata (key_id, path, value) AS
	SELECT k.id, p.path, l.value
	FROM api_key_leaves AS l
	JOIN api_key_paths AS p ON p.id = l.path_id
	JOIN api_keys AS k ON k.seq = l.key_seq;

CREATE TRIGGER api_keys_leaves_delete AFTER DELETE ON api_keys BEGIN
	DELETE FROM api_key_leaves WHERE key_seq = OLD.seq;
END;
