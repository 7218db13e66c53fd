-- 006: survey responses, idempotency records and tally counters.

ALTER TABLE surveys
	ADD COLUMN results_visibility text NOT NULL DEFAULT 'after_close'
	    CHECK (results_visibility IN ('public', 'after_close', 'admin'));

-- Partners allowed to submit to a survey (no rows: any partner key).
CREATE TABLE survey_partners (
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	PRIMARY KEY (survey_id, key_id)
);

-- A response counts exactly once: (survey, key, external_id) is unique, and
-- the body's canonical hash tells a retry from a conflicting submission.
CREATE TABLE responses (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	public_id		uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	external_id		text NOT NULL
				CHECK (length(external_id) BETWEEN 1 AND 200),
	body_hash		bytea NOT NULL,
	answers			jsonb NOT NULL,
	submitted_at		timestamptz,
	channel			text CHECK (length(channel) <= 50),
	created_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	-- The writing transaction: listings order by (txid, id) and show only
	-- rows older than every transaction still running, so that a page
	-- never skips a row that commits later.
	txid			xid8 NOT NULL DEFAULT pg_current_xact_id(),
	voided_at		timestamptz,
	void_reason		text,
	UNIQUE (survey_id, key_id, external_id),
	CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);

CREATE INDEX responses_survey_order_idx ON responses (survey_id, txid, id);

-- One row per chosen value: an agreement level, an option, an objective's
-- id.  Objectives are named by their slug, not by a foreign key, on
-- purpose: a key check locks the referenced row, and every submission
-- choosing the same objectives then queues on those few rows (measured: a
-- quarter of the submission rate).  They are checked when the response is
-- stored (api_store_response).
CREATE TABLE response_answers (
	response_id		bigint NOT NULL REFERENCES responses (id),
	question		text NOT NULL,
	value			text NOT NULL,
	PRIMARY KEY (response_id, question, value)
);

-- Idempotency-Key records, scoped to the API key that sent them, kept at
-- least 24 hours (expired ones are ignored, and purged now and then by
-- api_submit_response).
CREATE TABLE idempotency_keys (
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	idem_key		text NOT NULL,
	request_hash		bytea NOT NULL,
	status			integer NOT NULL,
	body			text NOT NULL,
	location		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key_id, idem_key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Counters, spread over 64 shards so that concurrent submissions do not
-- queue on the same rows: a tally is the sum over shards.  question ''
-- holds the survey's 'accepted' and 'voided' counts (counted responses are
-- their difference; their sum is a version that moves whenever a number
-- does); each question has a bucket per value chosen, and a multi-valued
-- question (objectives, choices) '~answered', the responses that answered
-- it.  A low fill factor spreads the hot rows over many pages.
CREATE TABLE tally_counters (
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	question		text NOT NULL,
	bucket			text NOT NULL,
	shard			smallint NOT NULL,
	n			bigint NOT NULL,
	PRIMARY KEY (survey_id, question, bucket, shard)
) WITH (fillfactor = 10);

-- The surveys there are already (the seed) get their counter rows, made as
-- api_tally_prepare (sql/api/tallies.sql) makes them for a new survey.
INSERT INTO tally_counters (survey_id, question, bucket, shard, n)
SELECT b.survey_id, b.question, b.bucket, sh, 0
FROM generate_series(0, 63) AS sh, (
	SELECT s.id AS survey_id, '' AS question, 'accepted' AS bucket
	FROM surveys s
	UNION ALL SELECT s.id, '', 'voided' FROM surveys s
	UNION ALL
	SELECT q.survey_id, q.qid, v FROM survey_questions q,
	    unnest(ARRAY['strongly_disagree', 'disagree', 'neutral',
	    'agree', 'strongly_agree']) AS v
	WHERE q.type = 'agreement'
	UNION ALL
	SELECT q.survey_id, q.qid, v FROM survey_questions q,
	    unnest(q.options) AS v
	WHERE q.type IN ('choice', 'choices')
	UNION ALL
	SELECT q.survey_id, q.qid, o.slug FROM survey_questions q
	JOIN surveys s ON s.id = q.survey_id
	JOIN objectives o ON o.plan_id = s.plan_id
	WHERE q.type = 'objectives'
	UNION ALL
	SELECT q.survey_id, q.qid, '~answered' FROM survey_questions q
	WHERE q.type IN ('objectives', 'choices')
) AS b
ORDER BY b.survey_id, sh, b.question, b.bucket;
