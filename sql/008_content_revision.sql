-- 008: a revision number for the published data.  Every change to the
-- tables the api_* views read bumps it, in the same transaction; workers
-- poll it and reload their snapshot when it moves.

CREATE TABLE content_revision (
	id			integer PRIMARY KEY CHECK (id = 1),
	revision		bigint NOT NULL
);
INSERT INTO content_revision VALUES (1, 1);

CREATE FUNCTION content_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE content_revision SET revision = revision + 1 WHERE id = 1;
	RETURN NULL;
END
$$;

CREATE TRIGGER plans_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON plans FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER goals_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON goals FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER objectives_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON objectives FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER priority_sets_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON priority_sets FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER priorities_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON priorities FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER surveys_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON surveys FOR EACH STATEMENT EXECUTE FUNCTION content_bump();
CREATE TRIGGER survey_questions_bump AFTER INSERT OR UPDATE OR DELETE
	OR TRUNCATE ON survey_questions FOR EACH STATEMENT
	EXECUTE FUNCTION content_bump();
