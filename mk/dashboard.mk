# The dashboard's screenshot.  Included from the Makefile.
#   make dashboard-shot  the dashboard's browser test alone (a throwaway
#                        cluster and server, as make test makes them),
#                        saving its screenshots to docs/dashboard.png (the
#                        seed plan, live tallies) and docs/dashboard-progress.png
#                        (a plan with made-up measures), the ones the README
#                        shows
.PHONY: dashboard-shot
dashboard-shot:
	@CIVIC_DASHBOARD_PNG=$(CURDIR)/docs/dashboard.png \
	    CIVIC_DASHBOARD_PROGRESS_PNG=$(CURDIR)/docs/dashboard-progress.png \
	    PYTEST_ADDOPTS="-k test_the_dashboard_shows_the_apis_numbers_live_in_headless_chromium" \
	    $(MAKE) --no-print-directory test
