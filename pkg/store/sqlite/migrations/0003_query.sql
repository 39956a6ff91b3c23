-- 0003: what the query API keys API needs to stay on indexes.
--
-- Every field a query can name by term, terms, prefix, range or ids has an
-- index: id (primary key), name, principal (api_keys_owner), creation,
-- expiration and invalidated come from 0001; realm, type and invalidation
-- (0002's index on invalidation only covers invalidated keys) come here.
--
-- Metadata is queried as Elasticsearch's flattened field: every leaf of the
-- JSON object is a keyword, found by the dotted path of object keys down
-- to it (array positions left out) or, for "metadata" alone, by value.
-- api_key_metadata holds those leaves, one row each, kept in step with
-- api_keys.metadata by triggers so that no write path can forget them.
-- Strings are their value, numbers the exact text they were written with,
-- booleans 'true' or 'false'; nulls have no leaf.

CREATE INDEX api_keys_realm ON api_keys (realm);
CREATE INDEX api_keys_type ON api_keys (type);
CREATE INDEX api_keys_invalidation_time ON api_keys (invalidation);

CREATE TABLE api_key_metadata (
	key_id TEXT NOT NULL,
	path   TEXT NOT NULL,
	value  TEXT NOT NULL
) STRICT;

-- metadata.<path> term, terms, prefix and range.
CREATE INDEX api_key_metadata_path_value ON api_key_metadata (path, value);
-- metadata (all leaves) term, terms, prefix and range.
CREATE INDEX api_key_metadata_value ON api_key_metadata (value);
-- A key's leaves: sorting by metadata, and deleting them.
CREATE INDEX api_key_metadata_key ON api_key_metadata (key_id, path, value);

-- The key whose leaves are being computed. A trigger cannot hold a WITH
-- clause, so the recursive walk lives in the view below, over this one-row
-- table, which the triggers fill and empty within the write.
CREATE TABLE api_key_metadata_stage (
	key_id   TEXT NOT NULL,
	metadata TEXT
) STRICT;

CREATE VIEW api_key_metadata_leaves AS
WITH RECURSIVE
	nodes (key_id, metadata, node, parent, key, type, fullkey) AS (
		SELECT s.key_id, s.metadata, t.id, t.parent, t.key, t.type, t.fullkey
		FROM api_key_metadata_stage AS s, json_tree(s.metadata) AS t
		WHERE s.metadata IS NOT NULL AND json_valid(s.metadata)
	),
	paths (key_id, node, path) AS (
		SELECT key_id, node, NULL FROM nodes WHERE parent IS NULL
		UNION ALL
		SELECT n.key_id, n.node,
			CASE
				WHEN typeof(n.key) = 'integer' THEN p.path
				WHEN p.path IS NULL THEN n.key
				ELSE p.path || '.' || n.key
			END
		FROM nodes AS n JOIN paths AS p ON n.key_id = p.key_id AND n.parent = p.node
	)
SELECT n.key_id AS key_id,
	coalesce(p.path, '') AS path,
	CASE n.type
		WHEN 'true' THEN 'true'
		WHEN 'false' THEN 'false'
		WHEN 'text' THEN json_extract(n.metadata, n.fullkey)
		ELSE n.metadata -> n.fullkey
	END AS value
FROM nodes AS n JOIN paths AS p ON p.key_id = n.key_id AND p.node = n.node
WHERE n.type IN ('true', 'false', 'text', 'integer', 'real');

CREATE TRIGGER api_keys_metadata_insert AFTER INSERT ON api_keys BEGIN
	DELETE FROM api_key_metadata_stage;
	INSERT INTO api_key_metadata_stage (key_id, metadata) VALUES (NEW.id, NEW.metadata);
	INSERT INTO api_key_metadata (key_id, path, value) SELECT key_id, path, value FROM api_key_metadata_leaves;
	DELETE FROM api_key_metadata_stage;
END;

CREATE TRIGGER api_keys_metadata_update AFTER UPDATE OF id, metadata ON api_keys BEGIN
	DELETE FROM api_key_metadata WHERE key_id = OLD.id;
	DELETE FROM api_key_metadata_stage;
	INSERT INTO api_key_metadata_stage (key_id, metadata) VALUES (NEW.id, NEW.metadata);
	INSERT INTO api_key_metadata (key_id, path, value) SELECT key_id, path, value FROM api_key_metadata_leaves;
	DELETE FROM api_key_metadata_stage;
END;

CREATE TRIGGER api_keys_metadata_delete AFTER DELETE ON api_keys BEGIN
	DELETE FROM api_key_metadata WHERE key_id = OLD.id;
END;

-- The keys that exist already.
INSERT INTO api_key_metadata_stage (key_id, metadata) SELECT id, metadata FROM api_keys;
INSERT INTO api_key_metadata (key_id, path, value) SELECT key_id, path, value FROM api_key_metadata_leaves;
DELETE FROM api_key_metadata_stage;
