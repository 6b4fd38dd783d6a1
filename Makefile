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
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
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

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
API_OBJ    := $(API_SRC:%.c=$(BUILD)/obj/%.o)
WORKER_OBJ := $(WORKER_SRC:%.c=$(BUILD)/obj/%.o)
# Unit tests link the responder's objects too, all but its main().
API_LIB_OBJ := $(filter-out $(BUILD)/obj/cgi-bin/main.o,$(API_OBJ))
UNIT_BIN   := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/%)


.PHONY: all binaries unit-tests test-build deps test-deps run up down status logs psql test install clean help

all: binaries

binaries: $(BUILD)/bakery-api $(BUILD)/bakery-worker

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bakery-api: $(API_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bakery-worker: $(WORKER_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/%: $(BUILD)/obj/t/unit/%.o $(API_LIB_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

unit-tests: $(UNIT_BIN)

# The sanitizer build the tests run against.
test-build:
	$(MAKE) BUILD=build-test CFLAGS='-O1 -g' EXTRA_CFLAGS='$(SAN_FLAGS)' binaries unit-tests

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

test: test-deps test-build
	@scripts/test.sh

# What the tests need on top: prove, chromium, node and playwright-core.
test-deps:
	@scripts/deps.sh --test

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bakery
	install -m 0755 build/bakery-api build/bakery-worker $(DESTDIR)$(PREFIX)/bin/
	cp -R www schema nginx $(DESTDIR)$(PREFIX)/share/bakery/
	install -m 0755 scripts/migrate.sh $(DESTDIR)$(PREFIX)/share/bakery/

clean:
	rm -rf build build-test build-fuzz

help:
	@echo "make run      start the whole stack in the foreground (Ctrl-C stops it)"
	@echo "make up/down  start/stop the stack in the background"
	@echo "make status   which services run;  make logs: follow their logs"
	@echo "make psql     a psql shell on the stack's database"
	@echo "make test     build with sanitizers, start a test stack, run every test"
	@echo "make install  install binaries under \$$DESTDIR\$$PREFIX ($(PREFIX))"

-include $(shell find build build-test -name '*.d' 2>/dev/null)

# libFuzzer over the request parsing and validation code (t/fuzz/).
# FUZZ_SECONDS=600 make fuzz runs it for ten minutes.
FUZZ_SECONDS ?= 60
FUZZ_SRC := t/fuzz/fuzz_request.c $(filter-out cgi-bin/main.c,$(API_SRC)) $(LIB_SRC)
.PHONY: fuzz
fuzz: deps
	@command -v clang >/dev/null && [ -n "$$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer*' 2>/dev/null)" ] || \
	  { echo "bakery: make fuzz needs clang and its runtime: apt-get install -y clang libclang-rt-14-dev"; \
	    [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null; }
	@mkdir -p build-fuzz build-fuzz/corpus
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -Icgi-bin \
	  $(PKG_CFLAGS) -o build-fuzz/fuzz_request $(FUZZ_SRC) $(LDLIBS)
	build-fuzz/fuzz_request -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  build-fuzz/corpus t/fuzz/corpus
