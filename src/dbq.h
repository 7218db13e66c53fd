/* dbq.c: one asynchronous query per request (see dbq.c). */

#ifndef CIVIC_DBQ_H
#define CIVIC_DBQ_H

#include <sys/queue.h>

#include <kore/pgsql.h>

#include "obs.h"

#define DBQ_PARAMS_MAX		12

struct dbq_group;

struct dbq {
	struct kore_pgsql	 sql;
	struct http_request	*req;
	struct route		 route;		/* parsed once */
	TAILQ_ENTRY(dbq)	 wait;		/* in the admission queue */
	int			 admitted;	/* holds a slot */
	int			 waiting;	/* in the admission queue */
	PGresult		*result;	/* the rows, for finish() */
	const char		*query;
	int			 nparams;
	char			*owned[DBQ_PARAMS_MAX];
	const char		*values[DBQ_PARAMS_MAX];
	int			 lengths[DBQ_PARAMS_MAX];
	int			 formats[DBQ_PARAMS_MAX];
	int			 retried;
	json_t			*json;		/* the handler's, decref'd */
	json_t			*item;		/* a submission, decref'd */
	int			 gathered;	/* DBQ_GATHER_*: its store */
	struct dbq_group	*group;		/* storing it */
	size_t			 member;	/* its place in group */
	char			 text[256];	/* the handler's scratch */
	long			 limit;		/* of a page */
	void			(*finish)(struct http_request *,
				    struct dbq *);
	int			(*resume)(struct http_request *);
	struct reqlog_req	 log;		/* the request, for its log */
	int			 key_lookup;	/* 1: due, 2: sent */
	uint64_t		 began_ns;	/* when it was queued */
};

int	dbq_handle(struct http_request *, const struct route *,
	    int (*)(struct http_request *, struct dbq *),
	    void (*)(struct http_request *, struct dbq *));
int	dbq_resume(struct http_request *);
int	dbq_acquire(struct dbq *);
void	dbq_leave(struct dbq *);
void	dbq_free(struct http_request *);
void	dbq_cleanup(struct kore_pgsql *);
void	dbq_param(struct dbq *, int, const void *, size_t, int);
int	dbq_conn_check(struct kore_pgsql *);
void	dbq_text_param(struct dbq *, const char *, const char *);
void	dbq_page_keys(struct dbq *, int, int, const int64_t *);
int	dbq_page_params(struct http_request *, struct dbq *,
	    const struct query *, const char *, size_t, int64_t *, int *);

#endif /* !CIVIC_DBQ_H */
