# Fuzzing with clang's libFuzzer (included by the Makefile). Two targets:
#   fuzz_reader   the result reader and what consumes a parsed result
#   fuzz_control  control messages (the network input of pub and sub)
#   make fuzz                     build every target in build-fuzz/ (ASan + UBSan + libFuzzer)
#   make fuzz-run                 fuzz every target, $(FUZZ_SECONDS) s in all (default 60),
#                                 split evenly between them; non-zero exit on a crash
#   make fuzz-run FUZZ_SECONDS=600
# Needs clang and its runtime (Debian 12: clang libclang-rt-14-dev).
# New inputs go to build-fuzz/corpus-<target>; the seeds in tests/fuzz/corpus*
# are only read. A crash leaves build-fuzz/<target>-crash-<sha1>: rerun it with
# build-fuzz/<target> FILE.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_SRCS    := tests/fuzz/fuzz_reader.c $(RESULTS_SRCS)
FUZZ_CONTROL_SRCS := tests/fuzz/fuzz_control.c src/control.c
FUZZ_TARGETS := fuzz_reader fuzz_control
FUZZ_CFLAGS  := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror \
                -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Isrc -pthread \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null)
FUZZ_LIBS    := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson) -lm -pthread
# Seconds per target: the total split evenly, at least 1.
FUZZ_EACH     = $(shell s=$$(( $(FUZZ_SECONDS) / $(words $(FUZZ_TARGETS)) )); [ $$s -ge 1 ] || s=1; echo $$s)

.PHONY: fuzz fuzz-run
fuzz: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

$(FUZZ_DIR)/fuzz_reader: $(FUZZ_SRCS) $(wildcard src/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	@[ "$(V)" = 1 ] || echo "  FUZZ  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS) $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz_control: $(FUZZ_CONTROL_SRCS) $(wildcard src/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	@[ "$(V)" = 1 ] || echo "  FUZZ  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_CONTROL_SRCS) $(FUZZ_LIBS)

# Each target in turn; the first crash stops the run with a non-zero exit.
fuzz-run: fuzz
	@mkdir -p $(FUZZ_DIR)/corpus-reader $(FUZZ_DIR)/corpus-control
	$(FUZZ_DIR)/fuzz_reader -max_len=65536 -max_total_time=$(FUZZ_EACH) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/fuzz_reader- -print_final_stats=1 $(FUZZ_DIR)/corpus-reader tests/fuzz/corpus
	$(FUZZ_DIR)/fuzz_control -max_len=8192 -max_total_time=$(FUZZ_EACH) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/fuzz_control- -print_final_stats=1 $(FUZZ_DIR)/corpus-control \
	    tests/fuzz/corpus-control

.PHONY: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
clean: clean-fuzz
