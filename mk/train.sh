#!/bin/sh
# train.sh PGO_DIR — the training run of a profile-guided build (see Makefile).
#
# Runs PGO_DIR/qy-check, built to count where its work goes, on files of the kinds it
# checks: 60,000 daily air rows made by bench/gen.c with a seed of their own (not the
# benchmark's rows), listed by station and then by day, with the air-daily rules, with
# columns alone and with no rule; and the samples with every rule set, in both formats and
# by two workers.  What a run never does is compiled as if it seldom happened, so each
# way of checking that can be the whole of a run is here.  Each object's counts are left
# next to it (PGO_DIR/{lib,cmd}/*.gcda), afresh.
set -eu
pgo=$1
find "$pgo" -name '*.gcda' -exec rm -f {} +
mkdir -p "$pgo/train"
"$pgo/gen" 60000 2 > "$pgo/train/air-daily-train.csv"
{
	head -1 "$pgo/train/air-daily-train.csv"
	tail -n +2 "$pgo/train/air-daily-train.csv" | LC_ALL=C sort -t, -k5,5 -k3,3 -s
} > "$pgo/train/air-daily-train-by-day.csv"

# qy-check exits 0 or 1 (findings) on these; anything else is trouble to see.
run() {
	rc=0
	QY_RULES=rules "$pgo/qy-check" "$@" > /dev/null 2>&1 || rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "train.sh: qy-check $* exited $rc" >&2
		exit 1
	fi
}
rows=$pgo/train/air-daily-train.csv
run --format json --rules rules/air-daily.json "$rows"
run --format json --rules rules/air-daily.json "$pgo/train/air-daily-train-by-day.csv"
run --format json --rules tests/rules/air-columns.json "$rows"
run --format json --rules bench/structure.json "$rows"
run --format json samples/*.csv samples/*/*.csv
run --format text -j 2 samples/*.csv samples/*/*.csv
