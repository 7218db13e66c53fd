-- 005: API keys.  A key is shown once, at creation; only its SHA-256 is
-- stored.  public_id names the key in URLs and logs; prefix is the key's
-- first characters, so a person can recognise it.

CREATE TABLE api_keys (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	public_id		text NOT NULL UNIQUE
				CHECK (public_id ~ '^key_[0-9a-f]{16}$'),
	name			text NOT NULL
				CHECK (name <> '' AND length(name) <= 100),
	role			text NOT NULL CHECK (role IN ('admin', 'partner')),
	prefix			text NOT NULL,
	secret_hash		bytea NOT NULL UNIQUE
				CHECK (length(secret_hash) = 32),
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_used_at		timestamptz,
	revoked_at		timestamptz
);

-- A partner key limited to named surveys (no rows: any survey).
CREATE TABLE api_key_surveys (
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	PRIMARY KEY (key_id, survey_id)
);
