#!/usr/bin/env python3
"""Differential test of the water-monthly class verdicts against GB 3838-2002.

An independent reference, written from the standard's Table 1 (21 items classed:
all but water temperature, total nitrogen and faecal coliforms, as the 2011
evaluation method says; a value at a limit two classes share is the better
class; pH 6-9 in every class; lake limits for total phosphorus), classes every
generated row in exact decimal arithmetic.  Rows get values on, just above and
between every limit, blanks, and reported classes that are right, better or
worse; the section's kind (river or lake) comes from rules/ref/sections.csv, else
from the row, else river.  The rows qy-check flags must be exactly those the
reference says: a reported class better than the items prove is an error, with
all 21 items any other class is an error too, a worse one with items missing is
information, and a row without any usable item cannot be verified.

usage: water.py [ROWS [SEED]]  (qy-check on PATH; QY_RULES points at the rules)
"""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from decimal import Decimal

# GB 3838-2002 Table 1, Class I-V limits (mg/L); DO is a minimum; pH is 6-9 for all.
LIMITS = {
    "do": ["7.5", "6", "5", "3", "2"],
    "codmn": ["2", "4", "6", "10", "15"],
    "cod": ["15", "15", "20", "30", "40"],
    "bod5": ["3", "3", "4", "6", "10"],
    "nh3n": ["0.15", "0.5", "1.0", "1.5", "2.0"],
    "tp": ["0.02", "0.1", "0.2", "0.3", "0.4"],
    "cu": ["0.01", "1.0", "1.0", "1.0", "1.0"],
    "zn": ["0.05", "1.0", "1.0", "2.0", "2.0"],
    "fluoride": ["1.0", "1.0", "1.0", "1.5", "1.5"],
    "se": ["0.01", "0.01", "0.01", "0.02", "0.02"],
    "as": ["0.05", "0.05", "0.05", "0.1", "0.1"],
    "hg": ["0.00005", "0.00005", "0.0001", "0.001", "0.001"],
    "cd": ["0.001", "0.005", "0.005", "0.005", "0.01"],
    "cr6": ["0.01", "0.05", "0.05", "0.05", "0.1"],
    "pb": ["0.01", "0.01", "0.05", "0.05", "0.1"],
    "cn": ["0.005", "0.05", "0.2", "0.2", "0.2"],
    "phenol": ["0.002", "0.002", "0.005", "0.01", "0.1"],
    "oil": ["0.05", "0.05", "0.05", "0.5", "1.0"],
    "las": ["0.2", "0.2", "0.2", "0.3", "0.3"],
    "sulfide": ["0.05", "0.1", "0.2", "0.5", "1.0"],
}
TP_LAKE = ["0.01", "0.025", "0.05", "0.1", "0.2"]
ITEMS = ["ph"] + list(LIMITS)
LABELS = {"ph": "pH", "do": "溶解氧", "codmn": "高锰酸盐指数", "cod": "化学需氧量", "bod5": "五日生化需氧量",
          "nh3n": "氨氮", "tp": "总磷", "cu": "铜", "zn": "锌", "fluoride": "氟化物", "se": "硒", "as": "砷",
          "hg": "汞", "cd": "镉", "cr6": "六价铬", "pb": "铅", "cn": "氰化物", "phenol": "挥发酚",
          "oil": "石油类", "las": "阴离子表面活性剂", "sulfide": "硫化物"}
# The rule set's plausibility ceilings (values above are range errors, not classed).
CEILING = {"ph": 14, "do": 20, "codmn": 100, "cod": 1000, "bod5": 500, "nh3n": 100, "tp": 50,
           "cu": 10, "zn": 10, "fluoride": 100, "se": 10, "as": 10, "hg": 1, "cd": 10, "cr6": 10,
           "pb": 10, "cn": 10, "phenol": 10, "oil": 100, "las": 100, "sulfide": 100}
CLASSES = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]


def item_class(item, text, lake):
    v = Decimal(text)
    if item == "ph":
        return 1 if Decimal(6) <= v <= Decimal(9) else 6
    limits = TP_LAKE if item == "tp" and lake else LIMITS[item]
    for n, lim in enumerate(limits, start=1):
        if (v >= Decimal(lim)) if item == "do" else (v <= Decimal(lim)):
            return n
    return 6


def value_for(rng, item):
    if rng.random() < 0.12:
        return ""
    if item == "ph":
        return rng.choice(["6", "9", "5.9", "9.1", "7.2", "8.5", "6.5"])
    limits = sorted({Decimal(x) for x in LIMITS[item] + (TP_LAKE if item == "tp" else [])})
    lim = rng.choice(limits)
    step = Decimal(1).scaleb(lim.as_tuple().exponent - 1)     # one more decimal place than the limit
    pick = rng.random()
    if pick < 0.4:
        v = lim
    elif pick < 0.7:
        v = lim + step * rng.choice([-1, 1])
    else:
        v = lim * Decimal(rng.randint(1, 150)) / 100
    v = max(v, Decimal(0))
    return format(v.normalize(), "f")


def load_sections():
    here = os.path.dirname(os.path.abspath(__file__))
    rules = os.environ.get("QY_RULES", os.path.join(here, "..", "..", "rules"))
    with open(os.path.join(rules, "ref", "sections.csv"), encoding="utf-8") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


def main():
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 3838)
    sections = load_sections()
    codes = sorted(sections)
    rows = []
    for n in range(wanted):
        code = codes[n % len(codes)]
        r = {"section": code, "month": "%04d-%02d" % (2021 + (n // len(codes)) // 12, 1 + (n // len(codes)) % 12),
             "lake": rng.choice(["", "是", "否"])}
        pick = rng.random()
        complete, blank = pick < 0.3, pick > 0.98
        for item in ITEMS:
            r[item] = "" if blank else value_for(rng, item)
            if complete and not r[item]:
                r[item] = value_for(rng, item) or "1"
        kind = sections[code]["waterbody"]
        lake = kind == "湖库" or (kind != "河流" and r["lake"] == "是")
        usable = {i: r[i] for i in ITEMS if r[i] and Decimal(r[i]) <= CEILING[i]}
        proven = max((item_class(i, t, lake) for i, t in usable.items()), default=None)
        pick = rng.random()
        if proven is None or pick < 0.4:
            cls = rng.randint(1, 6)
        elif pick < 0.8:
            cls = proven
        else:
            cls = max(1, min(6, proven + rng.choice([-2, -1, 1, 2])))
        r["class"] = CLASSES[cls - 1]
        r["want"] = set()
        if proven is None:
            r["want"].add(("class-has-items", "cannot-verify"))
        elif len(usable) == len(ITEMS):
            if cls != proven:
                r["want"].add(("class-vs-items", "rule"))
        elif cls < proven:
            r["want"].add(("class-vs-items", "rule"))
        elif cls > proven:
            r["want"].add(("class-worse-than-items", "rule"))
        r["complete"] = len(usable) == len(ITEMS)
        rows.append(r)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "generated.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["断面编号", "监测月份", "是否湖库"] + [LABELS[i] for i in ITEMS] + ["水质类别"])
            for r in rows:
                w.writerow([r["section"], r["month"], r["lake"]] + [r[i] for i in ITEMS] + [r["class"]])
        run = subprocess.run(["qy-check", "-r", "water-monthly", "--format", "json", path],
                             capture_output=True, text=True)
    checked = {"class-vs-items", "class-worse-than-items", "class-has-items"}
    got = {}
    for line in run.stdout.splitlines():
        d = json.loads(line)
        rule = d.get("rule", "/").split("/", 1)[1]
        if d["type"] == "diagnostic" and rule in checked:
            got.setdefault(d["row"] - 2, set()).add((rule, d["code"]))
    disagreements = [(n + 2, r) for n, r in enumerate(rows) if r["want"] != got.get(n, set())]
    tally = {}
    for r in rows:
        for key in r["want"]:
            tally[key] = tally.get(key, 0) + 1
    print("rows: %d (%d with all 21 items); qy-check exit status %d"
          % (len(rows), sum(r["complete"] for r in rows), run.returncode))
    for (rule, code), count in sorted(tally.items()):
        print("  %-24s %-14s %5d rows" % (rule, code, count))
    print("disagreements with the reference: %d" % len(disagreements))
    for line, r in disagreements[:20]:
        print("  line %d: want %s, got %s\n    %s" % (line, sorted(r["want"]), sorted(got.get(line - 2, set())), r))
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
