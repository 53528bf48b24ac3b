# qy — see README.md.  Targets: all check demo bench install uninstall dist distcheck
# windows check-windows clean.
include config.mk

BUILD = build
LIB_SRC = $(sort $(wildcard lib/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMDS = $(patsubst cmd/%.c,qy-%,$(filter-out cmd/qy.c,$(CMD_SRC))) $(if $(wildcard cmd/qy.c),qy)
BINS = $(CMDS:%=$(BUILD)/%)
UNITS = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PKG_CFLAGS = `$(PKG_CONFIG) --cflags $(PKGS)`

# With PGO = yes and GCC 11 or later, a profile-guided build: $(BUILD)/pgo is the same
# build made to count where its work goes, mk/train.sh runs its qy-check on files of the
# kinds it checks, and each object here is compiled with the counts of its twin there
# (PGO = use), found as the twin's (-dumpdir, -dumpbase: GCC matches a file's functions to
# their counts by the object's name).  PGO = no builds once.
ifeq ($(PGO),yes)
PGO_GCC := $(shell $(CC) --version 2>/dev/null | grep -q 'Free Software Foundation' && \
	[ "$$($(CC) -dumpversion | cut -d. -f1)" -ge 11 ] && echo yes)
endif
ifeq ($(PGO_GCC),yes)
PGO_COUNT = -fprofile-generate -fprofile-update=single
all: $(BUILD)/.deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/pgo PGO=no OPT="$(OPT) $(PGO_COUNT)" \
		LDFLAGS="$(LDFLAGS) $(PGO_COUNT)" $(BUILD)/pgo/qy-check $(BUILD)/pgo/gen
	@$(MAKE) --no-print-directory $(BUILD)/pgo/.trained
	@$(MAKE) --no-print-directory PGO=use binaries
else
all: binaries
endif

binaries: $(BUILD)/.deps $(BINS) $(UNITS)

$(BUILD)/pgo/.trained: $(BUILD)/pgo/qy-check $(BUILD)/pgo/gen mk/train.sh
	sh mk/train.sh $(BUILD)/pgo
	@touch $@

# The benchmark's generator of daily air rows (bench/run builds its own), for the training run.
$(BUILD)/gen: bench/gen.c
	@mkdir -p $(@D)
	$(CC) -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o $@ bench/gen.c -lm

# An object with counts is compiled with them, and again when they change.  Its warnings
# are its twin's, which compiled the same source with the same flags: GCC's notes on a
# compile with counts are about the counts (functions inlined where they were counted).
ifeq ($(PGO),use)
PGO_TWIN = $(BUILD)/pgo/$(patsubst $(BUILD)/%.o,%,$@)
PGO_USE = $(if $(wildcard $(PGO_TWIN).gcda),-fprofile-use -fprofile-partial-training -w \
	-dumpdir $(dir $(PGO_TWIN)) -dumpbase $(notdir $(PGO_TWIN)))
.SECONDEXPANSION:
$(LIB_OBJ) $(CMD_SRC:%.c=$(BUILD)/%.o): $$(wildcard $$(patsubst $(BUILD)/%.o,$(BUILD)/pgo/%.gcda,$$@))
endif

# Libraries present (installed with apt-get when root), checked once per build dir.
$(BUILD)/.deps: mk/deps.sh
	@CC="$(CC)" sh mk/deps.sh
	@mkdir -p $(BUILD) && touch $@

# The flags the objects are compiled with (the installed rules directory among them, and
# whether counts are used): the objects are compiled again when they change.
FLAGS_USED = $(CC) $(CPPFLAGS) $(CFLAGS) PGO=$(PGO)
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(FLAGS_USED)' | cmp -s - $@ || echo '$(FLAGS_USED)' > $@

$(BUILD)/lib/%.o: lib/%.c lib/*.h config.mk $(BUILD)/.flags | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PGO_USE) $(PKG_CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c lib/*.h config.mk $(BUILD)/.flags | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PGO_USE) $(PKG_CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/libqy.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/qy-%: $(BUILD)/cmd/%.o $(BUILD)/libqy.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libqy.a $(LDLIBS)

$(BUILD)/qy: $(BUILD)/cmd/qy.o $(BUILD)/libqy.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libqy.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libqy.a tests/unit/*.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -Ilib -o $@ $< $(BUILD)/libqy.a $(LDLIBS)

# Every test twice: a plain build with -Werror, then under ASan and UBSan.
# make check VALGRIND=1 runs the golden cases of the plain build under valgrind.
check: $(BUILD)/.deps
	@CC="$(CC)" sh mk/deps.sh --tests
	$(MAKE) BUILD=build WARN="$(WARN) -Werror" all
	$(MAKE) lint-man
	VALGRIND="$(VALGRIND)" sh tests/run build
	$(MAKE) check-asan

check-asan: $(BUILD)/.deps
	@CC="$(CC)" sh mk/deps.sh --tests
	$(MAKE) BUILD=build-asan WARN="$(WARN) -Werror" SAN="$(ASAN)" OPT="-O1 -g" PGO=no all
	VALGRIND= ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		sh tests/run build-asan   # valgrind cannot run ASan binaries

# The Windows build (mk/windows.sh: Debian's sources, mingw-w64, a reproducible zip)
# and its tests under Wine.
windows:
	@sh mk/deps.sh --windows
	sh mk/windows.sh build-win

check-windows:
	@sh mk/deps.sh --windows
	sh tests/windows/run build-win

demo: all
	sh mk/demo.sh $(BUILD)

bench: all
	bash bench/run $(BUILD)

MAN1 = $(sort $(wildcard man/*.1))
MAN5 = $(sort $(wildcard man/*.5))
MAN7 = $(sort $(wildcard man/*.7))
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d

# bash-completion and fish load a completion by command name: one file, a link per command.
install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/rules/ref $(DESTDIR)$(DATADIR)/rules/reconcile
	mkdir -p $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	mkdir -p $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	for c in $(CMDS); do cp $(BUILD)/$$c $(DESTDIR)$(BINDIR)/$$c; done
	cp rules/*.json $(DESTDIR)$(DATADIR)/rules/
	cp rules/ref/*.csv $(DESTDIR)$(DATADIR)/rules/ref/
	cp rules/reconcile/*.json $(DESTDIR)$(DATADIR)/rules/reconcile/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	cp completions/qy.bash $(DESTDIR)$(BASHDIR)/qy
	cp completions/_qy $(DESTDIR)$(ZSHDIR)/_qy
	cp completions/qy.fish $(DESTDIR)$(FISHDIR)/qy.fish
	for c in $(filter-out qy,$(CMDS)); do \
		ln -sf qy $(DESTDIR)$(BASHDIR)/$$c; ln -sf qy.fish $(DESTDIR)$(FISHDIR)/$$c.fish; done

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(BASHDIR)/$$c $(DESTDIR)$(FISHDIR)/$$c.fish; done
	for m in $(MAN1) $(MAN5) $(MAN7); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	rm -f $(DESTDIR)$(ZSHDIR)/_qy $(DESTDIR)$(FISHDIR)/qy.fish
	rm -rf $(DESTDIR)$(DATADIR)

# The manual pages, with no warning from mandoc.
lint-man:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

# libFuzzer harnesses (clang), FUZZ_SECONDS each.
FUZZ_SECONDS = 60
fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# A versioned source tarball of the tracked files; distcheck builds and tests it.
DIST = qy-$(VERSION)
dist:
	rm -rf $(DIST) $(DIST).tar.gz
	mkdir $(DIST)
	git ls-files -z | tar --null -cf - -T - | tar -xf - -C $(DIST)
	tar -czf $(DIST).tar.gz $(DIST)
	rm -rf $(DIST)

distcheck: dist
	rm -rf build-dist && mkdir build-dist
	tar -xzf $(DIST).tar.gz -C build-dist
	$(MAKE) -C build-dist/$(DIST) check
	rm -rf build-dist

clean:
	rm -rf build build-asan build-install build-dist build-fuzz build-win bench/data qy-*.tar.gz

.PHONY: all binaries check check-asan windows check-windows demo bench install uninstall lint-man dist distcheck fuzz clean FORCE
