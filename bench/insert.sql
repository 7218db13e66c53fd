-- pgbench: PostgreSQL's own ceiling for storing a response: the response
-- row and its answer rows, nothing else (no counters, no checks).
\set n random(1, 9000000000000000000)
BEGIN;
INSERT INTO responses (survey_id, key_id, external_id, body_hash, answers, channel)
VALUES (:survey, :key, 'pgbench-' || :client_id || '-' || :n, '\x00',
    '{"right-plan":"agree","top-priorities":["reduce-blight","enhance-public-health","reduce-crime-and-disorder"]}',
    'bench')
RETURNING id AS rid \gset
INSERT INTO response_answers (response_id, question, value) VALUES
    (:rid, 'right-plan', 'agree'),
    (:rid, 'top-priorities', 'reduce-blight'),
    (:rid, 'top-priorities', 'enhance-public-health'),
    (:rid, 'top-priorities', 'reduce-crime-and-disorder');
END;
