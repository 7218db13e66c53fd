-- 004: the seed plan: City of Independence, Missouri, "Independence for All",
-- 2021 Strategic Plan Update, with its 2020-21 community survey.

INSERT INTO plans (slug, city, name, title, purpose_statement, mission, status,
    adopted_on, period_start, period_end, update_period_start, update_period_end)
VALUES ('independence-2021', 'Independence, Missouri', 'Independence for All',
    '2021 Strategic Plan Update',
    'Our quality neighborhoods, 21st century jobs, growing economy, safe, '
    'family-friendly community, and cultural diversity makes Independence, '
    'Missouri a nationally recognized city with a unique history and sense of place.',
    'Transforming our community through engagement, innovation, and sustainable services.',
    'adopted', '2017-02-06', 2017, 2021, 2021, 2022);

INSERT INTO goals (plan_id, slug, position, title, statement)
SELECT p.id, g.slug, g.position, g.title, g.statement
FROM plans p, (VALUES
	('customer-focused', 1, 'Customer-Focused',
	    'Improve customer service and communication'),
	('financially-sustainable', 2, 'Financially Sustainable',
	    'Ensure City finances are stable and sustainable'),
	('economy', 3, 'Economy',
	    'Increase economic prosperity of the community'),
	('quality', 4, 'Quality',
	    'Achieve livability, choice, access, health and safety through a quality built environment')
    ) AS g (slug, position, title, statement)
WHERE p.slug = 'independence-2021';

INSERT INTO objectives (plan_id, goal_id, slug, position, title)
SELECT p.id, g.id, o.slug, o.position, o.title
FROM plans p
JOIN (VALUES
	('customer-focused', 'improve-customer-experience-and-service', 1,
	    'Improve customer experience and service'),
	('customer-focused', 'communicate-more-effectively-internally-and-externally', 2,
	    'Communicate more effectively internally and externally'),
	('financially-sustainable', 'control-long-term-costs', 3,
	    'Control long-term costs'),
	('financially-sustainable', 'increase-efficient-use-of-financial-and-human-resources', 4,
	    'Increase efficient use of financial and human resources'),
	('financially-sustainable', 'improve-long-range-financial-planning-and-decision-making', 5,
	    'Improve long-range financial planning and decision-making'),
	('economy', 'attract-and-retain-quality-employers', 6,
	    'Attract and retain quality employers'),
	('economy', 'grow-business-and-industry', 7,
	    'Grow business and industry'),
	('quality', 'reduce-blight', 8, 'Reduce blight'),
	('quality', 'improve-visual-appearance', 9, 'Improve visual appearance'),
	('quality', 'improve-public-infrastructure-and-facilities', 10,
	    'Improve public infrastructure and facilities'),
	('quality', 'reduce-crime-and-disorder', 11, 'Reduce crime and disorder'),
	('quality', 'increase-perception-of-safety', 12,
	    'Increase perception of safety'),
	('quality', 'enhance-public-health', 13, 'Enhance public health'),
	('quality', 'stabilize-and-revitalize-neighborhoods', 14,
	    'Stabilize and revitalize neighborhoods')
    ) AS o (goal_slug, slug, position, title) ON true
JOIN goals g ON g.plan_id = p.id AND g.slug = o.goal_slug
WHERE p.slug = 'independence-2021';

INSERT INTO priority_sets (plan_id, year, decided_on, decided_by)
SELECT id, 2021, '2021-01-21', 'City Council'
FROM plans WHERE slug = 'independence-2021';

INSERT INTO priorities (plan_id, year, rank, objective_id)
SELECT p.id, 2021, r.rank, o.id
FROM plans p
JOIN (VALUES
	(1, 'reduce-crime-and-disorder'),
	(2, 'enhance-public-health'),
	(3, 'reduce-blight'),
	(4, 'stabilize-and-revitalize-neighborhoods'),
	(5, 'communicate-more-effectively-internally-and-externally')
    ) AS r (rank, slug) ON true
JOIN objectives o ON o.plan_id = p.id AND o.slug = r.slug
WHERE p.slug = 'independence-2021';

-- The survey ran from 2 November 2020 to 15 January 2021, Central time;
-- closes_at is the first instant after the window.
INSERT INTO surveys (plan_id, slug, title, description, opens_at, closes_at,
    timezone, status)
SELECT id, 'community-survey-2020-21', '2020-21 Community Survey',
    'Community members watched a video about the strategic plan updates, '
    'then answered two questions. The City Council reviewed the input on '
    '2021-01-21 and set the 2021 top priorities.',
    '2020-11-02 00:00:00 America/Chicago', '2021-01-16 00:00:00 America/Chicago',
    'America/Chicago', 'closed'
FROM plans WHERE slug = 'independence-2021';

INSERT INTO survey_questions (survey_id, qid, position, prompt, type, required,
    min_choices, max_choices)
SELECT s.id, q.qid, q.position, q.prompt, q.type, true, q.min_c, q.max_c
FROM surveys s, (VALUES
	('right-plan', 1, 'Is this the right plan to improve Independence for All?',
	    'agreement', NULL::integer, NULL::integer),
	('top-priorities', 2,
	    'What are your top three community priorities for 2020-2021?',
	    'objectives', 1, 3)
    ) AS q (qid, position, prompt, type, min_c, max_c)
WHERE s.slug = 'community-survey-2020-21';
