# SPDX-License-Identifier: LGPL-2.1-or-later
# courtrec: courtroom recording and live-streaming appliance.
#   make          build courtrecd, courtrec and the tests
#   make demo     install what is missing, build, run a demo courtroom
#   make check    install what is missing, build, run every test
#   make asan     build into build-asan with AddressSanitizer and UBSan,
#                 run every test against it
#   make fuzz     build the libFuzzer targets of tests/fuzz/ with clang into
#                 build-fuzz, run each for FUZZ_SECONDS (default 60)
#   make ci       check, asan and fuzz in one run (.ci/run), one
#                 "N passed, N failed" over all of it
#   make install  install the programs, the example config, the unit and
#                 the manual pages (courtrec(1), courtrecd(8), courtrec.conf(5))

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
DESTDIR    ?=

PKGS = glib-2.0 gio-2.0 gio-unix-2.0 gstreamer-1.0 gstreamer-base-1.0 \
       gstreamer-app-1.0 gstreamer-video-1.0 gstreamer-audio-1.0 \
       libsoup-3.0 json-glib-1.0 sqlite3 libsystemd \
       libavformat libavcodec libavutil libsodium librtmp gnutls yajl libcurl \
       libqrencode libical

CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS  += -DCOURTREC_VERSION=\"$(VERSION)\" -std=gnu17 -Wall -Wextra -Werror -Wno-unused-parameter \
           $(WARN_EXCEPTIONS) -I. $(shell pkg-config --cflags $(PKGS)) -MMD -MP
override LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lm
# libcsv (the hearing feed's CSV) ships no .pc file.
override LDLIBS  += -lcsv

# Warnings a build turns off after -Wall -Wextra (the fuzz build's clang).
WARN_EXCEPTIONS ?=

VERSION = 0.1.0
B = build

LIB_SRCS  = $(wildcard config/*.c pipelines/*.c archive/*.c streaming/*.c accounts/*.c \
                      access/*.c render/*.c vod/*.c schedule/*.c) \
            $(filter-out recorder/courtrecd.c,$(wildcard recorder/*.c))
LIB_OBJS  = $(LIB_SRCS:%.c=$(B)/%.o) $(B)/web/resources.o
LIB       = $(B)/libcourtrec.a

# tests/test-util*.c: what the test binaries share, linked into each.
TEST_SRCS = $(filter-out tests/test-util%.c,$(wildcard tests/test-*.c))
TEST_BINS = $(TEST_SRCS:tests/%.c=$(B)/tests/%)
TEST_UTIL = $(patsubst tests/%.c,$(B)/tests/%.o,$(wildcard tests/test-util*.c))

# The client: every tools/*.c, linked into courtrec only (not the library,
# so courtrecd does not carry them).
TOOL_SRCS = $(wildcard tools/*.c)
TOOL_OBJS = $(TOOL_SRCS:%.c=$(B)/%.o)

PROGRAMS  = $(B)/courtrecd $(B)/courtrec

all: $(PROGRAMS) $(TEST_BINS)

# Each subsystem logs under a domain of its own (courtrec-recorder,
# courtrec-archive, ...): G_MESSAGES_DEBUG=courtrec-archive, or
# journalctl GLIB_DOMAIN=courtrec-streaming, picks one out.
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DG_LOG_DOMAIN=\"courtrec-$(firstword $(subst /, ,$*))\" -c -o $@ $<

# The web pages (public live page, player) are compiled into the programs as
# a GResource, so an installed courtrecd needs no data directory.
WEB_XML   = web/courtrec.gresource.xml
WEB_FILES = $(shell glib-compile-resources --sourcedir=web --generate-dependencies $(WEB_XML))

$(B)/web/resources.c: $(WEB_XML) $(WEB_FILES)
	@mkdir -p $(dir $@)
	glib-compile-resources --sourcedir=web --generate-source --c-name cr_web --target=$@ $<

$(B)/web/resources.o: $(B)/web/resources.c
	$(CC) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/courtrecd: $(B)/recorder/courtrecd.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/courtrec: $(TOOL_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/%.o $(TEST_UTIL) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	sh scripts/install-deps.sh

demo: deps all
	sh scripts/demo.sh

# Every test, three ways, as CI runs it (.ci/run): the normal build, the
# same suite under ASan and UBSan, and every fuzz target for FUZZ_SECONDS
# alongside; one "N passed, N failed" over all of it. `make test` runs the
# normal build's tests alone, for a quicker look while working.
check: ci

test: deps all
	sh tests/run-tests.sh $(B)

# The sanitized build. UBSan stops at its first report like ASan does
# (-fno-sanitize-recover): a report that only scrolls by in a log is a
# finding nobody reads. The run-time options (ASAN_OPTIONS, UBSAN_OPTIONS)
# are set by tests/run-tests.sh, so a test binary run from there by hand
# behaves as under `make asan`.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer

asan-build:
	$(MAKE) B=build-asan CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" all

asan: deps asan-build
	sh tests/run-tests.sh build-asan

# libFuzzer targets: every tests/fuzz/fuzz-NAME.c is one, linked against
# the library built by clang into build-fuzz (its seed corpus in
# tests/fuzz/corpus/NAME/, its regression inputs in
# tests/fuzz/regressions/NAME/, see tests/fuzz/README.md). The library is
# instrumented for coverage (fuzzer-no-link); libFuzzer's main comes in at
# the link of each target only.
FUZZ_FLAGS   = $(SAN_FLAGS) -fsanitize=fuzzer-no-link
# clang, unlike gcc, warns of a { NULL } sentinel that leaves the other
# fields of a table's last row zero (recorder/api-request.c).
FUZZ_WARN    = -Wno-missing-field-initializers
FUZZ_SRCS    = $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_TARGETS = $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/tests/fuzz/%)
FUZZ_SECONDS ?= 60

fuzz-targets: $(FUZZ_TARGETS)

$(B)/tests/fuzz/fuzz-%: $(B)/tests/fuzz/fuzz-%.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build:
	$(MAKE) B=build-fuzz CC=clang CFLAGS="-O1 -g $(FUZZ_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	        WARN_EXCEPTIONS="$(FUZZ_WARN)" fuzz-targets

fuzz: deps fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/run-tests.sh build-fuzz

# What CI runs (.ci/run): the three builds, then every test of the normal
# and the sanitized build, CI_LANES binaries at a time from one queue
# (CR_TEST_LANES, see tests/run-tests.sh), with
# the fuzz targets alongside at idle priority (FUZZ_ALONGSIDE), and one
# "N passed, N failed" over all of it. The budget is 20 minutes on 2
# cores. The tests are real-time pipelines that take the same minutes
# sanitized or not, so they wait far more than they compute: side by side
# the two lanes take about the longer one's time. Measured (fresh clone,
# 2 cores): one lane on 2026-12-02, 634 tests, 32 min (normal 16 min,
# sanitized 14 min, the sanitized pass leaving out the two binaries that
# are fixed waits, SANITIZED_SKIP); two lanes on 2026-12-03, 715 tests,
# 22 min (normal lane 20 min, sanitized 18 min, builds 2 min).
CI_LANES ?= 3
ci: deps
	$(MAKE) -j2 all
	$(MAKE) -j2 asan-build
	$(MAKE) -j2 fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_ALONGSIDE=1 CR_TEST_LANES=$(CI_LANES) \
	    sh tests/run-tests.sh $(B) build-asan build-fuzz

bench: all
	sh bench/run.sh $(B)

# Without DESTDIR it also makes the user courtrec, the config and storage
# directories owned for it and the device key (scripts/setup-system.sh). With
# DESTDIR (a package being built) it makes no user and owns nothing: that is
# the machine's, and the package's postinst runs the installed script.
install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/courtrec $(DESTDIR)$(UNITDIR)
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/courtrec
	install -m 0755 $(B)/courtrecd $(B)/courtrec $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 scripts/setup-system.sh $(DESTDIR)$(PREFIX)/lib/courtrec/
	install -m 0644 config/courtrec.conf.example $(DESTDIR)$(SYSCONFDIR)/courtrec/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/courtrec.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/courtrec.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/courtrecd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|@BINDIR@|$(PREFIX)/bin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/courtrecd@.service.in \
	    > $(DESTDIR)$(UNITDIR)/courtrecd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/courtrecd@.service
	sed 's|@BINDIR@|$(PREFIX)/bin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    systemd/courtrec-coverage@.service.in > $(DESTDIR)$(UNITDIR)/courtrec-coverage@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/courtrec-coverage@.service
	install -m 0644 systemd/courtrec-coverage@.timer $(DESTDIR)$(UNITDIR)/
	if [ -z "$(DESTDIR)" ]; then \
	    SYSCONFDIR=$(SYSCONFDIR) sh scripts/setup-system.sh; \
	fi

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all deps demo check test ci asan asan-build fuzz fuzz-build fuzz-targets bench install clean
.SECONDARY: $(LIB_OBJS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
