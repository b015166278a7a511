# mqttbench — build, test, install.
#   make              build ./mqttbench
#   make run          install missing Debian packages (as root), build, run the headline job
#   make test         install what the tests need (as root; aedes with npm), run unit + integration tests
#   make SAN=1 ...    ASan+UBSan build in build-san/
#   make SAN=thread   ThreadSanitizer build in build-tsan/
#   make CC=clang BUILD=build-clang   another compiler, into its own directory
#   make WERROR=0     do not turn warnings into errors
#   make install PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PREFIX    ?= /usr/local
DESTDIR   ?=
WERROR    ?= 1
SAN       ?= 0
V         ?= 0
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := libmosquitto libcjson openssl

# Debian packages: what `make run` and `make test` install when they are missing.
DEB_BUILD := build-essential pkg-config libmosquitto-dev libcjson-dev libssl-dev mosquitto
# rabbitmq-server: tests/brokers/rabbitmq.sh runs a private node (tests/deps.sh
# keeps the system service from starting, and prometheus's: only its promtool
# is used, to check --metrics-listen's text). chromium: report.sh opens the
# HTML report headless; curl scrapes the metrics. openssl: the TLS tests make
# their certificates with it. slurmctld, slurmd, slurm-client, munge:
# tests/integration/slurm.sh runs a private one-node Slurm.
DEB_TEST  := $(DEB_BUILD) mosquitto-clients openssl iproute2 procps python3 python3-yaml clang libclang-rt-14-dev \
             rabbitmq-server chromium curl prometheus slurmctld slurmd slurm-client munge

OPT       ?= -O2 -g
MB_CFLAGS := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -D_GNU_SOURCE -pthread \
             $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# gcc warns about snprintf truncation that the code checks for; clang has no
# such warning and rejects the option under -Werror.
CC_IS_CLANG := $(shell $(CC) -dM -E -x c /dev/null 2>/dev/null | grep -c __clang__)
ifeq ($(CC_IS_CLANG),0)
MB_CFLAGS += -Wno-format-truncation
endif
MB_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lmosquitto -lcjson -lssl -lcrypto) -pthread -lm
ifeq ($(WERROR),1)
MB_CFLAGS += -Werror
endif

# The build directory follows SAN unless BUILD is given on the command line
# (make CC=clang BUILD=build-clang); only build/ is copied to ./mqttbench.
ifeq ($(SAN),1)
SAN_BUILD := build-san
MB_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
MB_LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),thread)
SAN_BUILD := build-tsan
MB_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
MB_LDFLAGS += -fsanitize=thread
else
SAN_BUILD := build
endif
ifneq ($(origin BUILD),command line)
BUILD     := $(SAN_BUILD)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

SRCS      := $(wildcard src/*.c)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(filter-out tests/unit/test_main.c,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# The results half (read, write, compare, merge): builds without libmosquitto.
RESULTS_SRCS := src/reader.c src/result.c src/metrics.c src/compare.c src/merge.c src/series.c src/stats.c \
                src/hist.c src/jsonfile.c src/errmsg.c src/optspec.c src/units.c src/sweep.c src/shard.c \
                src/reconnect.c

.PHONY: all clean install run test unit-bins test-tools bench bench-peers deps-build deps-test regress baseline image
all: mqttbench

mqttbench: $(BUILD)/mqttbench
ifeq ($(BUILD),build)
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@
endif

$(BUILD)/mqttbench: $(BUILD)/main.o $(BUILD)/libmb.a
	@[ "$(V)" = 1 ] || echo "  LINK  $@"
	$(Q)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@.tmp $^ $(MB_LIBS) && mv -f $@.tmp $@

$(BUILD)/libmb.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(MB_CFLAGS) $(OPT) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/version.o: MB_CFLAGS += -DMB_VERSION='"$(VERSION)"' -DMB_GIT_REV='"$(GIT_REV)"'

# The HTML report's script and style sheet, as C strings html.c includes
# (backslashes, quotes and '?' escaped: no escape sequence or trigraph).
$(BUILD)/html_assets.h: src/html.js src/html.css | $(BUILD)
	@[ "$(V)" = 1 ] || echo "  GEN   $@"
	$(Q)for f in src/html.js src/html.css; do \
	    echo "static const char $$(basename $$f | tr . _)[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/    "/' -e 's/$$/\\n"/' $$f; \
	    echo "    ;"; \
	done > $@.tmp && mv -f $@.tmp $@
$(BUILD)/html.o: $(BUILD)/html_assets.h
$(BUILD)/html.o: MB_CFLAGS += -I$(BUILD)
$(BUILD)/version.o: .FORCE
.FORCE:

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILD)/libmb.a | $(BUILD)/tests
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(MB_CFLAGS) $(OPT) $(CFLAGS) -Isrc $(MB_LDFLAGS) $(LDFLAGS) -o $@ $< tests/unit/test_main.c $(BUILD)/libmb.a $(MB_LIBS)

$(BUILD) $(BUILD)/tests:
	$(Q)mkdir -p $@

# bench/ helpers: the raw-socket probe, and the launcher that reads a command's CPU and RSS.
bench/probe bench/rusage: bench/%: bench/%.c
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) -std=c11 -Wall -Wextra -D_GNU_SOURCE -O2 -g -o $@ $<

# The null broker bench/capacity.sh measures the generator against; it takes
# the payload format from src/payload.c.
bench/nullbroker: bench/nullbroker.c src/payload.c src/payload.h
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) -std=c11 -Wall -Wextra -D_GNU_SOURCE -O2 -g -o $@ bench/nullbroker.c src/payload.c

unit-bins: $(UNIT_BINS)

# Programs the integration tests run besides mqttbench (tests/tools/).
TEST_TOOLS := $(BUILD)/delayproxy
test-tools: $(TEST_TOOLS)
$(BUILD)/delayproxy: tests/tools/delayproxy.c | $(BUILD)
	@[ "$(V)" = 1 ] || echo "  CC    $<"
	$(Q)$(CC) $(MB_CFLAGS) $(OPT) $(CFLAGS) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $<

# Dependency handling: install missing Debian packages when root, else print the line.
deps-build:
	@tests/deps.sh $(DEB_BUILD)
deps-test:
	@tests/deps.sh $(DEB_TEST)
	@tests/brokers/aedes.sh install || echo "mqttbench: aedes could not be installed (npm ci); its checks will SKIP" >&2
	@bench/peers.sh install || echo "mqttbench: MQTT.js could not be installed (npm ci); its checks will SKIP" >&2

run: deps-build
	@$(MAKE) --no-print-directory mqttbench
	./mqttbench both --count 1000000

test: deps-test
	@$(MAKE) --no-print-directory mqttbench unit-bins test-tools
	@BUILD=$(BUILD) tests/run.sh

bench: mqttbench bench/probe bench/nullbroker
	bench/headline.sh

# The peer benchmark (issue 10): mqttbench, MQTT.js and the probe, interleaved.
bench-peers: mqttbench bench/probe bench/rusage
	bench/peers.sh

# The CI regression gate: the standard scenario, five times, against the
# committed baseline of this kind of machine (docs/ci.md).
REGRESS_SCENARIO := both --spawn-broker --broker-max-queued 0 --qos 1 --count 100000 --size 64 --publishers 2 --subscribers 2
BASELINE         ?= results/baseline/standard-2core.json
regress: deps-build
	@$(MAKE) --no-print-directory mqttbench
	./mqttbench $(REGRESS_SCENARIO) --repeat 5 --quiet --json results/regress-latest.json
	./mqttbench compare $(BASELINE) results/regress-latest.json

# Record a new baseline (commit it when the change in performance is intended).
baseline: deps-build
	@$(MAKE) --no-print-directory mqttbench
	./mqttbench $(REGRESS_SCENARIO) --repeat 5 --quiet --json $(BASELINE)

install: mqttbench
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 mqttbench $(DESTDIR)$(PREFIX)/bin/mqttbench
	install -m 0644 docs/mqttbench.1 $(DESTDIR)$(PREFIX)/share/man/man1/mqttbench.1

# The container image (Dockerfile): needs docker or podman and a registry to
# pull debian:12-slim from; not built by the tests.
CONTAINER ?= docker
IMAGE     ?= mqttbench:$(VERSION)
image:
	$(CONTAINER) build --build-arg GIT_REV=$(GIT_REV) -t $(IMAGE) .

clean:
	rm -rf build build-san build-tsan build-clang mqttbench bench/probe bench/nullbroker bench/rusage

-include $(wildcard $(BUILD)/*.d)

# Fuzzing the result reader (clang libFuzzer): rules live beside the target.
-include tests/fuzz/fuzz.mk
