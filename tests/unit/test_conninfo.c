/*
 * conninfo.c: the libpq connection string the service uses.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "civic.h"

#define OPTS	"-c statement_timeout=5000 " \
		"-c idle_in_transaction_session_timeout=10000 -c jit=off"

/* Build from url, which must succeed, and parse the result back. */
static PQconninfoOption *
build_parsed(const char *url, char **outp)
{
	PQconninfoOption	*opts;
	char			 err[256], *out, *msg = NULL;

	err[0] = '\0';
	out = conninfo_build(url, err, sizeof(err));
	cr_assert_not_null(out, "'%s' refused: %s", url, err);
	opts = PQconninfoParse(out, &msg);
	cr_assert_not_null(opts, "output '%s' does not parse: %s", out,
	    msg != NULL ? msg : "?");
	if (outp != NULL)
		*outp = out;
	else
		free(out);
	return (opts);
}

/* The value of keyword in opts, or NULL when not set. */
static const char *
value(const PQconninfoOption *opts, const char *keyword)
{
	const PQconninfoOption	*o;

	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0)
			return (o->val);
	}
	cr_assert_fail("libpq has no keyword '%s'", keyword);
	return (NULL);
}

static size_t
occurrences(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return (n);
}

/* The value the server would use for a -c setting: the last one wins. */
static long
last_setting(const char *options, const char *name)
{
	char		 key[64];
	const char	*p, *last = NULL;

	(void)snprintf(key, sizeof(key), "%s=", name);
	for (p = options; (p = strstr(p, key)) != NULL; p += strlen(key))
		last = p + strlen(key);
	cr_assert_not_null(last, "no %s in '%s'", name, options);
	return (strtol(last, NULL, 10));
}

Test(conninfo, key_value_input_keeps_its_settings_and_adds_defaults)
{
	PQconninfoOption	*o;

	o = build_parsed("host=/var/run/postgresql port=5434 dbname=civic "
	    "user=civic sslmode=disable", NULL);
	cr_assert_str_eq(value(o, "host"), "/var/run/postgresql");
	cr_assert_str_eq(value(o, "port"), "5434");
	cr_assert_str_eq(value(o, "dbname"), "civic");
	cr_assert_str_eq(value(o, "user"), "civic");
	cr_assert_str_eq(value(o, "sslmode"), "disable");
	cr_assert_str_eq(value(o, "connect_timeout"), "3");
	cr_assert_str_eq(value(o, "gssencmode"), "disable");
	cr_assert_str_eq(value(o, "application_name"), "civicplan");
	cr_assert_str_eq(value(o, "options"), OPTS);
	cr_assert_null(value(o, "password"));
	PQconninfoFree(o);
}

Test(conninfo, options_set_statement_and_idle_timeouts)
{
	PQconninfoOption	*o;

	o = build_parsed("dbname=civic", NULL);
	cr_assert_eq(last_setting(value(o, "options"), "statement_timeout"),
	    5000);
	cr_assert_eq(last_setting(value(o, "options"),
	    "idle_in_transaction_session_timeout"), 10000);
	PQconninfoFree(o);
}

Test(conninfo, uri_input_keeps_host_port_dbname_and_sslmode)
{
	PQconninfoOption	*o;

	o = build_parsed("postgresql://u:p@127.0.0.1:5/db?sslmode=disable",
	    NULL);
	cr_assert_str_eq(value(o, "host"), "127.0.0.1");
	cr_assert_str_eq(value(o, "port"), "5");
	cr_assert_str_eq(value(o, "dbname"), "db");
	cr_assert_str_eq(value(o, "sslmode"), "disable");
	cr_assert_str_eq(value(o, "user"), "u");
	cr_assert_str_eq(value(o, "password"), "p");
	cr_assert_str_eq(value(o, "connect_timeout"), "3");
	cr_assert_str_eq(value(o, "gssencmode"), "disable");
	cr_assert_str_eq(value(o, "application_name"), "civicplan");
	cr_assert_str_eq(value(o, "options"), OPTS);
	PQconninfoFree(o);
}

Test(conninfo, output_is_key_value_not_a_uri)
{
	char			*out;
	PQconninfoOption	*o;

	o = build_parsed("postgres://127.0.0.1/db", &out);
	cr_assert_null(strstr(out, "://"), "%s", out);
	cr_assert_not_null(strstr(out, "host='127.0.0.1'"), "%s", out);
	free(out);
	PQconninfoFree(o);
}

Test(conninfo, user_connect_timeout_is_kept)
{
	PQconninfoOption	*o;
	char			*out;

	o = build_parsed("dbname=civic connect_timeout=10", &out);
	cr_assert_str_eq(value(o, "connect_timeout"), "10");
	cr_assert_eq(occurrences(out, "connect_timeout="), 1, "%s", out);
	free(out);
	PQconninfoFree(o);

	o = build_parsed("postgresql:///civic?connect_timeout=0", NULL);
	cr_assert_str_eq(value(o, "connect_timeout"), "0");
	PQconninfoFree(o);
}

Test(conninfo, user_gssencmode_and_application_name_are_kept)
{
	PQconninfoOption	*o;
	char			*out;

	o = build_parsed("dbname=civic gssencmode=prefer "
	    "application_name=other", &out);
	cr_assert_str_eq(value(o, "gssencmode"), "prefer");
	cr_assert_str_eq(value(o, "application_name"), "other");
	cr_assert_eq(occurrences(out, "gssencmode="), 1, "%s", out);
	cr_assert_eq(occurrences(out, "application_name="), 1, "%s", out);
	free(out);
	PQconninfoFree(o);
}

Test(conninfo, user_options_are_kept_and_extended)
{
	PQconninfoOption	*o;
	char			*out;
	const char		*v;

	o = build_parsed("dbname=civic options='-c search_path=civic'", &out);
	v = value(o, "options");
	cr_assert_not_null(v);
	cr_assert_not_null(strstr(v, "-c search_path=civic"), "%s", v);
	cr_assert_not_null(strstr(v, OPTS), "%s", v);
	cr_assert_eq(occurrences(out, "options="), 1, "%s", out);
	cr_assert_eq(last_setting(v, "statement_timeout"), 5000);
	free(out);
	PQconninfoFree(o);
}

/*
 * BUG (src/conninfo.c, conninfo_build): the service's "-c ..." settings are
 * appended after the operator's options, and PostgreSQL applies the last
 * "-c" for a name, so an operator's statement_timeout (or
 * idle_in_transaction_session_timeout) in DATABASE_URL is silently
 * overridden, against the file's contract ("we keep every setting in it
 * and add what a server process needs when the operator did not say
 * otherwise").  Input:
 *   dbname=civic options='-c statement_timeout=100'
 * expected effective statement_timeout 100, actual 5000.
 */
Test(conninfo, user_statement_timeout_in_options_is_not_overridden)
{
	PQconninfoOption	*o;
	const char		*v;

	o = build_parsed("dbname=civic options='-c statement_timeout=100'",
	    NULL);
	v = value(o, "options");
	cr_assert_eq(last_setting(v, "statement_timeout"), 100,
	    "options '%s'", v);
	cr_assert_eq(last_setting(v, "idle_in_transaction_session_timeout"),
	    10000, "options '%s'", v);
	PQconninfoFree(o);
}

Test(conninfo, empty_input_gives_only_the_defaults)
{
	PQconninfoOption	*o, *p;
	size_t			 set = 0;

	o = build_parsed("", NULL);
	for (p = o; p->keyword != NULL; p++)
		set += p->val != NULL;
	cr_assert_eq(set, 4);
	cr_assert_str_eq(value(o, "connect_timeout"), "3");
	cr_assert_str_eq(value(o, "options"), OPTS);
	PQconninfoFree(o);
}

static const char *const invalid_rows[] = {
	"host",
	"nosuchkey=1",
	"host='unterminated",
	"postgresql://[::1",
	"postgresql://h/db?nosuchparam=1",
	"dbname=civic port",
};

Test(conninfo, invalid_input_returns_null_with_a_message)
{
	char	err[256], *out;
	size_t	i;

	for (i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]); i++) {
		memset(err, 0, sizeof(err));
		out = conninfo_build(invalid_rows[i], err, sizeof(err));
		cr_assert_null(out, "row %zu: '%s' accepted: %s", i,
		    invalid_rows[i], out);
		cr_assert_eq(strncmp(err, "DATABASE_URL: ", 14), 0,
		    "row %zu: '%s'", i, err);
		cr_assert_gt(strlen(err), 14, "row %zu: empty reason", i);
	}
}

Test(conninfo, error_message_fits_a_small_buffer)
{
	char	err[8];

	memset(err, 'x', sizeof(err));
	cr_assert_null(conninfo_build("nosuchkey=1", err, sizeof(err)));
	cr_assert_eq(err[sizeof(err) - 1], '\0');
	cr_assert_str_eq(err, "DATABAS");
}

static const char *const awkward_values[] = {
	"p'w",
	"p\\w",
	"'",
	"\\",
	"\\'",
	"''\\\\",
	"a b c",
	" lead and trail ",
	"x=y",
	"tab\there",
	"\xc3\xa9t\xc3\xa9",
	"",
};

Test(conninfo, quotes_and_backslashes_round_trip)
{
	PQconninfoOption	*o;
	char			 in[512], esc[128];
	const char		*s;
	size_t			 i, e;

	for (i = 0; i < sizeof(awkward_values) / sizeof(awkward_values[0]);
	    i++) {
		/* Escape the value for the input conninfo. */
		for (e = 0, s = awkward_values[i]; *s != '\0'; s++) {
			if (*s == '\'' || *s == '\\')
				esc[e++] = '\\';
			esc[e++] = *s;
		}
		esc[e] = '\0';
		(void)snprintf(in, sizeof(in), "dbname=civic password='%s' "
		    "application_name='%s' options='-c search_path=%s'", esc,
		    esc, esc);

		o = build_parsed(in, NULL);
		cr_assert_str_eq(value(o, "password"), awkward_values[i],
		    "row %zu", i);
		cr_assert_str_eq(value(o, "application_name"),
		    awkward_values[i], "row %zu", i);
		/* The service's settings come first, the operator's last. */
		s = strstr(value(o, "options"), "-c search_path=");
		cr_assert_not_null(s, "row %zu", i);
		cr_assert_str_eq(s + 15, awkward_values[i],
		    "row %zu: %s", i, value(o, "options"));
		PQconninfoFree(o);
	}
}

Test(conninfo, uri_percent_escapes_round_trip)
{
	PQconninfoOption	*o;

	o = build_parsed("postgresql://us%27er:p%5C%27w%20x@h/d%27b", NULL);
	cr_assert_str_eq(value(o, "user"), "us'er");
	cr_assert_str_eq(value(o, "password"), "p\\'w x");
	cr_assert_str_eq(value(o, "dbname"), "d'b");
	PQconninfoFree(o);
}

Test(conninfo, multiple_hosts_are_kept)
{
	PQconninfoOption	*o;

	o = build_parsed("postgresql://h1:5432,h2:5433/db", NULL);
	cr_assert_str_eq(value(o, "host"), "h1,h2");
	cr_assert_str_eq(value(o, "port"), "5432,5433");
	PQconninfoFree(o);
}

/* conninfo_chroot(in, root), which must succeed, parsed back. */
static PQconninfoOption *
chroot_parsed(const char *in, const char *root)
{
	PQconninfoOption	*opts;
	char			 err[256], *out, *msg = NULL;

	out = conninfo_chroot(in, root, err, sizeof(err));
	cr_assert_not_null(out, "'%s' under %s refused: %s", in, root, err);
	opts = PQconninfoParse(out, &msg);
	cr_assert_not_null(opts, "output '%s' does not parse", out);
	free(out);
	return (opts);
}

/* conninfo_chroot(in, root) must refuse, with a reason. */
static void
chroot_refused(const char *in, const char *root)
{
	char	err[256], *out;

	err[0] = '\0';
	out = conninfo_chroot(in, root, err, sizeof(err));
	cr_assert_null(out, "'%s' under %s gave '%s'", in, root, out);
	cr_assert(err[0] != '\0', "no reason for '%s'", in);
}

Test(conninfo, chroot_makes_socket_directories_relative_to_root)
{
	PQconninfoOption	*o;

	o = chroot_parsed("host=/srv/civic/var/pg/sock port=5433 "
	    "dbname=civicplan user=civicplan options='-c jit=off'",
	    "/srv/civic/var");
	cr_assert_str_eq(value(o, "host"), "/pg/sock");
	cr_assert_str_eq(value(o, "port"), "5433");
	cr_assert_str_eq(value(o, "dbname"), "civicplan");
	cr_assert_str_eq(value(o, "options"), "-c jit=off");
	PQconninfoFree(o);

	o = chroot_parsed("host=/srv/a/s1,/srv/a port=1,2", "/srv/a/");
	cr_assert_str_eq(value(o, "host"), "/s1,/");
	PQconninfoFree(o);
}

Test(conninfo, chroot_refuses_what_the_jail_cannot_reach)
{
	chroot_refused("host=db.internal dbname=x", "/srv/civic/var");
	chroot_refused("host=127.0.0.1 dbname=x", "/srv/civic/var");
	chroot_refused("host=/srv/civic/var/s hostaddr=10.0.0.1", "/srv/civic/var");
	chroot_refused("host=/srv/civic/variant/s", "/srv/civic/var");
	chroot_refused("host=/srv/civic/var/../etc", "/srv/civic/var");
	chroot_refused("host=/srv/civic/var/s,/tmp/s", "/srv/civic/var");
	chroot_refused("host=/srv/civic/var/s passfile=/root/.pgpass",
	    "/srv/civic/var");
	chroot_refused("dbname=x", "/srv/civic/var");
	chroot_refused("host='unbalanced", "/srv/civic/var");
}

/*
 * The replica's URL (DATABASE_READ_URL): its connections are named
 * civicplan-read unless it names them, its errors name its variable, and it
 * gets the same settings as the primary's.
 */
Test(conninfo, read_url_is_named_and_says_which)
{
	PQconninfoOption	*opts;
	char			 err[256], *out, *msg = NULL;

	out = conninfo_build_as("host=/tmp port=5433 dbname=civicplan",
	    "DATABASE_READ_URL", "civicplan-read", err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	opts = PQconninfoParse(out, &msg);
	cr_assert_not_null(opts);
	cr_assert_str_eq(value(opts, "application_name"), "civicplan-read");
	cr_assert_str_eq(value(opts, "options"), OPTS);
	cr_assert_str_eq(value(opts, "port"), "5433");
	PQconninfoFree(opts);
	free(out);

	out = conninfo_build_as("postgresql://r@h/db?application_name=mine",
	    "DATABASE_READ_URL", "civicplan-read", err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	opts = PQconninfoParse(out, &msg);
	cr_assert_str_eq(value(opts, "application_name"), "mine");
	PQconninfoFree(opts);
	free(out);

	cr_assert_null(conninfo_build_as("nosuchkey=1", "DATABASE_READ_URL",
	    "civicplan-read", err, sizeof(err)));
	cr_assert_eq(strncmp(err, "DATABASE_READ_URL: ", 19), 0, "%s", err);

	/* The primary's stays as it was. */
	opts = build_parsed("host=/tmp", NULL);
	cr_assert_str_eq(value(opts, "application_name"), "civicplan");
	PQconninfoFree(opts);
}

/*
 * Host names are looked up by the parent (conninfo_resolve): the workers'
 * sandbox allows no lookups.  One hostaddr element per host element;
 * sockets and addresses need none.
 */
Test(conninfo, host_names_resolved_to_hostaddr)
{
	PQconninfoOption	*opts;
	char			 err[256], *out, *msg = NULL;
	const char		*addr;

	out = conninfo_resolve("host=localhost port=5432 dbname=d", err,
	    sizeof(err));
	cr_assert_not_null(out, "%s", err);
	opts = PQconninfoParse(out, &msg);
	cr_assert_not_null(opts);
	addr = value(opts, "hostaddr");
	cr_assert(addr != NULL && (!strcmp(addr, "127.0.0.1") ||
	    !strcmp(addr, "::1")), "hostaddr %s", addr);
	cr_assert_str_eq(value(opts, "host"), "localhost");
	cr_assert_str_eq(value(opts, "port"), "5432");
	PQconninfoFree(opts);
	free(out);

	out = conninfo_resolve("host=/tmp,localhost,10.0.0.1", err,
	    sizeof(err));
	cr_assert_not_null(out, "%s", err);
	opts = PQconninfoParse(out, &msg);
	addr = value(opts, "hostaddr");
	cr_assert(addr != NULL && (!strcmp(addr, ",127.0.0.1,10.0.0.1") ||
	    !strcmp(addr, ",::1,10.0.0.1")), "hostaddr %s", addr);
	PQconninfoFree(opts);
	free(out);

	/* Nothing to look up, or the operator's own hostaddr: as it was. */
	out = conninfo_resolve("host=/tmp port=1", err, sizeof(err));
	cr_assert_str_eq(out, "host=/tmp port=1");
	free(out);
	out = conninfo_resolve("host=127.0.0.1", err, sizeof(err));
	cr_assert_str_eq(out, "host=127.0.0.1");
	free(out);
	out = conninfo_resolve("host=db.example hostaddr=10.1.2.3", err,
	    sizeof(err));
	cr_assert_str_eq(out, "host=db.example hostaddr=10.1.2.3");
	free(out);

	cr_assert_null(conninfo_resolve("host=no-such-host.invalid", err,
	    sizeof(err)));
	cr_assert_eq(strncmp(err, "host no-such-host.invalid: ", 27), 0,
	    "%s", err);
}
