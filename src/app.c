/*
 * Kore's hooks: what the parent does before it forks the workers (the
 * configuration, the listener, the docs, the first snapshot, the workers'
 * sandbox), what each worker does when it starts (its request ids, the
 * database pool, the snapshot's watcher).  Every request goes to the
 * router (router.c), conf/app.conf's one route.
 */

#include <stdlib.h>

#include "api.h"
#include "obs.h"

#include <kore/pgsql.h>
#include <kore/seccomp.h>

/*
 * Kore writes its Server line into every response, its own too (the 400,
 * 408, 411, 413... that no handler sees): the headers every response
 * carries ride on it.  It replaces conf/app.conf's http_server_version.
 */
#define SERVER_HEADERS		"civicplan\r\n" \
				"x-content-type-options: nosniff"

#if defined(CIVIC_SANITIZE)
/*
 * The sanitizer build only (make sanitize): every system call is allowed.
 * The sanitizer runtimes make calls Kore's allow-list lacks, at the worst
 * moment: LeakSanitizer, when a worker exits, stops the world (gettid,
 * clone, ptrace, prctl), and under the real filter the worker was killed
 * (SIGSYS, on gettid) before it could report anything.  The shipped build
 * keeps the filter below, and make test runs under it.
 */
KORE_SECCOMP_FILTER("civicplan",
	KORE_BPF_RET(SECCOMP_RET_ALLOW),
);
#else
/*
 * Debian 12's glibc implements stat() and fstat() with newfstatat, which
 * Kore 4.1.0's allow-list lacks: libpq's first connection needs it.  And
 * realloc() of a block past glibc's mmap threshold (128 KB) moves it with
 * mremap: an export's batch (export.c) is rendered into such a block.
 * A worker stopped while it waits (SIGSTOP, a debugger, a frozen cgroup)
 * goes on through restart_syscall, which the list lacks too: without it a
 * stopped worker died of SIGSYS when it was let go.
 */
KORE_SECCOMP_FILTER("civicplan",
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_ALLOW(restart_syscall),
);
#endif

void	kore_parent_configure(int, char **);
void	kore_worker_configure(void);
void	kore_worker_teardown(void);

static void	app_bind(void);
static void	app_sandbox(void);

static void
app_bind(void)
{
	struct kore_server	*srv;

	if ((srv = kore_server_lookup("default")) == NULL)
		fatalx("conf: no server block named 'default'");
	/* conn_accept (conn.c) sets each connection up. */
	if (!kore_server_bind(srv, civic_config.bind, civic_config.port,
	    "conn_accept"))
		fatalx("cannot listen on %s:%s", civic_config.bind,
		    civic_config.port);
	kore_log(LOG_NOTICE, "civicplan listening on http://%s:%s",
	    civic_config.bind, civic_config.port);
}

void
kore_parent_configure(int argc, char **argv)
{
	char	err[512];

	(void)argc;
	(void)argv;

	config_read();
	limits_init();
	/* Shared with the workers: mapped and opened before the fork. */
	metrics_init();
	conn_balance_init();
	reqlog_open();
	app_bind();
	http_server_version(SERVER_HEADERS);

	if (docs_load(civic_config.docs_dir, err, sizeof(err)) == -1)
		fatalx("docs: %s", err);
	snapshot_load_first();
	limits_load_first();
	app_sandbox();
}

/*
 * Where the workers live.  Started as root, Kore drops each worker to its
 * runas user and chroots it into its root directory (tools/serve.sh sets
 * both: the user civicplan, the instance's var/).  A chrooted worker sees
 * the database's socket directory from that root, so its conninfo is
 * rewritten; when the database cannot be reached from inside (TCP needs
 * the resolver's files), the workers stay outside, still unprivileged.
 */
static void
app_sandbox(void)
{
	char	 err[256], *jailed, *read_jailed;

	if (skip_chroot)
		return;
	read_jailed = NULL;
	if ((jailed = conninfo_chroot(civic_config.conninfo, kore_root_path,
	    err, sizeof(err))) == NULL ||
	    (civic_config.read_conninfo != NULL && (read_jailed =
	    conninfo_chroot(civic_config.read_conninfo, kore_root_path, err,
	    sizeof(err))) == NULL)) {
		kore_log(LOG_NOTICE, "workers not chrooted: %s", err);
		free(jailed);
		skip_chroot = 1;
		return;
	}
	kore_log(LOG_NOTICE, "workers chrooted into %s", kore_root_path);
	free(civic_config.conninfo);
	civic_config.conninfo = jailed;
	if (read_jailed != NULL) {
		free(civic_config.read_conninfo);
		civic_config.read_conninfo = read_jailed;
	}
}

void
kore_worker_configure(void)
{
	stamp_init_worker();
	metrics_worker_start();
	conn_balance_start();
	reqlog_worker_start();
	if (!kore_pgsql_register(API_DB, civic_config.conninfo))
		fatal("cannot register the database pool");
	if (civic_config.read_conninfo != NULL &&
	    !kore_pgsql_register(API_READ_DB, civic_config.read_conninfo))
		fatal("cannot register the replica's pool");
	snapshot_watch_start();
	limits_watch_start();
}

/* A worker stops: its buffered log lines go out. */
void
kore_worker_teardown(void)
{
	reqlog_worker_stop();
}
