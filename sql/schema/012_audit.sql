-- 012: the history of every change to the plan, surveys and keys.
--
-- The API's write functions record each change as the API shows it (who,
-- when, what, before and after), in the transaction that makes it.  Any
-- other change, a plain UPDATE in psql say, is recorded too, row by row, by
-- deferred triggers on every table concerned: these run at commit and
-- record each changed row, unless the transaction recorded itself through
-- the API.  So no path writes these tables without a record.

CREATE TABLE audit_log (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT now(),
	-- The writing transaction: lists order by (txid, id), as responses.
	txid			xid8 NOT NULL DEFAULT pg_current_xact_id(),
	source			text NOT NULL CHECK (source IN ('api', 'row')),
	key_id			bigint REFERENCES api_keys (id),
	db_user			text NOT NULL DEFAULT session_user,
	request_id		text,
	plan_id			bigint,
	resource		text NOT NULL CHECK (resource IN ('plan', 'goal',
				    'objective', 'priorities', 'survey', 'key',
				    'response')),
	path			text,
	action			text NOT NULL
				CHECK (action IN ('create', 'update', 'delete')),
	before			json,
	after			json
);

CREATE INDEX audit_log_order_idx ON audit_log (txid, id);

CREATE INDEX audit_log_plan_idx ON audit_log (plan_id, txid, id);
