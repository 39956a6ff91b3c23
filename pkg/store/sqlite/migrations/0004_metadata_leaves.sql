-- 0004: metadata leaves written by the store, in a compact table.
--
-- 0003 computed the leaves of a key's metadata with a recursive view run by
-- triggers: quadratic in the number of leaves, and recompiled with every
-- INSERT. The store now flattens metadata once, in Go, at write time (the
-- same code as the in-memory query evaluator) and writes the leaves itself
-- in the transaction that writes the key. Paths are interned in
-- api_key_paths; a leaf is (path id, value, key id), each distinct leaf of
-- a key once, in a WITHOUT ROWID table whose primary key is the index that
-- metadata.<path> term, terms, prefix and range queries search.
--
-- api_key_metadata stays as a view of (key_id, path, value), for the
-- queries that read leaves by path name.

DROP TRIGGER api_keys_metadata_insert;
DROP TRIGGER api_keys_metadata_update;
DROP TRIGGER api_keys_metadata_delete;
DROP VIEW api_key_metadata_leaves;
DROP TABLE api_key_metadata_stage;

CREATE TABLE api_key_paths (
	id   INTEGER NOT NULL PRIMARY KEY,
	path TEXT    NOT NULL UNIQUE
) STRICT;

CREATE TABLE api_key_leaves (
	path_id INTEGER NOT NULL,
	value   TEXT    NOT NULL,
	key_id  TEXT    NOT NULL,
	PRIMARY KEY (path_id, value, key_id)
) STRICT, WITHOUT ROWID;

INSERT INTO api_key_paths (path) SELECT DISTINCT path FROM api_key_metadata ORDER BY path;
INSERT OR IGNORE INTO api_key_leaves (path_id, value, key_id)
	SELECT p.id, m.value, m.key_id FROM api_key_metadata AS m JOIN api_key_paths AS p ON p.path = m.path;
DROP TABLE api_key_metadata;

-- metadata (all leaves) term, terms, prefix and range.
CREATE INDEX api_key_leaves_value ON api_key_leaves (value);
-- A key's leaves (with the primary key's columns): sorting by metadata,
-- rewriting them on update, deleting them.
CREATE INDEX api_key_leaves_key ON api_key_leaves (key_id);

CREATE VIEW api_key_metadata (key_id, path, value) AS
	SELECT l.key_id, p.path, l.value FROM api_key_leaves AS l JOIN api_key_paths AS p ON p.id = l.path_id;

-- A deleted key takes its leaves along, whichever statement deletes it.
CREATE TRIGGER api_keys_leaves_delete AFTER DELETE ON api_keys BEGIN
	DELETE FROM api_key_leaves WHERE key_id = OLD.id;
END;
