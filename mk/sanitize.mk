# Memory safety: the module, the unit tests and the admin tool built with
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer in a
# build directory of their own, then the whole suite against that build
# (tools/sanitize.sh).  Included from the Makefile.
#
#   make sanitize	build into $(SANITIZE_BUILD), run the unit tests, serve
#			the sanitized module (the runtimes preloaded into Kore)
#			and run the HTTP suite; any sanitizer report fails it
#
# CFLAGS stays the caller's (make sanitize CFLAGS=-O1): the sanitizer flags
# are added to it, and the flags the module needs are kept as in any build.
# UBSan findings are not recoverable: the process stops at the first one.
# -z nodelete keeps the module mapped when a worker's shutdown dlclose()s
# it, so that LeakSanitizer, which runs at exit, still sees the module's
# globals (what they point to is not a leak) and names its functions.
# CIVIC_SANITIZE relaxes the module's seccomp filter (src/app.c).
SANITIZE_BUILD	?= build/sanitize
SANITIZE_CFLAGS	= -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=all -Wl,-z,nodelete -DCIVIC_SANITIZE

.PHONY: sanitize
sanitize: deps-test docs-assets
	@$(MAKE) --no-print-directory BUILD='$(SANITIZE_BUILD)' \
	    CFLAGS='$(CFLAGS) $(SANITIZE_CFLAGS)' \
	    build '$(SANITIZE_BUILD)/unit-tests' \
	    '$(SANITIZE_BUILD)/sanitize-preload.so'
	@CC='$(CC)' tools/sanitize.sh '$(SANITIZE_BUILD)'

# Preloaded into Kore after the runtimes (why: tools/sanitize-preload.c).
$(BUILD)/sanitize-preload.so: tools/sanitize-preload.c
	@mkdir -p $(@D)
	$(CC) $(CIVIC_CFLAGS) -O2 -shared $< -o $@
