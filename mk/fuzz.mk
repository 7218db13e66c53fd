# make fuzz: libFuzzer harnesses over the pure sources (tools/fuzz.sh).
# Included from the Makefile.
#   make fuzz                  each harness for FUZZ_SECONDS (60), one after
#                              another; fails on any crash, leak, timeout,
#                              sanitizer report or broken invariant
#   make fuzz FUZZ_SECONDS=20  the CI smoke
#   make fuzz FUZZ_HARNESSES=fuzz_query   some of them
#   make fuzz-build            only build them
#
# The pure sources (PURE_SRCS) and the harnesses (tests/fuzz/fuzz_*.c) are
# built with clang, libFuzzer, ASan and UBSan into $(FUZZ_DIR), never into
# build/.  Each harness runs on its own copy of its seeds
# (tests/fuzz/corpus/<harness>/, never written): the inputs it finds go to
# $(FUZZ_DIR)/corpus/<harness>/, what breaks it to
# $(FUZZ_DIR)/crashes/<harness>/, its output to $(FUZZ_DIR)/logs/.

FUZZ_CC		?= clang-14
FUZZ_SECONDS	?= 60
FUZZ_TIMEOUT	?= 25
FUZZ_DIR	?= var/fuzz
FUZZ_HARNESSES	?= $(patsubst tests/fuzz/%.c,%,$(sort \
		    $(wildcard tests/fuzz/fuzz_*.c)))

FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
		  -fno-omit-frame-pointer
FUZZ_CFLAGS	= -std=c11 -D_GNU_SOURCE -O1 -g $(FUZZ_SAN) \
		  -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
		  -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
		  -Wsign-compare -Wtype-limits -I/usr/include/postgresql
ifneq ($(CI),)
FUZZ_CFLAGS	+= -Werror
endif
FUZZ_OBJS	= $(PURE_SRCS:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB	= $(FUZZ_DIR)/libcivic.a
FUZZ_BINS	= $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/bin/%)
FUZZ_STAMP	= $(FUZZ_DIR)/flags

.PHONY: fuzz fuzz-build deps-fuzz

deps-fuzz: deps-build
	@tools/deps.sh fuzz

# Replaced only when the compiler or the flags change: then all rebuild.
$(FUZZ_STAMP): deps-fuzz
	@mkdir -p $(@D)
	@echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(FUZZ_DIR)/obj/%.o: src/%.c $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    -c $< -o $@

# An archive: each harness links only the objects it calls.
$(FUZZ_LIB): $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/bin/%: tests/fuzz/%.c $(FUZZ_LIB) $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -Isrc \
	    -MF $(FUZZ_DIR)/obj/$*.d $< $(FUZZ_LIB) -o $@ $(LDLIBS)

-include $(wildcard $(FUZZ_DIR)/obj/*.d)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_DIR='$(FUZZ_DIR)' FUZZ_SECONDS='$(FUZZ_SECONDS)' \
	    FUZZ_TIMEOUT='$(FUZZ_TIMEOUT)' tools/fuzz.sh $(FUZZ_HARNESSES)
