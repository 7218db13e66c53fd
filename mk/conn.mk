# Connection probes (bench/conn.sh): idle connections and new clients,
# clients that never read.  Included from the Makefile.
#   make conn-bench      start the server in its shipped configuration on
#                        CONN_BENCH_PORT (8897) and run both probes
.PHONY: conn-bench
conn-bench: deps-bench build docs-assets
	@bench/conn.sh
