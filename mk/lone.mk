# A lone client's submissions against an earlier commit (bench/lone.sh).
# Included from the Makefile.
#   make lone-bench      this checkout against LONE_BEFORE (9ad43ff, the
#                        last commit before group commit), each on a fresh
#                        private cluster, interleaved rounds
.PHONY: lone-bench
lone-bench: deps-bench build docs-assets
	@bench/lone.sh
