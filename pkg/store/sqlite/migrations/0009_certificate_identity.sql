-- 0009: the certificate identity of cross-cluster keys.
--
-- Elasticsearch 9.3 lets a cross-cluster API key name the certificate its
-- remote cluster must present: a regular expression matched against the
-- subject DN of the client certificate. NULL for every key that has none,
-- which is every key written before this step.

ALTER TABLE api_keys ADD COLUMN certificate_identity TEXT;
