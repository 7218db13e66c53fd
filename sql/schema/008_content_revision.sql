-- 008: a revision number for the published data.  Every change to the
-- tables the api_* views read bumps it, in the same transaction; workers
-- poll it and reload their snapshot when it moves.

CREATE TABLE content_revision (
	id			integer PRIMARY KEY CHECK (id = 1),
	revision		bigint NOT NULL
);

INSERT INTO content_revision VALUES (1, 1);
