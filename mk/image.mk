# Container image: build it with podman and smoke-test it (tools/image-test.sh).
# Included from the Makefile.
#   make image-test      build $(IMAGE_TEST_TAG), run it against the private cluster
#                        (make db-up) on port $(IMAGE_TEST_PORT), check it, remove it
#   make image-prepare   only install podman/runc/debootstrap and create the base image
#                        localhost/debian:bookworm-slim (debootstrap; no registry here)
IMAGE_TEST_TAG  ?= localhost/civicplan:test
IMAGE_TEST_PORT ?= 18888

.PHONY: image-test image-prepare
image-test:
	IMAGE='$(IMAGE_TEST_TAG)' IMAGE_TEST_PORT='$(IMAGE_TEST_PORT)' tools/image-test.sh

image-prepare:
	tools/image-test.sh --prepare
