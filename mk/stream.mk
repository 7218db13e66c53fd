# The event stream benchmark (bench/stream.sh).  Included from the Makefile.
#   make stream-bench    1,000 clients on a survey's tallies stream: each
#                        gets every submission's event within 1 s of its 201;
#                        the plan's rate with them connected >= 0.8x without
#                        (the server on BENCH_PORT, 8898)
.PHONY: stream-bench
stream-bench: deps-bench build docs-assets $(ADMIN_BIN) db-up
	@bench/stream.sh
