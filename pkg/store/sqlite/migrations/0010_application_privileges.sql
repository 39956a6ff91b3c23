-- Application privileges: a name an application gives to a set of its
-- actions, as Elasticsearch's put privileges API stores them. actions is
-- a JSON array of strings in the order written (without repeats),
-- metadata the JSON object as written.

CREATE TABLE application_privileges (
	application TEXT NOT NULL,
	name        TEXT NOT NULL,
	actions     TEXT NOT NULL,
	metadata    TEXT NOT NULL,
	PRIMARY KEY (application, name)
) STRICT, WITHOUT ROWID;
