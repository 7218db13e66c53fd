"""The seed data the service must serve, as the HTTP tests expect it.

This transcribes the plan document: the City of Independence, Missouri,
"Independence for All - 2021 Strategic Plan Update" (goals, goal statements,
objectives in plan order, the City Council's 2021 priorities of 2021-01-21 and
the 2020-21 community survey), as read from the published PDF, together with
the field names and ids of the API contract. It is copied here on purpose: the
repository must not depend on files outside itself. Titles are exactly as
written in the plan; do not "tidy" them.
"""

PLAN_ID = "independence-2021"
CURRENT = "current"  # alias of the newest adopted plan

PLAN_SUMMARY = {
    "id": "independence-2021",
    "city": "Independence, Missouri",
    "name": "Independence for All",
    "title": "2021 Strategic Plan Update",
    "status": "adopted",
    "adopted_on": "2017-02-06",
    "period": {"start": 2017, "end": 2021},
    "update_period": {"start": 2021, "end": 2022},
}

PURPOSE_STATEMENT = (
    "Our quality neighborhoods, 21st century jobs, growing economy, safe, "
    "family-friendly community, and cultural diversity makes Independence, "
    "Missouri a nationally recognized city with a unique history and sense of place."
)

MISSION = (
    "Transforming our community through engagement, innovation, and "
    "sustainable services."
)

# (goal id, title, goal statement, [(objective id, objective title), ...]),
# goals and objectives in plan order.
_GOALS = [
    ("customer-focused", "Customer-Focused",
     "Improve customer service and communication", [
         ("improve-customer-experience-and-service",
          "Improve customer experience and service"),
         ("communicate-more-effectively-internally-and-externally",
          "Communicate more effectively internally and externally"),
     ]),
    ("financially-sustainable", "Financially Sustainable",
     "Ensure City finances are stable and sustainable", [
         ("control-long-term-costs", "Control long-term costs"),
         ("increase-efficient-use-of-financial-and-human-resources",
          "Increase efficient use of financial and human resources"),
         ("improve-long-range-financial-planning-and-decision-making",
          "Improve long-range financial planning and decision-making"),
     ]),
    ("economy", "Economy",
     "Increase economic prosperity of the community", [
         ("attract-and-retain-quality-employers",
          "Attract and retain quality employers"),
         ("grow-business-and-industry", "Grow business and industry"),
     ]),
    ("quality", "Quality",
     "Achieve livability, choice, access, health and safety through a "
     "quality built environment", [
         ("reduce-blight", "Reduce blight"),
         ("improve-visual-appearance", "Improve visual appearance"),
         ("improve-public-infrastructure-and-facilities",
          "Improve public infrastructure and facilities"),
         ("reduce-crime-and-disorder", "Reduce crime and disorder"),
         ("increase-perception-of-safety", "Increase perception of safety"),
         ("enhance-public-health", "Enhance public health"),
         ("stabilize-and-revitalize-neighborhoods",
          "Stabilize and revitalize neighborhoods"),
     ]),
]


def _build():
    objectives = []
    goals = []
    position = 0
    for goal_position, (gid, gtitle, statement, objs) in enumerate(_GOALS, 1):
        goal_objectives = []
        for oid, otitle in objs:
            position += 1
            obj = {"id": oid, "plan": PLAN_ID, "goal": gid,
                   "position": position, "title": otitle, "status": "active"}
            objectives.append(obj)
            goal_objectives.append(obj)
        goals.append({"id": gid, "plan": PLAN_ID, "position": goal_position,
                      "title": gtitle, "statement": statement, "status": "active",
                      "objectives": goal_objectives})
    return goals, objectives


# Goal and objective representations exactly as the API serves them.
GOALS, OBJECTIVES = _build()
GOAL_IDS = [g["id"] for g in GOALS]
OBJECTIVE_IDS = [o["id"] for o in OBJECTIVES]
GOAL_BY_ID = {g["id"]: g for g in GOALS}
OBJECTIVE_BY_ID = {o["id"]: o for o in OBJECTIVES}

# The 2021 top priorities, set by the City Council on 2021-01-21, in its order.
PRIORITY_YEAR = 2021
PRIORITY_DECIDED_ON = "2021-01-21"
PRIORITY_DECIDED_BY = "City Council"
_PRIORITY_OBJECTIVES_2021 = [
    "reduce-crime-and-disorder",
    "enhance-public-health",
    "reduce-blight",
    "stabilize-and-revitalize-neighborhoods",
    "communicate-more-effectively-internally-and-externally",
]
PRIORITIES_2021 = [
    {
        "year": PRIORITY_YEAR,
        "rank": rank,
        "objective": {"id": oid, "title": OBJECTIVE_BY_ID[oid]["title"]},
        "goal": {"id": OBJECTIVE_BY_ID[oid]["goal"],
                 "title": GOAL_BY_ID[OBJECTIVE_BY_ID[oid]["goal"]]["title"]},
        "decided_on": PRIORITY_DECIDED_ON,
        "decided_by": PRIORITY_DECIDED_BY,
    }
    for rank, oid in enumerate(_PRIORITY_OBJECTIVES_2021, 1)
]
PRIORITY_SETS = [{
    "year": PRIORITY_YEAR,
    "decided_on": PRIORITY_DECIDED_ON,
    "decided_by": PRIORITY_DECIDED_BY,
    "items": PRIORITIES_2021,
}]

PLAN_DOCUMENT_KEYS = set(PLAN_SUMMARY) | {
    "purpose_statement", "mission", "goals", "priorities"}

# The 2020-21 community survey: open 2020-11-02 to 2021-01-15 inclusive,
# Central time (closes_at is exclusive: midnight starting 2021-01-16, CST).
SURVEY_ID = "community-survey-2020-21"
SURVEY_SUMMARY_KEYS = {"id", "plan", "title", "description", "opens_at",
                       "closes_at", "timezone", "status", "results_visibility"}
SURVEY_FIXED_FIELDS = {  # everything but the free-text description
    "id": SURVEY_ID,
    "plan": PLAN_ID,
    "title": "2020-21 Community Survey",
    "opens_at": "2020-11-02T06:00:00Z",
    "closes_at": "2021-01-16T06:00:00Z",
    "timezone": "America/Chicago",
    "status": "closed",
    # Issue 3: the seed survey keeps the default; its results (82% agreed) were
    # published after it closed.
    "results_visibility": "after_close",
}
SURVEY_QUESTIONS = [
    {"id": "right-plan", "position": 1,
     "prompt": "Is this the right plan to improve Independence for All?",
     "type": "agreement", "required": True,
     "options": ["strongly_disagree", "disagree", "neutral", "agree",
                 "strongly_agree"]},
    {"id": "top-priorities", "position": 2,
     "prompt": "What are your top three community priorities for 2020-2021?",
     "type": "objectives", "required": True, "min": 1, "max": 3},
]
