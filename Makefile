# jiceng -- build, test, demo, bench.  Read top to bottom in a minute:
#   make          install what is missing, build ./build/jiceng (and the unit-test binaries)
#   make test     install what the tests start, build, run the checks and every test
#   make demo     install what is missing, build, seed var/demo.db, serve :8080
#   make asan     the whole test suite under ASan+UBSan with leak detection (build-asan/)
#   make fuzz     each libFuzzer target of fuzz/ for FUZZ_SECONDS (default 60) under ASan+UBSan
#   make bench    every benchmark, figures in build/bench.json (ONLY=group)
#   make check    the repository's static checks (scripts/check_*.mjs)
#   make build    build only, installing nothing
# Every target that runs something first runs scripts/setup.sh for its mode, so a
# fresh Debian 12 machine needs nothing installed by hand.

CC      ?= cc
BUILD   ?= build
PKGS    := libh2o-evloop jansson libsodium sqlite3 libutf8proc libmosquitto xlsxwriter libcurl libzip expat libpq
OPT     ?= -O2
CFLAGS  += -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 $(OPT) -g -Wall -Wextra -Werror \
           -Wno-missing-field-initializers $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lcsv -lpthread -lm

SRC      := $(wildcard src/*.c)
# Official holidays (npm chinese-days) converted at build time, not committed.
CALDATA  := $(BUILD)/gen/calendar_data.c
OBJ      := $(SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/calendar_data.o $(BUILD)/obj/people_hanzi.o
LIBOBJ   := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
UNITSRC  := $(wildcard tests/unit/test_*.c)
UNITBIN  := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
GEN      := $(wildcard src/gen/*.h)

all: setup
	@$(MAKE) --no-print-directory build

build: $(BUILD)/jiceng $(UNITBIN)

$(BUILD)/jiceng: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) $(GEN) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

# node_modules from package-lock.json (also done by every setup mode).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CALDATA): scripts/gen_calendar.mjs node_modules/.package-lock.json
	node scripts/gen_calendar.mjs $@

$(BUILD)/obj/calendar_data.o: $(CALDATA) src/calendar.h | $(BUILD)/obj
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# Pinyin and simplified forms of CJK characters (npm pinyin-pro, opencc-js), likewise.
$(BUILD)/gen/people_hanzi.c: scripts/gen_hanzi.mjs node_modules/.package-lock.json
	node scripts/gen_hanzi.mjs $@

$(BUILD)/obj/people_hanzi.o: $(BUILD)/gen/people_hanzi.c src/people.h | $(BUILD)/obj
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(LIBOBJ) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBOBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

setup:
	@scripts/setup.sh run
setup-test:
	@scripts/setup.sh test
setup-bench:
	@scripts/setup.sh bench
setup-fuzz:
	@scripts/setup.sh fuzz

check:
	@for c in scripts/check_*.mjs; do node $$c || exit 1; done

test: setup-test
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory check
	@JICENG_BIN=$(abspath $(BUILD)/jiceng) JICENG_UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh

# -Wformat-truncation stays an error in the -O2 build; at -O1 gcc knows less of
# the values' ranges and reports cuts the -O2 build rules out: warnings here.
asan: setup-test
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-error=format-truncation" \
	    LDFLAGS="-fsanitize=address,undefined" build
	@rm -rf build-asan/reports && mkdir -p build-asan/reports
	@ASAN_OPTIONS=detect_leaks=1:log_path=$(abspath build-asan/reports)/asan \
	    UBSAN_OPTIONS=print_stacktrace=1:log_path=$(abspath build-asan/reports)/ubsan \
	    LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 JICENG_SANITIZER_REPORTS=$(abspath build-asan/reports) \
	    JICENG_BIN=$(abspath build-asan/jiceng) JICENG_UNIT_DIR=$(abspath build-asan/tests) tests/run.sh

# libFuzzer targets (fuzz/fuzz_*.c), clang from Debian; fuzz/run.sh runs them.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))
fuzz: setup-fuzz
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz \
	    OPT="-O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: fuzz/%.c $(LIBOBJ) | $(BUILD)/fuzz
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Isrc -o $@ $< $(LIBOBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/fuzz:
	mkdir -p $@

demo: setup
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh

bench: setup-bench
	@$(MAKE) --no-print-directory build
	@bench/run.sh $(ONLY)

clean:
	rm -rf $(BUILD) build-asan build-fuzz

.PHONY: all build setup setup-test setup-bench setup-fuzz check test asan fuzz fuzz-build demo bench clean
