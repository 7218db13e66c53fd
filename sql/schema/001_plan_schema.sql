-- 001: the strategic plan: plans, goals, objectives and the council's yearly
-- priorities.  Slugs are the public identifiers; numeric ids stay internal.

CREATE DOMAIN slug AS text
	CHECK (VALUE ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(VALUE) <= 100);

CREATE TABLE plans (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug			slug NOT NULL UNIQUE,
	city			text NOT NULL,
	name			text NOT NULL,
	title			text NOT NULL,
	purpose_statement	text NOT NULL,
	mission			text NOT NULL,
	status			text NOT NULL DEFAULT 'draft'
				CHECK (status IN ('draft', 'adopted', 'archived')),
	adopted_on		date,
	period_start		integer,
	period_end		integer,
	update_period_start	integer,
	update_period_end	integer,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'adopted' OR adopted_on IS NOT NULL),
	CHECK (period_start <= period_end),
	CHECK (update_period_start <= update_period_end)
);

CREATE TABLE goals (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id			bigint NOT NULL REFERENCES plans (id),
	slug			slug NOT NULL,
	position		integer NOT NULL CHECK (position > 0),
	title			text NOT NULL CHECK (title <> ''),
	statement		text NOT NULL,
	UNIQUE (plan_id, slug),
	UNIQUE (plan_id, id),
	UNIQUE (plan_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

-- position orders the objectives across the whole plan (1..n).
CREATE TABLE objectives (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id			bigint NOT NULL,
	goal_id			bigint NOT NULL,
	slug			slug NOT NULL,
	position		integer NOT NULL CHECK (position > 0),
	title			text NOT NULL CHECK (title <> ''),
	FOREIGN KEY (plan_id, goal_id) REFERENCES goals (plan_id, id),
	UNIQUE (plan_id, slug),
	UNIQUE (plan_id, id),
	UNIQUE (plan_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

CREATE INDEX objectives_goal_idx ON objectives (goal_id);

-- One ranked list of priorities per plan and year, and who decided it when.
CREATE TABLE priority_sets (
	plan_id			bigint NOT NULL REFERENCES plans (id),
	year			integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
	decided_on		date NOT NULL,
	decided_by		text NOT NULL,
	PRIMARY KEY (plan_id, year)
);

CREATE TABLE priorities (
	plan_id			bigint NOT NULL,
	year			integer NOT NULL,
	rank			integer NOT NULL CHECK (rank > 0),
	objective_id		bigint NOT NULL,
	PRIMARY KEY (plan_id, year, rank),
	UNIQUE (plan_id, year, objective_id),
	FOREIGN KEY (plan_id, year) REFERENCES priority_sets (plan_id, year)
	    ON DELETE CASCADE,
	FOREIGN KEY (plan_id, objective_id) REFERENCES objectives (plan_id, id)
);

CREATE INDEX priorities_objective_idx ON priorities (objective_id);
