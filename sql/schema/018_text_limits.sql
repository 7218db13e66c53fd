-- The longest text each column may hold: the lengths the API takes on a
-- write (sql/api), kept by the tables too, so that a row written with
-- plain SQL cannot hold more than docs/openapi.json promises readers
-- (maxLength).  Lengths are in characters, as length() counts them and as
-- JSON Schema's maxLength does.
ALTER TABLE plans
	ADD CONSTRAINT plans_city_length CHECK (length(city) <= 200),
	ADD CONSTRAINT plans_name_length CHECK (length(name) <= 200),
	ADD CONSTRAINT plans_title_length CHECK (length(title) <= 200),
	ADD CONSTRAINT plans_purpose_statement_length
	    CHECK (length(purpose_statement) <= 5000),
	ADD CONSTRAINT plans_mission_length CHECK (length(mission) <= 5000);
ALTER TABLE goals
	ADD CONSTRAINT goals_title_length CHECK (length(title) <= 200),
	ADD CONSTRAINT goals_statement_length CHECK (length(statement) <= 2000);
ALTER TABLE objectives
	ADD CONSTRAINT objectives_title_length CHECK (length(title) <= 300);
ALTER TABLE priority_sets
	ADD CONSTRAINT priority_sets_decided_by_length
	    CHECK (length(decided_by) <= 200);
-- A time zone is an IANA name (the API checks it against
-- pg_timezone_names, whose longest is 32 characters).
ALTER TABLE surveys
	ADD CONSTRAINT surveys_title_length CHECK (length(title) <= 200),
	ADD CONSTRAINT surveys_description_length
	    CHECK (length(description) <= 2000),
	ADD CONSTRAINT surveys_timezone_length CHECK (length(timezone) <= 64);
ALTER TABLE survey_questions
	ADD CONSTRAINT survey_questions_prompt_length
	    CHECK (length(prompt) <= 500);
ALTER TABLE responses
	ADD CONSTRAINT responses_void_reason_length
	    CHECK (length(void_reason) <= 500);

-- At most 50 ranked priorities a year and 50 questions a survey, as the API
-- takes them: ranks and positions are unique and from 1, so a bound on them
-- bounds their number.
ALTER TABLE priorities
	ADD CONSTRAINT priorities_rank_max CHECK (rank <= 50);
ALTER TABLE survey_questions
	ADD CONSTRAINT survey_questions_position_max CHECK (position <= 50);
