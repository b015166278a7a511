# Fuzzing the result reader with clang's libFuzzer (included by the Makefile).
#   make fuzz                     build build-fuzz/fuzz_reader (ASan + UBSan + libFuzzer)
#   make fuzz-run                 fuzz for $(FUZZ_SECONDS) s (default 60); non-zero exit on a crash
#   make fuzz-run FUZZ_SECONDS=600
# Needs clang and its runtime (Debian 12: clang libclang-rt-14-dev).
# New inputs go to build-fuzz/corpus; the seeds in tests/fuzz/corpus are only read.
# A crash leaves build-fuzz/crash-<sha1>: rerun it with build-fuzz/fuzz_reader FILE.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_SRCS    := tests/fuzz/fuzz_reader.c $(RESULTS_SRCS)
FUZZ_CFLAGS  := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror \
                -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Isrc \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null)
FUZZ_LIBS    := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson) -lm

.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_DIR)/fuzz_reader

$(FUZZ_DIR)/fuzz_reader: $(FUZZ_SRCS) $(wildcard src/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_DIR)
	@[ "$(V)" = 1 ] || echo "  FUZZ  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS) $(FUZZ_LIBS)

fuzz-run: $(FUZZ_DIR)/fuzz_reader
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_reader -max_len=65536 -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_DIR)/corpus tests/fuzz/corpus

.PHONY: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_DIR)
clean: clean-fuzz
