-- 017: a key's own rate limit, set by an admin: requests per window of the
-- service's rate-limit window (NULL: the service's default for keys).
-- The workers hold every live key's limit in memory; key_limits_revision
-- moves with every change to a key's limit or liveness (a trigger in
-- sql/api/keys.sql), and the workers poll it.

ALTER TABLE api_keys ADD COLUMN rate_limit integer
	CHECK (rate_limit BETWEEN 1 AND 10000000);

CREATE TABLE key_limits_revision (
	id			integer PRIMARY KEY CHECK (id = 1),
	revision		bigint NOT NULL
);

INSERT INTO key_limits_revision VALUES (1, 1);
