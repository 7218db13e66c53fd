-- 011: the plan becomes editable.  Goals and objectives can be archived
-- (they stay readable, and out of the plan document); draft plans are for
-- admins only; every item carries the ETag its writes test If-Match
-- against; a year's priorities get a resource of their own.

ALTER TABLE goals ADD COLUMN status text NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'archived'));

ALTER TABLE objectives ADD COLUMN status text NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'archived'));

-- When the plan was first adopted: from then on its ids (slugs) are fixed
-- and it cannot return to draft.
ALTER TABLE plans ADD COLUMN first_adopted_at timestamptz;

UPDATE plans SET first_adopted_at = now() WHERE status <> 'draft';

ALTER TABLE plans ADD CHECK (status <> 'draft' OR first_adopted_at IS NULL);
