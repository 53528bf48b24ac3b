#!/bin/sh
# deps.sh [--tests | --windows] — make sure the libraries qy builds against are present
# (with --tests, also the tools the test suite runs: xmllint, mandoc, the
# shells whose completions it drives, npm for the SARIF validator, chromium
# for the HTML report's browser test, and python3-openpyxl, which reads the workbooks qy writes back independently; with
# --windows, the cross toolchain, the source-package tools and Wine that
# make windows and make check-windows use).  Checks by compiling a one-line program against each header,
# so it works on any system; on Debian or Ubuntu, when run as root, installs
# what is missing with apt-get, otherwise prints the exact command and fails.
CC=${CC:-cc}
missing=""

have_header() {
	printf '#include <%s>\nint main(void){return 0;}\n' "$1" |
		$CC -x c -o /dev/null - "$2" >/dev/null 2>&1
}

have_header csv.h -lcsv || missing="$missing libcsv-dev"
have_header jansson.h -ljansson || missing="$missing libjansson-dev"
have_header zip.h -lzip || missing="$missing libzip-dev"
have_header expat.h -lexpat || missing="$missing libexpat1-dev"
have_header freexl.h -lfreexl || missing="$missing libfreexl-dev"
have_header xlsxwriter.h -lxlsxwriter || missing="$missing libxlsxwriter-dev"
printf '#define PCRE2_CODE_UNIT_WIDTH 8\n#include <pcre2.h>\nint main(void){return 0;}\n' |
	$CC -x c -o /dev/null - -lpcre2-8 >/dev/null 2>&1 || missing="$missing libpcre2-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
if [ "$1" = --tests ]; then
	command -v xmllint >/dev/null 2>&1 || missing="$missing libxml2-utils"
	command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
	command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
	command -v fish >/dev/null 2>&1 || missing="$missing fish"
	[ -r /usr/share/bash-completion/bash_completion ] || missing="$missing bash-completion"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
	/usr/bin/python3 -c 'import openpyxl' >/dev/null 2>&1 || missing="$missing python3-openpyxl"
fi

if [ "$1" = --windows ]; then
	for tool in x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 x86_64-w64-mingw32-g++:g++-mingw-w64-x86-64 \
		cmake:cmake ninja:ninja-build dpkg-source:dpkg-dev python3:python3; do
		command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
	done
	command -v wine64 >/dev/null 2>&1 || [ -x /usr/lib/wine/wine64 ] || missing="$missing wine64"
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # one word per package
	apt-get update -q >&2 && apt-get install -y -q $missing >&2 && exit 0
	echo "deps: apt-get failed; install by hand:$missing" >&2
	exit 1
fi
echo "deps: missing libraries; install them with:" >&2
echo "    sudo apt-get install$missing" >&2
exit 1
