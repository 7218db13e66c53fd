-- 020: progress on the plan.  Initiatives (the council's actions) and
-- indicators (measures) under a plan; targets, observations, status
-- overrides and narrative updates, all append-only: a change is a new row,
-- a correction names the row it supersedes, and nothing is overwritten, so
-- what was public at any moment can be shown again (as_of).  Definitions
-- (an initiative's or an indicator's fields) are kept as versions for the
-- same reason.  Status is computed by versioned rules, published.

CREATE TABLE status_rules (
	slug		text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	version		integer NOT NULL CHECK (version > 0),
	published_at	timestamptz NOT NULL DEFAULT now(),
	definition	jsonb NOT NULL,
	PRIMARY KEY (slug, version)
);

CREATE TABLE initiatives (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id		bigint NOT NULL REFERENCES plans (id),
	slug		text NOT NULL CHECK (length(slug) <= 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (plan_id, slug)
);

-- Every version of an initiative's definition; the newest is current.
CREATE TABLE initiative_versions (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	initiative_id	bigint NOT NULL REFERENCES initiatives (id),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id),
	def		jsonb NOT NULL
);

CREATE INDEX initiative_versions_idx
	ON initiative_versions (initiative_id, recorded_at, id);

CREATE TABLE indicators (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id		bigint NOT NULL REFERENCES plans (id),
	slug		text NOT NULL CHECK (length(slug) <= 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (plan_id, slug)
);

CREATE TABLE indicator_versions (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	indicator_id	bigint NOT NULL REFERENCES indicators (id),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id),
	def		jsonb NOT NULL
);

CREATE INDEX indicator_versions_idx
	ON indicator_versions (indicator_id, recorded_at, id);

-- A target for a period: a value, or a range (min and/or max).
CREATE TABLE targets (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	indicator_id	bigint NOT NULL REFERENCES indicators (id),
	period_start	date NOT NULL,
	period_end	date NOT NULL CHECK (period_end >= period_start),
	value		numeric,
	min		numeric,
	max		numeric,
	rationale	text NOT NULL DEFAULT '' CHECK (length(rationale) <= 2000),
	supersedes	bigint UNIQUE REFERENCES targets (id),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id),
	CHECK ((value IS NOT NULL) <> (min IS NOT NULL OR max IS NOT NULL)),
	CHECK (min IS NULL OR max IS NULL OR min <= max)
);

CREATE INDEX targets_indicator_idx ON targets (indicator_id, period_end);

-- Each import of a CSV file of observations, with the file's SHA-256.
CREATE TABLE observation_imports (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id		bigint NOT NULL REFERENCES plans (id),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	rows		integer NOT NULL,
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id)
);

CREATE TABLE observations (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	indicator_id	bigint NOT NULL REFERENCES indicators (id),
	period_start	date NOT NULL,
	period_end	date NOT NULL CHECK (period_end >= period_start),
	value		numeric NOT NULL,
	quality		text NOT NULL
			CHECK (quality IN ('provisional', 'final', 'revised')),
	method		text NOT NULL DEFAULT 'api'
			CHECK (method IN ('api', 'import')),
	source_uri	text CHECK (length(source_uri) <= 2000),
	row_ref		text CHECK (length(row_ref) <= 200),
	file_sha256	text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
	import_id	bigint REFERENCES observation_imports (id),
	note		text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
	supersedes	bigint UNIQUE REFERENCES observations (id),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id)
);

CREATE INDEX observations_indicator_idx
	ON observations (indicator_id, period_end);

-- An admin's status for an indicator, with the reason; status NULL lifts
-- the override before it.
CREATE TABLE status_overrides (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	indicator_id	bigint NOT NULL REFERENCES indicators (id),
	status		text CHECK (status IN ('on_track', 'at_risk',
			    'off_track')),
	reason		text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id)
);

CREATE INDEX status_overrides_idx
	ON status_overrides (indicator_id, recorded_at, id);

-- Dated narrative updates on an initiative or an objective.
CREATE TABLE progress_updates (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id		bigint NOT NULL REFERENCES plans (id),
	initiative_id	bigint REFERENCES initiatives (id),
	objective_id	bigint REFERENCES objectives (id),
	on_date		date NOT NULL,
	reported_status	text CHECK (reported_status IN ('on_track', 'at_risk',
			    'off_track', 'completed', 'not_started')),
	progress_pct	numeric CHECK (progress_pct BETWEEN 0 AND 100),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
	author		text NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint REFERENCES api_keys (id),
	CHECK ((initiative_id IS NULL) <> (objective_id IS NULL))
);

CREATE INDEX progress_updates_idx
	ON progress_updates (plan_id, recorded_at, id);

-- The history records the new kinds of resource.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_resource_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_resource_check
	CHECK (resource IN ('plan', 'goal', 'objective', 'priorities',
	    'survey', 'key', 'response', 'initiative', 'indicator', 'target',
	    'observation', 'override', 'update', 'import'));

-- The status rule published with the service.  A new version is a new row:
-- assessments name the version they used.
INSERT INTO status_rules (slug, version, published_at, definition) VALUES
('ratio', 1, '2026-01-01T00:00:00Z', '{
  "title": "Ratio of actual to target",
  "description": "The latest observation in force is compared with the target in force for its period. For an indicator whose direction is increase, ratio = actual / target; for decrease, ratio = target / actual (the inverse: lower is better); for a range target {min, max}, ratio = 1 inside the range, actual / min below it and max / actual above it.",
  "ratio": {"increase": "actual / target", "decrease": "target / actual", "range": "1 inside [min, max]; actual / min below; max / actual above"},
  "thresholds": [
    {"status": "on_track", "ratio_at_least": 1},
    {"status": "at_risk", "ratio_at_least": 0.9},
    {"status": "off_track", "ratio_below": 0.9}
  ],
  "observation": "In force at as_of: recorded at or before as_of, its period ended on or before the as_of date, and not superseded by a correction recorded at or before as_of. The one with the latest period end is used (the latest recorded among equals).",
  "target": "In force at as_of: recorded at or before as_of and not superseded by then. The target of the observation is the one with the earliest period end on or after the observation period end, else the one with the latest period end.",
  "not_due": "No target in force, or none whose period has begun by the as_of date.",
  "no_data": "A target period has begun but no observation is in force.",
  "zero": "A zero denominator: ratio 1 when actual meets the target (increase: actual >= target; decrease: actual <= target), else 0."
}');
