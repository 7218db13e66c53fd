# The export benchmark (bench/export.sh).  Included from the Makefile.
#   make export-bench    a throwaway cluster with 100,000 responses, the
#                        server on EXPORT_BENCH_PORT (8896): the time and the
#                        worker's memory of a CSV and an NDJSON export, and
#                        the plan's latency meanwhile
.PHONY: export-bench
export-bench: deps-bench build docs-assets $(ADMIN_BIN)
	@bench/export.sh
