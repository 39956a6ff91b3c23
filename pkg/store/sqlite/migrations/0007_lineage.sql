-- 0006: key lineage.
--
-- A key made from another (a clone of its source, the successor of a
-- rotated key) names its parent here, with the kind of relation and, for a
-- rotation, when the predecessor's grace ends and how long it may go unused
-- once the successor is in use. A side table rather than columns of
-- api_keys: few keys have a parent, the rows of api_keys stay as compact as
-- 0005 made them, and the index on parent_id finds a key's children (and,
-- step by step, all its descendants) without a scan. Ids rather than seqs,
-- so that a child still names a parent that retention deleted.

CREATE TABLE api_key_lineage (
	key_id       TEXT    NOT NULL PRIMARY KEY,
	parent_id    TEXT    NOT NULL,
	relation     TEXT    NOT NULL CHECK (relation IN ('clone', 'rotation')),
	grace_end    INTEGER,
	until_unused INTEGER CHECK (until_unused IS NULL OR until_unused > 0)
) STRICT, WITHOUT ROWID;

CREATE INDEX api_key_lineage_parent ON api_key_lineage (parent_id, key_id);

-- The rotations with an until-unused rule, which every write of the uses
-- of keys looks through: few, whatever the number of keys.
CREATE INDEX api_key_lineage_until_unused ON api_key_lineage (parent_id, key_id)
	WHERE relation = 'rotation' AND until_unused IS NOT NULL;

-- A deleted key leaves the family: its children are handed to its own
-- parent (when it has one), so that a family stays one tree when retention
-- deletes a key in the middle, and its own row goes.
CREATE TRIGGER api_keys_lineage_delete AFTER DELETE ON api_keys BEGIN
	UPDATE api_key_lineage
		SET parent_id = (SELECT p.parent_id FROM api_key_lineage AS p WHERE p.key_id = OLD.id)
		WHERE parent_id = OLD.id
			AND EXISTS (SELECT 1 FROM api_key_lineage AS p WHERE p.key_id = OLD.id);
	DELETE FROM api_key_lineage WHERE key_id = OLD.id;
END;
