/*
 * A survey response's body (answers_check in src/answers.c), read as the
 * server reads it (json_loadb, duplicates refused), against a fixed survey
 * in the shape the database publishes: the seed survey's two questions and
 * one of each other type.  The promises checked are in
 * answers_invariants.h.
 */

#include "answers_invariants.h"

static const char survey_text[] =
    "{\"id\":\"community-survey-2020-21\",\"plan\":\"independence-2021\","
    "\"title\":\"2020-21 Community Survey\",\"description\":\"\","
    "\"opens_at\":\"2020-11-02T06:00:00Z\","
    "\"closes_at\":\"2021-01-16T06:00:00Z\",\"timezone\":\"America/Chicago\","
    "\"status\":\"open\",\"questions\":["
    "{\"id\":\"right-plan\",\"position\":1,\"prompt\":\"Is this the right "
    "plan?\",\"type\":\"agreement\",\"required\":true,\"options\":["
    "\"strongly_disagree\",\"disagree\",\"neutral\",\"agree\","
    "\"strongly_agree\"]},"
    "{\"id\":\"top-priorities\",\"position\":2,\"prompt\":\"Your top three "
    "priorities?\",\"type\":\"objectives\",\"required\":true,\"min\":1,"
    "\"max\":3},"
    "{\"id\":\"heard-from\",\"position\":3,\"prompt\":\"Where did you hear "
    "of it?\",\"type\":\"choice\",\"required\":false,\"options\":[\"web\","
    "\"mail\",\"library\",\"caf\\u00e9\"]},"
    "{\"id\":\"services\",\"position\":4,\"prompt\":\"Which services do you "
    "use?\",\"type\":\"choices\",\"required\":false,\"min\":0,\"max\":2,"
    "\"options\":[\"parks\",\"transit\",\"library\"]},"
    "{\"id\":\"comments\",\"position\":5,\"prompt\":\"Anything else?\","
    "\"type\":\"text\",\"required\":false,\"max_length\":20}]}";

static const char objectives_text[] =
    "[\"improve-customer-experience-and-service\","
    "\"communicate-more-effectively-internally-and-externally\","
    "\"control-long-term-costs\","
    "\"increase-efficient-use-of-financial-and-human-resources\","
    "\"improve-long-range-financial-planning-and-decision-making\","
    "\"attract-and-retain-quality-employers\","
    "\"grow-business-and-industry\",\"reduce-blight\","
    "\"improve-visual-appearance\","
    "\"improve-public-infrastructure-and-facilities\","
    "\"reduce-crime-and-disorder\",\"increase-perception-of-safety\","
    "\"enhance-public-health\",\"stabilize-and-revitalize-neighborhoods\"]";

static json_t	*survey, *objectives;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	survey = json_loads(survey_text, 0, NULL);
	objectives = json_loads(objectives_text, 0, NULL);
	if (survey == NULL || objectives == NULL)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*body;

	/* As the server reads a body (src/rpc.c, body_json). */
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (body == NULL)
		return (0);
	fuzz_answers_check(body, survey, objectives);
	json_decref(body);
	return (0);
}
