#!/usr/bin/env python3
"""Differential test of the air-daily verdicts against HJ 633-2012.

An independent reference, written from the standard's text (Table 1 breakpoints,
formula (1), individual indexes rounded up to integers, AQI the largest, Table 2
levels and categories, 5.2 primary pollutant, IAQI > 100 exceeding), computes in
exact rational arithmetic what every generated row should be.  Thousands of rows
are generated with values on and between every breakpoint, above the top ones,
O3-8h above 800, blanks, and submitted AQIs, categories, grades and pollutant
lists that are right or wrong in the ways clerks get them wrong.  qy-check runs
on them, and the rows it flags for each rule must be exactly the rows the
reference says are wrong (or cannot be verified), no more and no fewer.

usage: air.py [ROWS [SEED]]  (qy-check on PATH; QY_RULES points at the rules)
Prints a summary; exits 1 and lists the disagreements if there are any.
"""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from fractions import Fraction
from math import ceil

# HJ 633-2012 Table 1: IAQI steps and the concentration limits of each item.
STEPS = [0, 50, 100, 150, 200, 300, 400, 500]
TABLE = {
    "so2": [0, 50, 150, 475, 800, 1600, 2100, 2620],    # 24-hour mean
    "no2": [0, 40, 80, 180, 280, 565, 750, 940],        # 24-hour mean
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],      # 24-hour mean
    "co": [0, 2, 4, 14, 24, 36, 48, 60],                # 24-hour mean, mg/m3
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],  # daily maximum 1-hour
    "o3_8h": [0, 100, 160, 215, 265, 800],              # daily maximum 8-hour; none above 800
    "pm25": [0, 35, 75, 115, 150, 250, 350, 500],       # 24-hour mean
}
ITEMS = ["so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25"]
SHOWN = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3_1h": "O3_1h",
         "o3_8h": "O3_8h", "pm25": "PM2.5"}
# The rule set's column ceilings: the top breakpoint (O3-8h has none).
CEILING = {k: (None if k == "o3_8h" else v[-1]) for k, v in TABLE.items()}
CATEGORIES = ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
GRADES = ["一级", "二级", "三级", "四级", "五级", "六级"]


def iaqi(item, text):
    """Formula (1) on the written decimal, rounded up; None off the table."""
    c = Fraction(text)
    bp = TABLE[item]
    if c < 0 or c > bp[-1]:
        return None
    for i in range(1, len(bp)):
        if c <= bp[i]:
            exact = Fraction(STEPS[i] - STEPS[i - 1], bp[i] - bp[i - 1]) * (c - bp[i - 1]) + STEPS[i - 1]
            return ceil(exact)
    return None


def level(aqi):
    """Table 2: 0-50 一级 … >300 六级, as 1..6."""
    for n, top in enumerate([50, 100, 150, 200, 300], start=1):
        if aqi <= top:
            return n
    return 6


def named_level(text):
    for n in range(6):
        if text in (CATEGORIES[n], GRADES[n]):
            return n + 1
    return None


def usable(item, text):
    """A value qy-check hands to its rules: a number inside the column's range."""
    if text == "":
        return False
    c = Fraction(text)
    return c >= 0 and (CEILING[item] is None or c <= CEILING[item])


def names(items):
    return "、".join(SHOWN[i] for i in ITEMS if i in items)


def parse_names(text):
    """The set a 首要污染物 cell names; 'O3' for a bare O3."""
    alias = {"so2": "so2", "no2": "no2", "pm10": "pm10", "co": "co", "o3_1h": "o3_1h", "o3-1h": "o3_1h",
             "o3_8h": "o3_8h", "o3-8h": "o3_8h", "pm2.5": "pm25", "细颗粒物": "pm25", "o3": "O3",
             "臭氧": "O3", "臭氧8小时": "o3_8h", "臭氧1小时": "o3_1h"}
    out = set()
    for part in text.replace("、", ",").replace("；", ",").split(","):
        part = part.strip().lower()
        if part in ("", "—", "无"):
            continue
        if part not in alias:
            return None
        out.add(alias[part])
    return out


def same(claimed, truth):
    if claimed is None:
        return False
    if "O3" in claimed:
        rest, o3 = claimed - {"O3"}, {i for i in truth if i.startswith("o3")}
        return rest - {"o3_1h", "o3_8h"} == truth - {"o3_1h", "o3_8h"} and bool(o3) and \
            (rest & {"o3_1h", "o3_8h"}) <= o3
    return claimed == truth


def value_for(rng, item):
    """A concentration on, next to or between breakpoints, above the top, or blank."""
    bp = TABLE[item]
    pick = rng.random()
    if pick < 0.05:
        return ""
    if pick < 0.08:
        return str(bp[-1] + rng.choice([1, 0.1, 7, 100]))        # above the table
    i = rng.randrange(len(bp))
    if pick < 0.35:
        return str(bp[i])                                        # on a breakpoint
    if pick < 0.60:
        step = rng.choice([Fraction(1, 10), Fraction(1, 100), Fraction(1, 1000), Fraction(1, 2)])
        v = bp[i] + rng.choice([-1, 1]) * step
        return fmt(v) if v >= 0 else str(bp[i])
    lo, hi = bp[max(i - 1, 0)], bp[i] if i else bp[1]
    places = rng.choice([0, 1, 1, 2, 3])
    v = Fraction(rng.randint(lo * 10 ** places, hi * 10 ** places), 10 ** places)
    return fmt(v)


def fmt(v):
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    for places in range(1, 10):
        scaled = v * 10 ** places
        if scaled.denominator == 1:
            s = str(abs(scaled.numerator)).rjust(places + 1, "0")
            return ("-" if v < 0 else "") + s[:-places] + "." + s[-places:]
    raise ValueError(v)


def make_row(rng, n):
    row = {k: value_for(rng, k) for k in ITEMS}
    if rng.random() < 0.04:
        row["o3_8h"] = str(rng.randint(801, 1100))             # HJ 633 note: 1-hour value stands
        row["o3_1h"] = str(rng.randint(900, 1200))
    idx = {k: iaqi(k, row[k]) for k in ITEMS if usable(k, row[k])}
    idx = {k: v for k, v in idx.items() if v is not None}
    true_aqi = max(idx.values()) if idx else None
    pick = rng.random()
    if true_aqi is None or pick < 0.04:
        aqi = "" if pick < 0.5 or true_aqi is None else str(rng.randint(0, 500))
    elif pick < 0.55:
        aqi = str(true_aqi)
    elif pick < 0.75:
        aqi = str(max(0, min(500, true_aqi + rng.choice([-1, 1]))))
    elif pick < 0.85:
        aqi = str(max(0, min(500, true_aqi + rng.randint(-60, 60))))
    else:
        aqi = "" if rng.random() < 0.3 else str(true_aqi)
    basis = int(aqi) if aqi else true_aqi
    cat = grade = ""
    if basis is not None:
        lv = level(basis)
        cat = CATEGORIES[lv - 1] if rng.random() < 0.75 else rng.choice(CATEGORIES + [""])
        grade = rng.choice([GRADES[lv - 1], CATEGORIES[lv - 1]]) if rng.random() < 0.75 \
            else rng.choice(GRADES + CATEGORIES + [""])
    top = {k for k, v in idx.items() if v == true_aqi} if idx else set()
    over = {k for k, v in idx.items() if v > 100}
    primary = names(top) if true_aqi is not None and true_aqi > 50 else rng.choice(["", "—"])
    r = rng.random()
    if r < 0.15:
        primary = names(set(rng.sample(ITEMS, rng.randint(1, 2))))
    elif r < 0.2 and primary and primary != "—":
        primary = primary.replace("O3_8h", "O3").replace("O3_1h", "O3")
    exceeding = names(over)
    if rng.random() < 0.15:
        exceeding = names(set(rng.sample(ITEMS, rng.randint(0, 2))))
    day = 1 + n % 28
    station = "QY-AQ-%04d" % (1 + n // 28)
    return dict(row, aqi=aqi, category=cat, grade=grade, primary=primary, over=exceeding,
                date="2025-%02d-%02d" % (1 + (n // 28) % 12, day), station=station)


def expected(row):
    """The (rule, code) findings the rules must give for a row, from the reference."""
    out = set()
    ok = {k: usable(k, row[k]) for k in ITEMS}
    idx = {k: iaqi(k, row[k]) for k in ITEMS if ok[k]}
    idx = {k: v for k, v in idx.items() if v is not None}
    complete = all(ok.values())
    bound = max(idx.values()) if idx else None
    aqi = int(row["aqi"]) if row["aqi"] and 0 <= int(row["aqi"]) <= 500 else None
    if complete and aqi is not None:
        if aqi != bound:
            out.add(("aqi-exact", "rule"))
    else:
        out.add(("aqi-exact", "cannot-verify"))
    if not complete and bound is not None:
        if aqi is None:
            out.add(("aqi-lower-bound", "cannot-verify"))
        elif aqi < bound:
            out.add(("aqi-lower-bound", "rule"))
    for col, valid in (("category", CATEGORIES), ("grade", GRADES + CATEGORIES)):
        claimed = named_level(row[col]) if row[col] in valid else None
        if aqi is None or claimed is None:
            if row[col] == "" or aqi is None:
                out.add((col + "-from-aqi", "cannot-verify"))
        elif claimed != level(aqi):
            out.add((col + "-from-aqi", "rule"))
        if aqi is None and bound is not None:
            if claimed is None:
                if row[col] == "":
                    out.add((col + "-from-items", "cannot-verify"))
            elif (claimed != level(bound)) if complete else (claimed < level(bound)):
                out.add((col + "-from-items", "rule"))
    if not complete:
        out.add(("primary-pollutant", "cannot-verify"))
        out.add(("exceeding-pollutants", "cannot-verify"))
    else:
        top = {k for k, v in idx.items() if v == bound} if bound is not None and bound > 50 else set()
        if not same(parse_names(row["primary"]), top):
            out.add(("primary-pollutant", "rule"))
        if not same(parse_names(row["over"]), {k for k, v in idx.items() if v > 100}):
            out.add(("exceeding-pollutants", "rule"))
    return out


CHECKED = {"aqi-exact", "aqi-lower-bound", "category-from-aqi", "category-from-items", "grade-from-aqi",
           "grade-from-items", "primary-pollutant", "exceeding-pollutants"}


def main():
    rows_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 633)
    rows = [make_row(rng, n) for n in range(rows_wanted)]
    header = ["区县代码", "区县", "站点编号", "站点名称", "日期", "SO2", "NO2", "PM10", "CO", "O3-1h", "O3-8h",
              "PM2.5", "AQI", "空气质量类别", "空气质量级别", "首要污染物", "超标污染物"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "generated.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for r in rows:
                w.writerow(["441881", "英德市", r["station"], "英德市区", r["date"], r["so2"], r["no2"], r["pm10"],
                            r["co"], r["o3_1h"], r["o3_8h"], r["pm25"], r["aqi"], r["category"], r["grade"],
                            r["primary"], r["over"]])
        run = subprocess.run(["qy-check", "-r", "air-daily", "--format", "json", path],
                             capture_output=True, text=True)
    got = {}
    for line in run.stdout.splitlines():
        d = json.loads(line)
        if d["type"] != "diagnostic":
            continue
        rule = d["rule"].split("/", 1)[1]
        if rule in CHECKED:
            got.setdefault(d["row"] - 2, set()).add((rule, d["code"]))
    wrong_aqi = flagged_aqi = 0
    disagreements = []
    tally = {}
    for n, r in enumerate(rows):
        want = expected(r)
        have = got.get(n, set())
        if want != have:
            disagreements.append((n + 2, r, sorted(want - have), sorted(have - want)))
        for rule, code in want:
            tally[(rule, code)] = tally.get((rule, code), 0) + 1
        if ("aqi-exact", "rule") in want or ("aqi-lower-bound", "rule") in want:
            flagged_aqi += 1
        ok = [k for k in ITEMS if usable(k, r[k])]
        if len(ok) == 7 and r["aqi"] and int(r["aqi"]) != max(iaqi(k, r[k]) for k in ok if iaqi(k, r[k]) is not None):
            wrong_aqi += 1
    print("rows: %d; qy-check exit status %d" % (len(rows), run.returncode))
    print("rows with every item and a wrong AQI: %d; rows whose AQI is flagged: %d" % (wrong_aqi, flagged_aqi))
    for (rule, code), count in sorted(tally.items()):
        print("  %-22s %-14s %5d rows" % (rule, code, count))
    print("disagreements with the reference: %d" % len(disagreements))
    for line, r, missing, extra in disagreements[:20]:
        print("  line %d: missing %s, unexpected %s\n    %s" % (line, missing, extra, r))
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
