# make cluster-test	nginx, 3 instances, a PostgreSQL primary and its
#			streaming replica on loopback, under var/cluster: a
#			killed instance, a rolling restart, reads through the
#			replica, failover (tests/cluster/run.py).  Ports:
#			CLUSTER_HTTP_PORT (18300), CLUSTER_TLS_PORT (18343),
#			CLUSTER_INSTANCE_PORT (18301: instances from +1),
#			CLUSTER_PG_PORT (15570), CLUSTER_PG_REPLICA_PORT (15571)
.PHONY: cluster-test deps-cluster

deps-cluster: deps-run
	@tools/deps.sh cluster

cluster-test: deps-test deps-cluster build docs-assets $(ADMIN_BIN)
	python3 tests/cluster/run.py

# make compose-test	deploy/compose.yaml with podman: the images built,
#			up, the plan through nginx, the replica streaming and
#			read, down (tools/compose-test.sh)
.PHONY: compose-test
compose-test:
	tools/compose-test.sh
