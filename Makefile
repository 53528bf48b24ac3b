# qy — see README.md.  Targets: all check demo bench install uninstall clean.
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

all: $(BUILD)/.deps $(BINS) $(UNITS)

# Libraries present (installed with apt-get when root), checked once per build dir.
$(BUILD)/.deps: mk/deps.sh
	@CC="$(CC)" sh mk/deps.sh
	@mkdir -p $(BUILD) && touch $@

# The installed rules directory is compiled in: rebuild when PREFIX or DATADIR changes.
$(BUILD)/.datadir: FORCE
	@mkdir -p $(BUILD)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@

$(BUILD)/lib/ruleset.o: $(BUILD)/.datadir

$(BUILD)/lib/%.o: lib/%.c lib/*.h config.mk | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c lib/*.h config.mk | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -Ilib -c -o $@ $<

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
check: $(BUILD)/.deps
	@CC="$(CC)" sh mk/deps.sh --tests
	$(MAKE) BUILD=build WARN="$(WARN) -Werror" all
	sh tests/run build
	$(MAKE) check-asan

check-asan: $(BUILD)/.deps
	@CC="$(CC)" sh mk/deps.sh --tests
	$(MAKE) BUILD=build-asan WARN="$(WARN) -Werror" SAN="$(ASAN)" OPT="-O1 -g" all
	ASAN_OPTIONS=detect_leaks=1 sh tests/run build-asan

demo: all
	sh mk/demo.sh $(BUILD)

bench: all
	sh bench/run $(BUILD)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/rules/ref
	for c in $(CMDS); do cp $(BUILD)/$$c $(DESTDIR)$(BINDIR)/$$c; done
	cp rules/*.json $(DESTDIR)$(DATADIR)/rules/
	cp rules/ref/*.csv $(DESTDIR)$(DATADIR)/rules/ref/

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$c; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-asan bench/data

.PHONY: all check check-asan demo bench install uninstall clean FORCE
