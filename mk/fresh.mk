# A fresh Debian 12 machine gets the service the tests passed
# (tools/fresh-test.sh).  Included from the Makefile.
#   make fresh-test   in a clean debian:bookworm container (debootstrap,
#                     podman), from a clean clone of HEAD, run the README's
#                     commands (make test, make run), smoke-test the public,
#                     admin and partner APIs and check that the workers run
#                     as civicplan, chrooted; remove the container.
# Its own variables are FRESH_TEST_* in the environment (see the script).

.PHONY: fresh-test
fresh-test:
	@tools/fresh-test.sh
