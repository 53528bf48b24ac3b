#!/bin/sh
# tests/fuzz/run.sh SECONDS — builds the libFuzzer harnesses (clang, ASan, UBSan)
# and runs each for SECONDS, from seed corpora made of the samples, the golden
# cases, the rule files, their expressions, the streams and the workbooks.  A crash leaves its
# input in build-fuzz/crashes/; turn each into a regression case in tests/.
set -e
seconds=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=build-fuzz
make -s BUILD=$out CC=clang OPT="-O1 -g" SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" $out/libqy.a
pkgs="jansson libpcre2-8 libzip expat freexl xlsxwriter"
flags="-std=c11 -pthread -D_GNU_SOURCE -O1 -g -Ilib $(pkg-config --cflags $pkgs)"
libs="$out/libqy.a $(pkg-config --libs $pkgs) -lcsv -lm"
mkdir -p $out/crashes
for f in csv ruleset expr stream chain book; do
	# shellcheck disable=SC2086 # flag lists
	clang $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $out/fuzz_$f tests/fuzz/fuzz_$f.c $libs
	rm -rf $out/seeds-$f && mkdir -p $out/seeds-$f $out/corpus-$f
done
i=0
for s in samples/*.csv tests/golden/*/*.csv tests/csv/*.csv; do
	i=$((i + 1))
	{ printf '@'; cat "$s"; } > $out/seeds-csv/$i            # UTF-8, 17-byte chunks
	{ printf 'A'; cat "$s"; } > $out/seeds-csv/g$i           # GB18030, 17-byte chunks
	{ printf 'B'; cat "$s"; } > $out/seeds-csv/a$i           # decided from the bytes, 17-byte chunks
done
for s in rules/*.json tests/rules/*.json tests/golden/*/rules.json tests/golden/*/never.json; do
	[ -f "$s" ] && cp "$s" $out/seeds-ruleset/"$(echo "$s" | tr / _)"
done
i=0
while IFS= read -r e; do
	i=$((i + 1))
	printf '%s' "$e" > $out/seeds-expr/$i
done < tests/fuzz/expr-seeds.txt
# chains and nestings: shape, length (two bytes, little-endian), term; then row values; the last
# (193 products, 24 of them a * 2, which lengthen the chain) was once taken for 195 levels deep
for seed in '\000\307\000\000' '\000\310\000\001' '\000\040\116\002' '\003\100\234\000' \
	'\005\307\000\003' '\007\144\000\001' '\012\143\000\004' '\011\377\377\005' \
	'\001\301\000\176'; do
	printf "$seed"'\001\002\003\011\020\030' > $out/seeds-chain/"$(printf '%s' "$seed" | tr -d '\\')"
done
for s in tests/streams/*.jsonl tests/golden/*/expected; do
	cp "$s" $out/seeds-stream/"$(echo "$s" | tr / _)"
done
i=0
for s in tests/workbooks/*.xlsx tests/workbooks/*.xls tests/workbooks/*.doc tests/workbooks/*.ods; do
	i=$((i + 1))
	{ printf '\000'; cat "$s"; } > $out/seeds-book/$i                # the whole file
	for p in 1:xl/worksheets/sheet1.xml 2:xl/sharedStrings.xml 3:xl/styles.xml 4:xl/workbook.xml; do
		{ printf "\\00${p%%:*}"; unzip -p "$s" "${p#*:}" 2>/dev/null || :; } > $out/seeds-book/$i-${p%%:*}
	done
done
status=0
for f in csv ruleset expr stream chain book; do
	echo "fuzz_$f: $seconds s"
	$out/fuzz_$f -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=$out/crashes/$f- -print_final_stats=1 $out/corpus-$f $out/seeds-$f 2>$out/fuzz_$f.log ||
		{ status=1; tail -30 $out/fuzz_$f.log; }
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' $out/fuzz_$f.log | tr '\n' ' '
	echo
done
exit $status
