-- 0001: the schema of apikeyd on PostgreSQL.
--
-- Times are epoch milliseconds (bigint). JSON columns are json, which keeps
-- the exact text the service gave (jsonb would normalise it, and the store
-- returns JSON byte for byte); NULL is an absent (empty) value. Every text
-- column compares byte by byte (COLLATE "C"), as SQLite's BINARY collation
-- and the in-memory query evaluator do, whatever the database's locale.

-- The change counter behind Store.Generation: every write transaction
-- increments it first, which also serialises the writers.
CREATE TABLE store_generation (
	id integer NOT NULL PRIMARY KEY CHECK (id = 1),
	n  bigint  NOT NULL
);
INSERT INTO store_generation (id, n) VALUES (1, 1);

CREATE TABLE api_keys (
	-- seq is the index order, the _doc sort of the query API.
	seq              bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id               text     COLLATE "C" NOT NULL UNIQUE,
	name             text     COLLATE "C" NOT NULL,
	type             text     COLLATE "C" NOT NULL,
	creation         bigint   NOT NULL,
	expiration       bigint,
	invalidated      smallint NOT NULL DEFAULT 0 CHECK (invalidated IN (0, 1)),
	invalidation     bigint,
	hash             text     NOT NULL,
	role_descriptors json,
	limited_by       json,
	metadata         json,
	principal        text     COLLATE "C" NOT NULL,
	full_name        text,
	email            text,
	creator_metadata json,
	realm            text     COLLATE "C" NOT NULL,
	realm_type       text     NOT NULL,
	version          bigint   NOT NULL CHECK (version >= 1),
	-- The pattern a cross-cluster key's remote cluster certificate must
	-- match; NULL for none.
	certificate_identity text
);

CREATE INDEX api_keys_name ON api_keys (name);
CREATE INDEX api_keys_owner ON api_keys (principal, realm);
CREATE INDEX api_keys_creation ON api_keys (creation, id);
CREATE INDEX api_keys_expiration ON api_keys (expiration);
CREATE INDEX api_keys_realm ON api_keys (realm);
CREATE INDEX api_keys_type ON api_keys (type);
CREATE INDEX api_keys_invalidation ON api_keys (invalidation);
-- The retention remover: invalidated keys by invalidation instant.
CREATE INDEX api_keys_invalidated ON api_keys (invalidation) WHERE invalidated = 1;
-- The scan of the keys about to expire, in the order it pages them.
CREATE INDEX api_keys_expiring ON api_keys (expiration, id) WHERE invalidated = 0 AND expiration IS NOT NULL;

-- The leaves of each key's metadata, flattened as Elasticsearch's
-- flattened field (query.Flatten): the dotted path of object keys down to
-- each leaf, and its value as a keyword, each distinct leaf of a key once.
-- The store writes them with the key; they go with it. A B-tree entry is
-- at most about 2,700 bytes, and a value may be longer: the indexes hold
-- the first 200 characters of values, left(value, 200), which every
-- comparison of a compiled query also compares (a necessary condition of
-- the exact one, in byte order). api_key_leaves_path_value serves
-- metadata.<path> term, terms, prefix and range queries,
-- api_key_leaves_value those on metadata alone.
CREATE TABLE api_key_leaves (
	path    text   COLLATE "C" NOT NULL,
	value   text   COLLATE "C" NOT NULL,
	key_seq bigint NOT NULL REFERENCES api_keys (seq) ON DELETE CASCADE
);
CREATE INDEX api_key_leaves_path_value ON api_key_leaves (path, left(value, 200));
CREATE INDEX api_key_leaves_value ON api_key_leaves (left(value, 200));
CREATE INDEX api_key_leaves_key ON api_key_leaves (key_seq);

-- When each key was last used, written in batches beside the key rows.
CREATE TABLE api_key_usage (
	id         text   COLLATE "C" NOT NULL PRIMARY KEY,
	first_used bigint NOT NULL,
	last_used  bigint NOT NULL,
	last_from  text   NOT NULL DEFAULT '',
	count      bigint NOT NULL CHECK (count >= 0)
);
CREATE INDEX api_key_usage_last_used ON api_key_usage (last_used);

-- Key lineage: a key's parent (which retention may have deleted since).
CREATE TABLE api_key_lineage (
	key_id       text   COLLATE "C" NOT NULL PRIMARY KEY,
	parent_id    text   COLLATE "C" NOT NULL,
	relation     text   NOT NULL CHECK (relation IN ('clone', 'rotation')),
	grace_end    bigint,
	until_unused bigint CHECK (until_unused IS NULL OR until_unused > 0)
);
CREATE INDEX api_key_lineage_parent ON api_key_lineage (parent_id, key_id);
CREATE INDEX api_key_lineage_until_unused ON api_key_lineage (parent_id, key_id)
	WHERE relation = 'rotation' AND until_unused IS NOT NULL;
CREATE INDEX api_key_lineage_until_unused_key ON api_key_lineage (key_id)
	WHERE relation = 'rotation' AND until_unused IS NOT NULL;

CREATE TABLE expiry_notices (
	key_id       text    COLLATE "C" NOT NULL,
	lead         bigint  NOT NULL,
	expiration   bigint  NOT NULL,
	delivered    bigint,
	attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt bigint  NOT NULL DEFAULT 0,
	last_error   text    NOT NULL DEFAULT '',
	PRIMARY KEY (key_id, lead)
);

-- A deleted key (retention, purge) takes its usage and expiry notices
-- with it, and leaves the family: its children are handed to its own
-- parent (when it has one), and its own lineage row goes.
CREATE FUNCTION api_keys_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM api_key_usage WHERE id = OLD.id;
	DELETE FROM expiry_notices WHERE key_id = OLD.id;
	UPDATE api_key_lineage
		SET parent_id = (SELECT p.parent_id FROM api_key_lineage AS p WHERE p.key_id = OLD.id)
		WHERE parent_id = OLD.id
			AND EXISTS (SELECT 1 FROM api_key_lineage AS p WHERE p.key_id = OLD.id);
	DELETE FROM api_key_lineage WHERE key_id = OLD.id;
	RETURN NULL;
END;
$$;
CREATE TRIGGER api_keys_delete AFTER DELETE ON api_keys
	FOR EACH ROW EXECUTE FUNCTION api_keys_delete();

CREATE TABLE users (
	username      text    COLLATE "C" NOT NULL PRIMARY KEY,
	password_hash text    NOT NULL,
	roles         json    NOT NULL DEFAULT '[]',
	full_name     text,
	email         text,
	metadata      json,
	enabled       boolean NOT NULL,
	reserved      boolean NOT NULL
);

CREATE TABLE roles (
	name       text COLLATE "C" NOT NULL PRIMARY KEY,
	descriptor json
);

-- Application privileges: a name an application gives to a set of its
-- actions, as Elasticsearch's put privileges API stores them. actions is
-- a JSON array of strings in the order written (without repeats),
-- metadata the JSON object as written.
CREATE TABLE application_privileges (
	application text COLLATE "C" NOT NULL,
	name        text COLLATE "C" NOT NULL,
	actions     json NOT NULL,
	metadata    json NOT NULL,
	PRIMARY KEY (application, name)
);

-- OAuth2 access and refresh tokens: hashes of the token strings only.
CREATE TABLE tokens (
	id                  text    COLLATE "C" NOT NULL PRIMARY KEY,
	access_hash         text    NOT NULL UNIQUE,
	refresh_hash        text    UNIQUE,
	creation            bigint  NOT NULL,
	expiration          bigint  NOT NULL,
	invalidated         boolean NOT NULL DEFAULT false,
	refresh_invalidated boolean NOT NULL DEFAULT false,
	refreshed           boolean NOT NULL DEFAULT false,
	refresh_time        bigint,
	superseding         text,
	principal           text    NOT NULL,
	realm               text    NOT NULL,
	subject             json    NOT NULL,
	client              json,
	version             bigint  NOT NULL CHECK (version >= 1)
);
CREATE INDEX tokens_owner ON tokens (principal, realm);
CREATE INDEX tokens_realm ON tokens (realm);
CREATE INDEX tokens_creation ON tokens (creation, id);

CREATE TABLE expiry_policies (
	name          text COLLATE "C" NOT NULL PRIMARY KEY,
	scope         text NOT NULL CHECK (scope IN ('realm', 'user', 'role')),
	subject       text NOT NULL,
	default_value text,
	max_value     text,
	CHECK (default_value IS NOT NULL OR max_value IS NOT NULL)
);
