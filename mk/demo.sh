#!/bin/sh
# demo.sh BUILD — shows qy-check on the sample submissions, in Chinese text and
# as the JSON stream (a year that passes every rule and still asks to be
# verified among them), a county's year reconciled across its files, and a
# workbook checked and annotated.  Findings are
# expected: the samples are made to have them.
build=${1:-build}
QY_RULES="$(pwd)/rules"
export QY_RULES
check="$build/qy-check"
show() { printf '\n$ %s\n' "$*"; "$@"; printf '(exit status %s)\n' "$?"; }

show "$check" --format text --lang zh samples/英德市_空气质量日报_2025-06.csv
show "$check" --format text --lang zh samples/清城区_空气质量日报_2025-06.csv
show "$check" --format text --lang zh samples/佛冈县_空气质量日报_2025-06_excel.csv
show "$check" --format text --lang zh --encoding gb18030 samples/佛冈县_空气质量日报_2025-06_excel.csv
show "$check" --format text --lang en samples/air-daily_清新区_2025-06_bom.csv
show "$check" --format text --lang zh samples/清城区_空气质量日报_2025_核实.csv
show "$check" --format json samples/清城区_空气质量日报_2025-06.csv
show "$check" --format text --lang zh samples/清城区_指标清单_2023-2024.csv samples/连州市_重点项目清单_2025.csv \
	samples/清新区_断面水质月报_2025-06.csv samples/连南瑶族自治县_排放源统计_2024.csv
show "$check" --format text --lang zh --encoding gb18030 samples/清新区_主要任务清单_2025.csv
show "$check" -j 2 --format text --lang en samples/英德市_*.csv samples/清远市_*.csv samples/清城区_断面水质月报_2025-01至06.csv

# A county's year as a whole: its tables reconcile; the same tables with planted mismatches
# (a June file sent again beside the year, figures that disagree) do not
reconcile="$build/qy-reconcile"
printf '\n$ %s\n' "$check samples/清城区_2024/* | $reconcile --format text --lang zh"
"$check" samples/清城区_2024/* | "$reconcile" --format text --lang zh
printf '(exit status %s)\n' "$?"
printf '\n$ %s\n' "$check samples/清城区_2024_有误/* | $reconcile --format text --lang zh"
"$check" samples/清城区_2024_有误/* | "$reconcile" --format text --lang zh
printf '(exit status %s)\n' "$?"
printf '\n$ %s\n' "$check -j 2 samples/*.csv samples/清城区_2024/* | $reconcile --period 2024-12 --format text --lang en | grep required"
"$check" -j 2 samples/*.csv samples/清城区_2024/* 2>/dev/null | "$reconcile" --period 2024-12 --format text --lang en | grep required

# A workbook checked as it is, then given back with its findings coloured and commented
book=tests/workbooks/air.xlsx
out=${TMPDIR:-/tmp}/qy-demo-$$.checked.xlsx
show "$check" --format text --lang zh -r air-daily "$book"
printf '\n$ %s\n' "$check -r air-daily --lang zh $book | $build/qy-annotate --lang zh $book > $out"
"$check" -r air-daily --lang zh "$book" | "$build/qy-annotate" --lang zh "$book" > "$out"
printf '(exit status %s)\n' "$?"
if command -v unzip >/dev/null; then
	printf '%s\n' "$out: $(unzip -l "$out" | tail -1 | awk '{print $2}') parts;" \
		"the sheets: $(unzip -p "$out" xl/workbook.xml | grep -o 'sheet name="[^"]*"' | tr '\n' ' ')"
fi
rm -f "$out"
exit 0
