/*
 * civic-admin: make the first admin key (and others) from the command line.
 *
 *	civic-admin create-key --name NAME [--role admin|partner]
 *	    [--survey SLUG]...
 *
 * Talks to the database named by DATABASE_URL.  The key is printed once,
 * on standard output; only its SHA-256 is stored.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "civic.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: civic-admin create-key --name NAME "
	    "[--role admin|partner] [--survey SLUG]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name",	required_argument,	NULL,	'n' },
		{ "role",	required_argument,	NULL,	'r' },
		{ "survey",	required_argument,	NULL,	's' },
		{ NULL,		0,			NULL,	0 },
	};
	PGconn		*pg;
	PGresult	*res;
	const char	*name, *role, *url, *surveys[32], *values[6];
	char		 key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char		 prefix[13], err[512], *conninfo;
	unsigned char	 hash[APIKEY_HASH_LEN];
	int		 ch, nsurveys, i, status, lengths[6], formats[6];

	name = NULL;
	role = "admin";
	nsurveys = 0;

	if (argc < 2 || strcmp(argv[1], "create-key") != 0)
		usage();
	optind = 2;
	while ((ch = getopt_long(argc, argv, "n:r:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 's':
			if (nsurveys == 32)
				usage();
			surveys[nsurveys++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (name == NULL || (strcmp(role, "admin") && strcmp(role, "partner")))
		usage();

	if ((url = getenv("DATABASE_URL")) == NULL || *url == '\0') {
		fprintf(stderr, "civic-admin: DATABASE_URL is not set\n");
		return (1);
	}
	if ((conninfo = conninfo_build(url, err, sizeof(err))) == NULL) {
		fprintf(stderr, "civic-admin: %s\n", err);
		return (1);
	}
	/* From here on every failure goes to out: nothing is left behind. */
	status = 1;
	res = NULL;
	pg = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "civic-admin: %s", PQerrorMessage(pg));
		goto out;
	}

	if (apikey_generate(key, id) == -1) {
		fprintf(stderr, "civic-admin: no randomness\n");
		goto out;
	}
	apikey_hash(key, hash);
	memcpy(prefix, key, sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';

	res = PQexec(pg, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "civic-admin: %s", PQerrorMessage(pg));
		goto out;
	}
	PQclear(res);

	values[0] = id;		lengths[0] = 0;	formats[0] = 0;
	values[1] = name;	lengths[1] = 0;	formats[1] = 0;
	values[2] = role;	lengths[2] = 0;	formats[2] = 0;
	values[3] = prefix;	lengths[3] = 0;	formats[3] = 0;
	values[4] = (const char *)hash;
	lengths[4] = APIKEY_HASH_LEN;
	formats[4] = 1;

	res = PQexecParams(pg, "INSERT INTO api_keys (public_id, name, role, "
	    "prefix, secret_hash) VALUES ($1, $2, $3, $4, $5)", 5, NULL,
	    values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "civic-admin: %s", PQerrorMessage(pg));
		goto out;
	}
	PQclear(res);

	for (i = 0; i < nsurveys; i++) {
		values[0] = id;
		values[1] = surveys[i];
		res = PQexecParams(pg, "INSERT INTO api_key_surveys (key_id, "
		    "survey_id) SELECT k.id, s.id FROM api_keys k, surveys s "
		    "WHERE k.public_id = $1 AND s.slug = $2", 2, NULL, values,
		    NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK ||
		    strcmp(PQcmdTuples(res), "1") != 0) {
			fprintf(stderr, "civic-admin: no survey '%s'\n",
			    surveys[i]);
			goto out;
		}
		PQclear(res);
	}

	res = PQexec(pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "civic-admin: %s", PQerrorMessage(pg));
		goto out;
	}

	fprintf(stderr, "created %s key %s (%s); it is shown once:\n", role, id,
	    name);
	printf("%s\n", key);
	status = 0;

out:
	/* An open transaction is rolled back when the connection closes. */
	PQclear(res);
	PQfinish(pg);
	explicit_bzero(key, sizeof(key));
	return (status);
}
