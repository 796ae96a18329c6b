# jiceng -- build, test, demo, bench.  Read top to bottom in a minute:
#   make          build ./build/jiceng (and the unit-test binaries)
#   make test     install what is missing, build, run every test
#   make demo     install what is missing, build, seed var/demo.db, serve :8080
#   make asan     the whole test suite under ASan+UBSan (build-asan/)
#   make bench    every benchmark, figures in build/bench.json (ONLY=group)

CC      ?= cc
BUILD   ?= build
PKGS    := libh2o-evloop jansson libsodium sqlite3 libutf8proc libmosquitto xlsxwriter
OPT     ?= -O2
CFLAGS  += -std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 $(OPT) -g -Wall -Wextra -Werror \
           -Wno-missing-field-initializers -Wno-format-truncation $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lcsv -lpthread -lm

SRC      := $(wildcard src/*.c)
# Official holidays (npm chinese-days) converted at build time, not committed.
CALDATA  := $(BUILD)/gen/calendar_data.c
OBJ      := $(SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/calendar_data.o
LIBOBJ   := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
UNITSRC  := $(wildcard tests/unit/test_*.c)
UNITBIN  := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
GEN      := $(wildcard src/gen/*.h)

all: $(BUILD)/jiceng $(UNITBIN)

$(BUILD)/jiceng: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) $(GEN) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(CALDATA): scripts/gen_calendar.mjs node_modules/chinese-days/dist/chinese-days.json
	node scripts/gen_calendar.mjs $@

$(BUILD)/obj/calendar_data.o: $(CALDATA) src/calendar.h | $(BUILD)/obj
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(LIBOBJ) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBOBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

setup:
	@scripts/setup.sh

test: setup
	@$(MAKE) --no-print-directory all
	@JICENG_BIN=$(abspath $(BUILD)/jiceng) JICENG_UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh

asan: setup
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all
	@ASAN_OPTIONS=detect_leaks=0 JICENG_BIN=$(abspath build-asan/jiceng) \
	    JICENG_UNIT_DIR=$(abspath build-asan/tests) tests/run.sh

demo: setup
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: setup
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(ONLY)

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all setup test asan demo bench clean
