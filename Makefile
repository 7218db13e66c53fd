# Civic Plan API
#
#	make run	install what is missing, start the private PostgreSQL
#			cluster (or use DATABASE_URL), migrate, serve on
#			$(CIVIC_BIND):$(CIVIC_PORT) in the foreground
#	make stop	stop the private cluster
#	make test	the whole suite on a throwaway cluster and port
#	make bench	the load benchmark (wrk) on loopback
#	make image-test	build the container image and check it (podman)
#
# Variables: CFLAGS (-O2 -g; the flags the module needs are kept), BUILD
# (build), CI (set: warnings are errors), TEST_PORT, TEST_PG_PORT, and
# PYTEST_ADDOPTS (e.g. "-k tallies": a part of the HTTP suite).

CC		?= cc
PGBIN		?= /usr/lib/postgresql/15/bin
export PGBIN

CIVIC_BIND	?= 127.0.0.1
CIVIC_PORT	?= 8888
RUN_PG_DIR	?= var/pg
RUN_PG_PORT	?= 5433
TEST_PG_DIR	?= var/test-pg
TEST_PG_PORT	?= 5434
TEST_PORT	?= 8899
export CIVIC_BIND CIVIC_PORT RUN_PG_DIR RUN_PG_PORT TEST_PG_DIR \
	TEST_PG_PORT TEST_PORT

BUILD		?= build
MODULE		= $(BUILD)/civicplan.so
ADMIN_BIN	= $(BUILD)/civic-admin
DOCS_OUT	= build/docs

# CFLAGS is the caller's (make CFLAGS=-O0 keeps everything below).  The
# flags the module cannot do without are in CIVIC_CFLAGS, and Kore's own
# feature flags (they change the layout of Kore's structs) are read from
# $(KORE_FLAGS) when a file is compiled: after deps-build installed Kore,
# never when this Makefile is parsed.  Every object depends on that file,
# which changes only when the flags do.
CFLAGS		?= -O2 -g
CIVIC_CFLAGS	= -std=c11 -D_GNU_SOURCE -fPIC -fstack-protector-all
CIVIC_CFLAGS	+= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes
CIVIC_CFLAGS	+= -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual
CIVIC_CFLAGS	+= -Wsign-compare -Wtype-limits
CIVIC_CFLAGS	+= -I/usr/include/postgresql
ifneq ($(CI),)
CIVIC_CFLAGS	+= -Werror
endif
KORE_FLAGS	= $(BUILD)/kore.flags
COMPILE		= $(CC) $(CIVIC_CFLAGS) $(CFLAGS) $$(head -n 1 $(KORE_FLAGS))

# Sources that include no Kore header: the unit tests build them alone.
PURE_SRCS	= src/problem.c src/etag.c src/cursor.c src/query.c \
		  src/page.c src/reqid.c src/http_util.c src/conninfo.c \
		  src/apikey.c src/answers.c src/tally.c src/csv.c \
		  src/content.c src/route.c src/framing.c src/ratelimit.c
GLUE_SRCS	= src/app.c src/config.c src/snapshot.c src/stamp.c src/api.c \
		  src/resource.c src/ops.c src/docs.c src/dbq.c src/request.c \
		  src/reply.c src/responses.c src/tallies.c src/keys.c \
		  src/surveys.c src/plans.c src/audit.c src/conn.c src/router.c \
		  src/limits.c src/export.c src/metrics.c src/reqlog.c \
		  src/stream.c \
		  src/progress.c
PURE_OBJS	= $(PURE_SRCS:src/%.c=$(BUILD)/obj/%.o)
GLUE_OBJS	= $(GLUE_SRCS:src/%.c=$(BUILD)/obj/%.o)
LDLIBS		= -ljansson -lpq -lcrypto

UNIT_SRCS	= $(wildcard tests/unit/test_*.c)
UNIT_BIN	= $(BUILD)/unit-tests

.PHONY: all build run stop test unit bench image-test deps-build deps-run \
	deps-test deps-bench docs-assets db-up admin-key clean

all: build

build: $(MODULE) $(ADMIN_BIN)

# Rewritten on every run (after deps-build), replaced only when it differs:
# a new Kore, other flags or another compiler rebuild everything, and
# nothing else does.
$(KORE_FLAGS): deps-build
	@mkdir -p $(@D)
	@test -r /usr/share/kore/features || \
	    { echo "no /usr/share/kore/features: is Kore installed?" >&2; exit 1; }
	@{ cat /usr/share/kore/features; \
	    echo '# $(CC) $(CIVIC_CFLAGS) $(CFLAGS)'; } >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/%.o: src/%.c $(KORE_FLAGS)
	@mkdir -p $(@D)
	$(COMPILE) -MMD -MP -c $< -o $@

$(MODULE): $(PURE_OBJS) $(GLUE_OBJS)
	$(CC) $(CFLAGS) -shared $^ -o $@ $(LDLIBS)

$(UNIT_BIN): $(UNIT_SRCS) $(PURE_OBJS) src/civic.h | deps-test
	$(COMPILE) -Isrc $(UNIT_SRCS) $(PURE_OBJS) -o $@ \
	    -lcriterion $(LDLIBS)

$(ADMIN_BIN): tools/civic-admin.c $(PURE_OBJS) src/civic.h
	$(COMPILE) -Isrc tools/civic-admin.c $(PURE_OBJS) -o $@ $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*.d)

# The first admin key: make admin-key NAME="City of Independence"
admin-key: deps-run $(ADMIN_BIN) db-up
	@DATABASE_URL="$$(tools/db.sh url)" ./$(ADMIN_BIN) create-key \
	    --name "$${NAME:-admin}" --role admin

unit: $(UNIT_BIN)
	./$(UNIT_BIN) --jobs 2

node_modules/.package-lock.json: package.json package-lock.json | deps-run
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

DASHBOARD_FILES	= docs/dashboard.html docs/dashboard.js docs/dashboard.css

docs-assets: node_modules/.package-lock.json docs/openapi.json docs/index.html \
	    $(DASHBOARD_FILES)
	@mkdir -p $(DOCS_OUT)
	cp docs/openapi.json docs/index.html $(DASHBOARD_FILES) $(DOCS_OUT)/
	cp node_modules/swagger-ui-dist/swagger-ui.css \
	    node_modules/swagger-ui-dist/swagger-ui-bundle.js $(DOCS_OUT)/

# Installs come before builds, one at a time (apt holds one lock).
deps-build:
	@tools/deps.sh build
deps-run: deps-build
	@tools/deps.sh run
deps-test: deps-run
	@tools/deps.sh test
deps-bench: deps-run
	@tools/deps.sh bench

db-up: deps-run
	@tools/db.sh up

run: deps-run build docs-assets db-up
	@tools/db.sh serve

stop:
	@tools/pg.sh stop $(RUN_PG_DIR)

test: deps-test build docs-assets $(UNIT_BIN) $(ADMIN_BIN)
	@tools/test.sh

bench: deps-bench deps-cluster build docs-assets
	@bench/run.sh

# More targets, one file each: mk/image.mk (make image-test), ...
include $(wildcard mk/*.mk)

clean:
	rm -rf $(BUILD)
