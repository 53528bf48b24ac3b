# qy version and build settings; override any of them on the make command line.
VERSION = 0.1.0

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/qy
MANDIR = $(PREFIX)/share/man
# Where a SARIF report says qy is documented (its informationUri): the
# installed qy-diagnostics(7) unless a site gives the address of its own pages.
URL = file://$(MANDIR)/man7/qy-diagnostics.7

CC = cc
PKG_CONFIG = pkg-config
PKGS = jansson libpcre2-8 libzip expat freexl xlsxwriter

OPT = -O2 -g
# Profile-guided: compiled twice, the second time with the counts of a training run
# (Makefile, mk/train.sh); no to compile once.  Only with GCC.
PGO = yes
WARN = -Wall -Wextra
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DQY_RULES_DIR=\"$(DATADIR)/rules\" -DQY_URL=\"$(URL)\"
CFLAGS = -std=c11 -pthread $(OPT) $(WARN) $(SAN)
LDFLAGS = -pthread $(SAN)
LDLIBS = `$(PKG_CONFIG) --libs $(PKGS)` -lcsv -lm

# Sanitizer build used by `make check`.
ASAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
