# Bakery: build, run, test. `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC      ?= gcc
PKGS    := fcgi libpq librabbitmq libcjson hiredis
# libfcgi's .pc file is missing on some systems: fall back to plain -lfcgi.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lfcgi -lpq -lrabbitmq -lcjson -lhiredis)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
CFLAGS  ?= -O2 -g
# Hardening of every build: stack canaries, position-independent code, and
# at link time a read-only GOT resolved at start (full RELRO, BIND_NOW).
# _FORTIFY_SOURCE (checked libc calls) needs -O1 or more; the sanitizer
# build leaves it out (FORTIFY=), as it hides calls from AddressSanitizer.
FORTIFY ?= -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE $(FORTIFY)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(HARDEN_CFLAGS) $(EXTRA_CFLAGS) \
             -DBAKERY_VERSION='"$(VERSION)"' -Ilib -Icgi-bin $(PKG_CFLAGS) -MMD -MP
LDLIBS  := $(PKG_LIBS) -lcrypt -lm

# BUILD=build is the normal build; BUILD=build-test (make test) adds
# AddressSanitizer and UndefinedBehaviorSanitizer.
BUILD   ?= build
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

LIB_SRC    := $(wildcard lib/*.c)
API_SRC    := $(wildcard cgi-bin/*.c)
WORKER_SRC := $(wildcard worker/*.c)
UNIT_SRC   := $(wildcard t/unit/*.c)
TOOL_SRC   := $(wildcard tools/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
API_OBJ    := $(API_SRC:%.c=$(BUILD)/obj/%.o)
WORKER_OBJ := $(WORKER_SRC:%.c=$(BUILD)/obj/%.o)
# Unit tests link the responder's objects too, all but its main().
API_LIB_OBJ := $(filter-out $(BUILD)/obj/cgi-bin/main.o,$(API_OBJ))
UNIT_BIN   := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/%)
# Developer and test tools built from the code, not installed:
# tools/config_table.c becomes $(BUILD)/config-table.
TOOL_BIN   := $(patsubst tools/%.c,$(BUILD)/%,$(subst _,-,$(TOOL_SRC)))


.PHONY: all binaries unit-tests tools test-build deps test-deps bench-deps bench soak run up down status \
        logs psql test install readme-config docs clean help

all: binaries

binaries: $(BUILD)/bakery-api $(BUILD)/bakery-worker

# Objects depend on the Makefile too: changed flags rebuild them.
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bakery-api: $(API_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bakery-worker: $(WORKER_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/%: $(BUILD)/obj/t/unit/%.o $(API_LIB_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

unit-tests: $(UNIT_BIN)

$(BUILD)/config-table: $(BUILD)/obj/tools/config_table.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

# A test tool: amqp-publish with a message id (t/lib/WorkerTest.pm).
$(BUILD)/amqp-send: $(BUILD)/obj/tools/amqp_send.o
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

tools: $(TOOL_BIN)

# Ceiling B of make bench: a trivial libfcgi responder (bench/fcgi-static.c).
$(BUILD)/fcgi-static: $(BUILD)/obj/bench/fcgi-static.o
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LDLIBS)

# The sanitizer build the tests run against.
test-build:
	$(MAKE) BUILD=build-test CFLAGS='-O1 -g' EXTRA_CFLAGS='$(SAN_FLAGS)' FORTIFY= binaries unit-tests tools

deps:
	@scripts/deps.sh

run: deps all
	@scripts/stack.sh run

up: deps all
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

status:
	@scripts/stack.sh status

logs:
	@scripts/stack.sh logs

psql:
	@scripts/stack.sh psql

# The release binaries too: t/60-build-hardening.t checks their flags.
test: test-deps all test-build
	@scripts/test.sh

# Benchmarks, never tests: their own stack (/tmp/bakery-bench, /tmp/bakery-soak,
# port family 26), the optimised build. make bench writes docs/performance.md.
# BENCH_DURATION=3s make bench for a quick run; SOAK_DURATION=2m make soak.
bench: bench-deps all $(BUILD)/fcgi-static
	@bench/bench.pl

soak: bench-deps all
	@bench/soak.pl

bench-deps:
	@scripts/deps.sh --bench

# What the tests need on top: prove, chromium, node and playwright-core.
test-deps:
	@scripts/deps.sh --test

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bakery
	install -m 0755 $(BUILD)/bakery-api $(BUILD)/bakery-worker $(DESTDIR)$(PREFIX)/bin/
	cp -R www schema nginx $(DESTDIR)$(PREFIX)/share/bakery/
	install -m 0755 scripts/migrate.sh $(DESTDIR)$(PREFIX)/share/bakery/

# README.md's configuration table, printed from the table in lib/config.c
# into the lines between README.md's config-table markers
# (t/11-readme-config.t fails while they differ).
readme-config: $(BUILD)/config-table
	@grep -q '^<!-- config-table -->$$' README.md && grep -q '^<!-- /config-table -->$$' README.md || \
	  { echo "bakery: README.md lacks the <!-- config-table --> ... <!-- /config-table --> lines" >&2; exit 1; }
	$(BUILD)/config-table >$(BUILD)/config-table.md
	awk -v table=$(BUILD)/config-table.md \
	  '/^<!-- \/config-table -->$$/ { skip = 0 } !skip { print } \
	   /^<!-- config-table -->$$/ { print ""; while ((getline line <table) > 0) print line; print ""; skip = 1 }' \
	  README.md >README.md.new && mv README.md.new README.md

# docs/architecture.svg from its text source, docs/architecture.dot, with
# graphviz's dot (installed by `scripts/deps.sh --docs`, or named when it
# cannot be). Committed: t/68-architecture-svg.t fails while it is stale.
docs: docs/architecture.svg

docs/architecture.svg: docs/architecture.dot
	@command -v dot >/dev/null || scripts/deps.sh --docs || \
	  { echo "bakery: make docs needs graphviz's dot (apt-get install graphviz)" >&2; exit 1; }
	dot -Tsvg docs/architecture.dot -o $@.new && mv $@.new $@

clean:
	rm -rf build build-test build-fuzz

help:
	@echo "make run      start the whole stack in the foreground (Ctrl-C stops it)"
	@echo "make up/down  start/stop the stack in the background"
	@echo "make status   which services run;  make logs: follow their logs"
	@echo "make psql     a psql shell on the stack's database"
	@echo "make test     build with sanitizers, start a test stack, run every test"
	@echo "make bench    throughput and latency beside their ceilings (docs/performance.md)"
	@echo "make soak     10 minutes of mixed traffic with faults (SOAK_DURATION=2m)"
	@echo "make install  install binaries under \$$DESTDIR\$$PREFIX ($(PREFIX)) from \$$BUILD ($(BUILD))"
	@echo "make readme-config  README.md's configuration table from lib/config.c's"
	@echo "make docs     docs/architecture.svg from docs/architecture.dot (graphviz)"
	@echo "make fuzz     libFuzzer over the request parsing (needs clang, libclang-rt-14-dev)"

-include $(shell find build build-test -name '*.d' 2>/dev/null)

# libFuzzer over the request parsing and validation code (t/fuzz/).
# FUZZ_SECONDS=600 make fuzz runs it for ten minutes.
FUZZ_SECONDS ?= 60
FUZZ_SRC := t/fuzz/fuzz_request.c $(filter-out cgi-bin/main.c,$(API_SRC)) $(LIB_SRC)
.PHONY: fuzz
fuzz: deps
	@missing=; command -v clang >/dev/null || missing=" clang"; \
	  [ -n "$$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer*' 2>/dev/null)" ] || missing="$$missing libclang-rt-14-dev"; \
	  [ -z "$$missing" ] || { echo "bakery: make fuzz needs the Debian packages$$missing, missing here" >&2; \
	    echo "bakery: as root, run:  apt-get install -y --no-install-recommends$$missing" >&2; exit 1; }
	@mkdir -p build-fuzz build-fuzz/corpus
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -Icgi-bin \
	  $(PKG_CFLAGS) -o build-fuzz/fuzz_request $(FUZZ_SRC) $(LDLIBS)
	build-fuzz/fuzz_request -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  build-fuzz/corpus t/fuzz/corpus
