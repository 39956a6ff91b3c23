-- 0002: keys bound to networks.
--
-- An API key may name the client networks it can be used from: CIDR
-- prefixes, and "local" for callers with no network address (the Unix
-- socket, --db), joined by commas. NULL for a key usable from anywhere,
-- which is every key written before this step.

ALTER TABLE api_keys ADD COLUMN allowed_networks text;
