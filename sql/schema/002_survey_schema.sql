-- 002: community surveys and their typed questions.

CREATE TABLE surveys (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	plan_id			bigint NOT NULL REFERENCES plans (id),
	slug			slug NOT NULL UNIQUE,
	title			text NOT NULL CHECK (title <> ''),
	description		text NOT NULL DEFAULT '',
	opens_at		timestamptz NOT NULL,
	closes_at		timestamptz NOT NULL,
	timezone		text NOT NULL DEFAULT 'UTC',
	status			text NOT NULL DEFAULT 'draft'
				CHECK (status IN ('draft', 'open', 'closed')),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (closes_at > opens_at)
);

-- Question ids are slugs unique within their survey.  Type-specific limits:
-- objectives and choices take min/max choices, choice(s) take options,
-- text takes max_length.
CREATE TABLE survey_questions (
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	qid			slug NOT NULL,
	position		integer NOT NULL CHECK (position > 0),
	prompt			text NOT NULL CHECK (prompt <> ''),
	type			text NOT NULL CHECK (type IN
				('agreement', 'objectives', 'choice', 'choices', 'text')),
	required		boolean NOT NULL DEFAULT true,
	min_choices		integer CHECK (min_choices >= 0),
	max_choices		integer CHECK (max_choices >= 1),
	options			text[],
	max_length		integer CHECK (max_length BETWEEN 1 AND 10000),
	PRIMARY KEY (survey_id, qid),
	UNIQUE (survey_id, position),
	CHECK (min_choices IS NULL OR max_choices IS NULL OR min_choices <= max_choices)
);
