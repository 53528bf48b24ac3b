#!/bin/sh
# mk/windows.sh [BUILD] — cross-compiles every qy command for 64-bit Windows
# with Debian's mingw-w64, statically linked, and packs qy-VERSION-win64.zip.
#
# The libraries come from Debian's own source packages: a private apt
# configuration in BUILD/apt (a deb-src line for the release this machine
# runs, its own lists and cache; /etc/apt is left alone) fetches them with
# `apt-get source`, and each is built once per build directory into
# BUILD/prefix: libcsv, jansson, PCRE2 (with JIT), zlib, libzip, expat,
# freexl and libxlsxwriter.  Debian ships no iconv for Windows, so
# lib/win/iconv.c stands in: GBK and GB18030 through tables that
# mk/gbtables.c writes from this machine's glibc (the same conversion as the
# Linux build), other code pages through Windows.
#
# The zip is reproducible: no timestamps in the executables, entries sorted
# and dated from the last commit, no build paths.  Its SHA-256 is printed last.
set -eu
B=${1:-build-win}
top=$(pwd)
mkdir -p "$B"
B=$(cd "$B" && pwd)
HOST=x86_64-w64-mingw32
CC=$HOST-gcc
QY_VERSION=$(sed -n 's/^VERSION = //p' config.mk)
PREFIX=$B/prefix
JOBS=${JOBS:-2}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1735689600)}
# Paths of this build directory never reach the executables (assert() messages, debug info).
MAP="-ffile-prefix-map=$B=. -ffile-prefix-map=$top=."
LIBCFLAGS="-O2 $MAP"

for tool in $CC $HOST-g++ $HOST-windres apt-get dpkg-source cmake ninja python3; do
	command -v "$tool" >/dev/null ||
		{ echo "mk/windows.sh: '$tool' is missing: sh mk/deps.sh --windows installs it" >&2; exit 2; }
done

# ---- Debian's sources, through a private apt configuration ----

# The release's main archive, whose point releases carry the security fixes; a deb-src
# line for the security archive may be added to BUILD/apt/sources.list (in a new BUILD).
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
APT="-o Dir::Etc::SourceList=$B/apt/sources.list -o Dir::Etc::SourceParts=/dev/null"
APT="$APT -o Dir::State::Lists=$B/apt/lists -o Dir::Cache=$B/apt/cache -o APT::Sandbox::User=root -q"
if [ ! -f "$B/apt/.updated" ]; then
	mkdir -p "$B/apt/lists/partial" "$B/apt/cache/archives/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" \
		> "$B/apt/sources.list"
	# shellcheck disable=SC2086
	apt-get $APT update
	touch "$B/apt/.updated"
fi

# fetch PKG: unpacks Debian's source package PKG (patches applied) under BUILD/src, once.
fetch() {
	[ -f "$B/src/.$1" ] && return
	mkdir -p "$B/src"
	# shellcheck disable=SC2086
	(cd "$B/src" && apt-get $APT source "$1" >"$B/src/$1.log" 2>&1) ||
		{ cat "$B/src/$1.log" >&2; echo "mk/windows.sh: apt-get source $1 failed" >&2; exit 2; }
	sed -n 's/^Version: //p' "$B/src/$1"_*.dsc | head -1 > "$B/src/.$1"
}

# srcdir PKG: the unpacked source tree of PKG.
srcdir() {
	for d in "$B/src/$1"-*/; do
		[ -d "$d" ] && { echo "${d%/}"; return; }
	done
	echo "mk/windows.sh: no source tree for $1" >&2
	exit 2
}

# ---- the libraries, each built once ----

cat > "$B/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_C_COMPILER $CC)
set(CMAKE_CXX_COMPILER $HOST-g++)
set(CMAKE_RC_COMPILER $HOST-windres)
set(CMAKE_FIND_ROOT_PATH $PREFIX /usr/$HOST)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF

# cmake_lib PKG SUBDIR ARGS: configures, builds and installs a CMake project into the prefix.
cmake_lib() {
	pkg=$1 sub=$2
	shift 2
	rm -rf "$B/obj-$pkg"
	cmake -S "$(srcdir "$pkg")/$sub" -B "$B/obj-$pkg" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$B/toolchain.cmake" \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="$LIBCFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DBUILD_SHARED_LIBS=OFF "$@" >"$B/obj-$pkg.log" 2>&1 &&
		cmake --build "$B/obj-$pkg" -j "$JOBS" >>"$B/obj-$pkg.log" 2>&1 &&
		cmake --install "$B/obj-$pkg" >>"$B/obj-$pkg.log" 2>&1 ||
		{ tail -40 "$B/obj-$pkg.log" >&2; echo "mk/windows.sh: building $pkg failed" >&2; exit 2; }
}

# archive LIB DIR NAME...: compiles DIR/NAME.c for each NAME into the static library LIB.
archive() {
	lib=$1 dir=$2
	shift 2
	rm -rf "$B/obj-$lib" "$PREFIX/lib/$lib"
	mkdir -p "$B/obj-$lib"
	for name in "$@"; do
		$CC $LIBCFLAGS -c -o "$B/obj-$lib/$name.o" "$dir/$name.c"
	done
	(cd "$B/obj-$lib" && $HOST-ar rcsD "$PREFIX/lib/$lib" $(printf '%s.o ' "$@"))
}

# build PKG: builds library PKG into the prefix unless this build directory has it.
build() {
	[ -f "$PREFIX/.$1" ] && return
	fetch "$1"
	echo "  LIB   $1 $(cat "$B/src/.$1")"
	mkdir -p "$PREFIX/include" "$PREFIX/lib"
	dir=$(srcdir "$1")
	case $1 in
	zlib) # the library's C files, as its own makefiles build them
		archive libz.a "$dir" adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast \
			inflate inftrees trees uncompr zutil
		cp "$dir/zlib.h" "$dir/zconf.h" "$PREFIX/include/" ;;
	libcsv)
		archive libcsv.a "$dir" libcsv
		cp "$dir/csv.h" "$PREFIX/include/" ;;
	jansson)
		cmake_lib jansson . -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF
		# its internal functions (utf8_encode, hashtable_get...) are global in a static library: renamed
		$HOST-nm -g --defined-only "$PREFIX/lib/libjansson.a" |
			awk 'NF == 3 && $3 !~ /^(json_|jansson_|\.)/ { print $3, "jansson_" $3 }' | sort -u > "$B/jansson.syms"
		$HOST-objcopy --redefine-syms="$B/jansson.syms" "$PREFIX/lib/libjansson.a" ;;
	pcre2)
		cmake_lib pcre2 . -DPCRE2_SUPPORT_JIT=ON -DPCRE2_BUILD_PCRE2GREP=OFF -DPCRE2_BUILD_TESTS=OFF ;;
	expat)
		cmake_lib expat expat -DEXPAT_BUILD_TOOLS=OFF -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF \
			-DEXPAT_BUILD_DOCS=OFF -DEXPAT_SHARED_LIBS=OFF -DEXPAT_BUILD_PKGCONFIG=ON -DEXPAT_DTD=OFF ;;
	libzip)
		cmake_lib libzip . -DENABLE_BZIP2=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF -DENABLE_OPENSSL=OFF \
			-DENABLE_GNUTLS=OFF -DENABLE_MBEDTLS=OFF -DENABLE_COMMONCRYPTO=OFF -DENABLE_WINDOWS_CRYPTO=ON \
			-DBUILD_TOOLS=OFF -DBUILD_REGRESS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOC=OFF ;;
	libxlsxwriter)
		cmake_lib libxlsxwriter . -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DUSE_SYSTEM_MINIZIP=OFF ;;
	freexl)
		# freexl converts code pages with iconv: it links against lib/win/iconv.c.
		rm -rf "$B/obj-freexl" && mkdir -p "$B/obj-freexl"
		(cd "$B/obj-freexl" && "$dir/configure" --host=$HOST --prefix="$PREFIX" --disable-shared --enable-static \
			CFLAGS="$LIBCFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" LIBS="-liconv" &&
			make -j "$JOBS" && make install) >"$B/obj-freexl.log" 2>&1 ||
			{ tail -40 "$B/obj-freexl.log" >&2; echo "mk/windows.sh: building freexl failed" >&2; exit 2; } ;;
	esac
	cp "$B/src/.$1" "$PREFIX/.$1"
}

# ---- iconv for Windows: the GBK and GB18030 tables, from this machine's glibc ----

mkdir -p "$B/gen" "$B/obj" "$PREFIX/include" "$PREFIX/lib"
if [ ! -f "$B/gen/gbtables.c" ] || [ mk/gbtables.c -nt "$B/gen/gbtables.c" ]; then
	cc -O2 -o "$B/gen/gbtables" mk/gbtables.c
	"$B/gen/gbtables" > "$B/gen/gbtables.c.tmp" && mv "$B/gen/gbtables.c.tmp" "$B/gen/gbtables.c"
fi
# The C library's printf here is mingw's C99 one (%zu, %lld as on Linux), but GCC checks
# formats against Microsoft's: the Linux build checks them instead.
# _FILE_OFFSET_BITS=64: stat's st_size is 32 bits otherwise, even on 64-bit Windows.
QYCFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -Wno-format $MAP -D_POSIX_C_SOURCE=200809L -D__USE_MINGW_ANSI_STDIO=1"
QYCFLAGS="$QYCFLAGS -D_FILE_OFFSET_BITS=64"
QYCFLAGS="$QYCFLAGS -DPCRE2_STATIC -DXML_STATIC -DQY_RULES_DIR=\"rules\" -include lib/win/compat.h -Ilib -Ilib/win -I$PREFIX/include"
# shellcheck disable=SC2086
for f in lib/win/iconv.c lib/win/gbdecode.c "$B/gen/gbtables.c"; do
	$CC $QYCFLAGS -c -o "$B/obj/iconv-$(basename "$f" .c).o" "$f"
done
rm -f "$PREFIX/lib/libiconv.a"
$HOST-ar rcsD "$PREFIX/lib/libiconv.a" "$B"/obj/iconv-*.o
cp lib/win/iconv.h lib/win/localcharset.h "$PREFIX/include/"

for lib in zlib libcsv jansson pcre2 expat libzip libxlsxwriter freexl; do
	build $lib
done

# ---- qy itself ----

echo "  QY    $QY_VERSION"
LIBS="-L$PREFIX/lib -lpcre2-8 -ljansson -lcsv -lxlsxwriter -lzip -lfreexl -lexpat -lz -liconv -lbcrypt -lm -lpthread"
LDFLAGS="-static -s -Wl,--no-insert-timestamp"
rm -rf "$B/obj/lib" "$B/obj/cmd" "$B/obj/tests" "$B/bin" "$B/tests" # nothing left from older sources
(cd lib/win && $HOST-windres -O coff qy.rc "$B/obj/qy.res")
# compile SOURCE OBJECT: one translation unit, in parallel with the others through xargs.
ls lib/*.c lib/win/fnmatch.c lib/win/posix.c cmd/*.c tests/unit/*.c |
	sed 's|^\(.*\)\.c$|\1.c '"$B"'/obj/\1.o|' |
	CC=$CC QYCFLAGS=$QYCFLAGS xargs -P "$JOBS" -n 2 sh -c 'mkdir -p "${2%/*}" && $CC $QYCFLAGS -c -o "$2" "$1" || exit 255' sh
rm -f "$B/obj/libqy.a"
$HOST-ar rcsD "$B/obj/libqy.a" "$B"/obj/lib/*.o "$B"/obj/lib/win/*.o
mkdir -p "$B/bin" "$B/tests"
for o in "$B"/obj/cmd/*.o; do
	name=$(basename "$o" .o)
	[ "$name" = qy ] || name=qy-$name
	# shellcheck disable=SC2086
	$CC $LDFLAGS -o "$B/bin/$name.exe" "$o" "$B/obj/qy.res" "$B/obj/libqy.a" $LIBS
done
for o in "$B"/obj/tests/unit/*.o; do
	# shellcheck disable=SC2086
	$CC $LDFLAGS -o "$B/tests/$(basename "$o" .o).exe" "$o" "$B/obj/qy.res" "$B/obj/libqy.a" $LIBS
done

# ---- the zip: the commands, the rules beside them, the clerk's files, the licences ----

NAME=qy-$QY_VERSION-win64
STAGE=$B/stage/$NAME
rm -rf "$B/stage" && mkdir -p "$STAGE/rules/ref" "$STAGE/licenses"
cp "$B"/bin/*.exe "$STAGE/"
cp rules/*.json "$STAGE/rules/"
cp rules/ref/*.csv "$STAGE/rules/ref/"
[ -d rules/reconcile ] && mkdir -p "$STAGE/rules/reconcile" && cp rules/reconcile/*.json "$STAGE/rules/reconcile/"
# Windows tools want CRLF; Notepad before Windows 10 1903 wants a BOM to read UTF-8; cmd.exe
# reads a batch file in the console's code page, GBK on Chinese Windows.
sed 's/$/\r/' "mk/windows/检查文件.bat" | iconv -f UTF-8 -t GBK > "$STAGE/检查文件.bat"
{ printf '\357\273\277'; sed 's/$/\r/' "mk/windows/说明.txt"; } > "$STAGE/说明.txt"
{ printf '\357\273\277'; sed 's/$/\r/' README.md; } > "$STAGE/README.md"
{
	echo "qy $QY_VERSION for 64-bit Windows, statically linked with these Debian source packages:"
	for lib in libcsv jansson pcre2 zlib libzip expat freexl libxlsxwriter; do
		echo "  $lib $(cat "$B/src/.$lib")"
		cp "$(srcdir $lib)/debian/copyright" "$STAGE/licenses/$lib.txt"
	done
	echo "and the mingw-w64 runtime (winpthreads, libgcc) of $($CC -dumpversion)."
	echo "GBK and GB18030 are decoded with tables made from glibc's iconv."
	echo "Each library's licence is in licenses/; the sources are Debian's: apt-get source NAME=VERSION."
} | sed 's/$/\r/' > "$STAGE/SOURCES.txt"
cp /usr/share/doc/mingw-w64-common/copyright "$STAGE/licenses/mingw-w64.txt"
cp /usr/share/doc/gcc-mingw-w64-base/copyright "$STAGE/licenses/gcc-mingw-w64.txt"

# Same sources, same bytes: entries sorted, dated from the last commit, fixed modes, and
# names flagged as UTF-8 (which Info-ZIP's zip does not do) so that Windows shows 检查文件.bat.
rm -f "$B/$NAME.zip"
(cd "$B/stage" && find "$NAME" -type f | LC_ALL=C sort) | python3 -c '
import sys, time, zipfile
when = time.gmtime(int(sys.argv[2]))[:6]
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name in sys.stdin.read().splitlines():
        info = zipfile.ZipInfo(name, when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100755 if name.endswith(".exe") else 0o100644) << 16
        with open(sys.argv[3] + "/" + name, "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
' "$B/$NAME.zip" "$SOURCE_DATE_EPOCH" "$B/stage"
echo "$B/$NAME.zip"
sha256sum "$B/$NAME.zip" | sed "s|  .*|  $NAME.zip|"
