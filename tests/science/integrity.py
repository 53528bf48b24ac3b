#!/usr/bin/env python3
"""Generated monitoring series with planted patterns, against the integrity rules.

Station series are made the way daily air data behave: log-normal, with a
seasonal cycle, a county-wide day-to-day component (autocorrelated, AR(1)) that
the county's stations share, and a smaller station component of their own;
sections' monthly water series and units' annual tonnages likewise.  Into a copy
the test plants each pattern the shipped rules look for: a stuck analyser
(PM2.5, PM10, O3-8h), a spike of each daily item, one station's week copied to
another, PM2.5 pushed under 75 and AQIs written under 100, a section's month
copied, a water value many times its median, a unit's tonnages carried over.

An independent reference, written from the patterns' definitions (the rules'
descriptions), says what each file should give: qy-check's integrity findings
must be exactly those, at the same rows with the same figures, on the planted
files and on the clean ones; every plant must be among them; and on the clean
series at most 1% of station-months may get any integrity warning.

usage: integrity.py [YEARS [SEED]]  (qy-check on PATH; QY_RULES points at the rules)
Prints a summary; exits 1 and lists the disagreements if there are any.
"""
import csv
import datetime
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from fractions import Fraction
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from air import iaqi  # noqa: E402  HJ 633-2012, the reference of the air test

COUNTIES = [("441802", "清城区"), ("441803", "清新区"), ("441821", "佛冈县"), ("441823", "阳山县"),
            ("441825", "连山壮族瑶族自治县"), ("441826", "连南瑶族自治县"), ("441881", "英德市"),
            ("441882", "连州市")]
AIR_ITEMS = ["pm25", "pm10", "so2", "no2", "co", "o3_8h"]
# GB 3095-2012 Grade II 24-hour limits (O3: daily maximum 8-hour); CO in mg/m3.
GRADE_II = {"pm25": 75, "pm10": 150, "so2": 150, "no2": 80, "co": 4, "o3_8h": 160}
AIR_HEADER = ["county_code", "county", "station_id", "station_name", "date"] + AIR_ITEMS + ["o3_1h", "aqi"]
WATER_ITEMS = ["do", "codmn", "cod", "bod5", "nh3n", "tp", "tn"]
WATER_WATCHED = ["codmn", "cod", "bod5", "nh3n", "tp", "tn"]
TONNAGES = ["cod", "nh3n", "nox", "so2", "vocs"]


class AR1:
    """x(t) = phi x(t-1) + e, stationary with standard deviation sd."""

    def __init__(self, rng, phi, sd):
        self.rng, self.phi, self.sd = rng, phi, sd
        self.x = rng.gauss(0, sd)

    def step(self):
        self.x = self.phi * self.x + self.rng.gauss(0, self.sd * math.sqrt(1 - self.phi ** 2))
        return self.x


def seasonal(day, peak, amplitude):
    return amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - peak) / 365.25)


def text(v, places=0):
    return "" if v is None else ("%d" % v if places == 0 else "%.*f" % (places, v))


def number(t):
    return None if t == "" else Fraction(t)


def aqi_of(row):
    """The AQI of a row's written items (HJ 633-2012), or blank when none has an index."""
    found = [iaqi(k, row[k]) for k in ("so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25") if row[k] != ""]
    found = [i for i in found if i is not None]
    return str(max(found)) if found else ""


# ---------------------------------------------------------------- generation

def make_air(rng, years):
    """Daily rows of 2-3 stations in each county, sorted by date then station, as exports are."""
    stations, n = [], 0
    for code, name in COUNTIES:
        for k in range(rng.choice([2, 3])):
            n += 1
            stations.append((code, name, "QY-AQ-%04d" % n, "%s%d号站" % (name[:2], k + 1)))
    county_mood = {code: {"pm": AR1(rng, 0.7, 0.35), "o3": AR1(rng, 0.6, 0.28), "gas": AR1(rng, 0.6, 0.25)}
                   for code, _ in COUNTIES}
    county_level = {code: rng.gauss(0, 0.15) for code, _ in COUNTIES}
    own = {s[2]: {"pm": AR1(rng, 0.5, 0.12), "o3": AR1(rng, 0.5, 0.08), "gas": AR1(rng, 0.5, 0.2),
                  "level": rng.gauss(0, 0.1)} for s in stations}
    rows = []
    day = datetime.date(2026 - years, 1, 1)
    while day.year < 2026:
        moods = {c: {k: m.step() for k, m in v.items()} for c, v in county_mood.items()}
        for code, name, sid, sname in stations:
            if rng.random() < 0.005:  # a day the station did not report
                for v in own[sid].values():
                    if isinstance(v, AR1):
                        v.step()
                continue
            o = {k: (v.step() if isinstance(v, AR1) else v) for k, v in own[sid].items()}
            m = moods[code]
            lvl = county_level[code] + o["level"]
            pm25 = max(1, round(math.exp(math.log(24) + seasonal(day, 15, 0.45) + lvl + m["pm"] + o["pm"])))
            pm10 = round(pm25 * math.exp(math.log(1.65) + rng.gauss(0, 0.08)))
            o3 = max(5, round(math.exp(math.log(85) + seasonal(day, 275, 0.3) + m["o3"] + o["o3"])))
            o3_1h = round(o3 * math.exp(math.log(1.2) + abs(rng.gauss(0, 0.05))))
            so2 = max(2, round(math.exp(math.log(8) + seasonal(day, 15, 0.2) + m["gas"] + o["gas"])))
            no2 = max(3, round(math.exp(math.log(22) + seasonal(day, 15, 0.25) + m["gas"] + o["gas"])))
            co = max(0.2, round(math.exp(math.log(0.8) + seasonal(day, 15, 0.15) + 0.6 * m["gas"]), 1))
            row = {"county_code": code, "county": name, "station_id": sid, "station_name": sname,
                   "date": day.isoformat(), "pm25": text(pm25), "pm10": text(pm10), "so2": text(so2),
                   "no2": text(no2), "co": text(co, 1), "o3_8h": text(o3), "o3_1h": text(o3_1h)}
            for k in AIR_ITEMS:
                if rng.random() < 0.01:  # an item missing that day
                    row[k] = ""
            row["aqi"] = aqi_of(row)
            rows.append(row)
        day += datetime.timedelta(days=1)
    return rows


def make_water(rng, years):
    sections = [("QY-WS-%02d" % i, name, county) for i, (name, county) in enumerate(
        [("七星岗", "441802"), ("石角", "441802"), ("潖江口", "441802"), ("水车头", "441802"),
         ("飞水桥", "441803"), ("正江口", "441803"), ("三青大桥", "441803"), ("黄坎桥", "441803")], 1)]
    base = {"do": (7.5, 0.08, 1), "codmn": (2.2, 0.25, 1), "cod": (10, 0.25, 0), "bod5": (1.8, 0.3, 1),
            "nh3n": (0.25, 0.45, 2), "tp": (0.06, 0.35, 2), "tn": (1.2, 0.3, 2)}
    rows = []
    for code, name, county in sections:
        mood = {k: AR1(rng, 0.4, sd) for k, (_, sd, _) in base.items()}
        level = {k: rng.gauss(0, 0.2) for k in base}
        for y in range(2026 - years, 2026):
            for mth in range(1, 13):
                row = {"section_code": code, "section_name": name, "county_code": county,
                       "month": "%d-%02d" % (y, mth)}
                when = datetime.date(y, mth, 15)
                for k, (mean, _, places) in base.items():
                    v = math.exp(math.log(mean) + level[k] + mood[k].step() + seasonal(when, 200, 0.15))
                    row[k] = text(max(v, 10 ** -places), places)
                rows.append(row)
    return rows


def make_emissions(rng, years):
    rows = []
    for u in range(60):
        uscc = credit_code(rng, u)
        size = {k: math.exp(rng.gauss(math.log(m), 1.0)) for k, m in
                zip(TONNAGES, (20, 2, 40, 15, 10))}
        for y in range(2026 - years, 2026):
            row = {"uscc": uscc, "name": "清远市第%d化工有限公司" % (u + 1), "permit": "",
                   "county_code": COUNTIES[u % 8][0], "industry": "化学原料和化学制品制造业", "year": str(y)}
            for k in TONNAGES:
                row[k] = "%.2f" % (size[k] * math.exp(rng.gauss(0, 0.15)))
            rows.append(row)
    return rows


def credit_code(rng, n):
    """A unified social credit code with its GB 32100-2015 check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "9144180" + "%03d" % n + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(7))
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights))
    return body + alphabet[(31 - total % 31) % 31]


# ---------------------------------------------------------------- plants

def by_station(rows):
    out = {}
    for i, r in enumerate(rows):
        out.setdefault(r["station_id"], []).append(i)
    return out


def plant_air(rng, rows):
    """Plants each air pattern; returns what must be found: (rule, row or key, figures)."""
    plants = []
    series = by_station(rows)
    sids = sorted(series)
    # stuck analysers: one value on L readings in a row
    for sid, item, length in ((sids[0], "pm25", 7), (sids[4], "pm10", 5), (sids[8], "o3_8h", 9),
                              (sids[12], "pm25", 4)):
        idx = [i for i in series[sid] if rows[i][item] != ""]
        start = len(idx) // 3
        value = rows[idx[start]][item]
        for i in idx[start:start + length]:
            rows[i][item] = value
            rows[i]["aqi"] = aqi_of(rows[i])
        for j in (start - 1, start + length):  # the readings around it differ
            if rows[idx[j]][item] == value:
                rows[idx[j]][item] = str(int(value) + 1)
                rows[idx[j]]["aqi"] = aqi_of(rows[idx[j]])
        plants.append(("stuck-" + item.replace("_", "-"), idx[start] + 2, None if length < 5 else
                       {"value": Fraction(value), "length": length, "from": rows[idx[start]]["date"]}))
    # spikes: one day of each item at more than 5x its station-month median and above Grade II
    for n, item in enumerate(AIR_ITEMS):
        sid = sids[(3 * n + 1) % len(sids)]
        month = "%s-%02d" % (rows[series[sid][0]]["date"][:4], 2 + n)
        idx = [i for i in series[sid] if rows[i]["date"].startswith(month) and rows[i][item] != ""]
        at = idx[len(idx) // 2]
        m = median(Fraction(rows[i][item]) for i in idx)
        spike = max(6 * m, Fraction(GRADE_II[item]) * Fraction(13, 10))
        rows[at][item] = "%.1f" % spike if item == "co" else str(math.ceil(spike))
        rows[at]["aqi"] = aqi_of(rows[at])
        plants.append(("spike-" + item.replace("_", "-"), at + 2, {"value": Fraction(rows[at][item])}))
    # a station's days copied onto another of its county: ten days and seven (the threshold) are
    # found; six, or ten with CO different, are not
    for county, length, differ, found in ((2, 10, False, True), (3, 7, False, True), (4, 6, False, False),
                                          (7, 10, True, False)):
        at, start = copy_days(rows, series, COUNTIES[county][0], length, differ)
        plants.append(("copied-series", at, {"length": length, "from": start} if found else None))
    # PM2.5 pushed under the limit in the county-year with the most days above it, AQIs above 100
    # written under it in another
    def most(test):
        counts = {}
        for r in rows:
            if test(r):
                counts[(r["county_code"], r["date"][:4])] = counts.get((r["county_code"], r["date"][:4]), 0) + 1
        return max(sorted(counts), key=lambda k: counts[k])
    over = most(lambda r: r["pm25"] != "" and 76 <= int(r["pm25"]) <= 150)
    pushed = [i for i, r in enumerate(rows) if (r["county_code"], r["date"][:4]) == over
              and r["pm25"] != "" and 76 <= int(r["pm25"]) <= 150]
    for i in pushed:
        rows[i]["pm25"] = str(rng.randint(71, 75))
        rows[i]["aqi"] = aqi_of(rows[i])
    plants.append(("heaping-pm25", (over[0], int(over[1])), {"moved": len(pushed)}))
    light = most(lambda r: r["county_code"] != over[0] and r["aqi"] != "" and 101 <= int(r["aqi"]) <= 130)
    written = [i for i, r in enumerate(rows) if (r["county_code"], r["date"][:4]) == light
               and r["aqi"] != "" and 101 <= int(r["aqi"]) <= 130]
    for i in written:
        rows[i]["aqi"] = str(rng.randint(96, 100))
    plants.append(("heaping-aqi", (light[0], int(light[1])), {"moved": len(written)}))
    return plants


def copy_days(rows, series, county, length, co_differs):
    """Copies one station's items onto another's for length calendar days (CO a little off if
    co_differs); returns the first file row of the first day and that day."""
    pair = sorted(s for s in series if rows[series[s][0]]["county_code"] == county)[:2]
    days = sorted(set(rows[i]["date"] for i in series[pair[0]]) & set(rows[i]["date"] for i in series[pair[1]]))
    common = set(days)  # calendar days on which both stations reported
    start = next(d for d in days[len(days) // 2:] if all(
        (datetime.date.fromisoformat(d) + datetime.timedelta(days=k)).isoformat() in common for k in range(-1, length + 1)))
    span = days[days.index(start):days.index(start) + length]
    source = {rows[i]["date"]: rows[i] for i in series[pair[0]]}
    for i in series[pair[1]]:
        if rows[i]["date"] in span:
            for k in AIR_ITEMS + ["o3_1h", "aqi"]:
                rows[i][k] = source[rows[i]["date"]][k]
            if co_differs:
                rows[i]["co"] = "%.1f" % (float(rows[i]["co"] or "0.5") + 0.1)
    first = min(i for i in series[pair[0]] + series[pair[1]] if rows[i]["date"] == span[0])
    return first + 2, span[0]


def plant_water(rng, rows):
    plants = []
    sections = {}
    for i, r in enumerate(rows):
        sections.setdefault(r["section_code"], []).append(i)
    codes = sorted(sections)
    copy_at = sections[codes[1]][7]
    for k in WATER_ITEMS:
        rows[copy_at][k] = rows[copy_at - 1][k]
    plants.append(("copied-month", copy_at + 2, {}))
    for n, item in enumerate(WATER_WATCHED):
        idx = sections[codes[(n + 3) % len(codes)]]
        at = idx[4 + n]
        m = median(Fraction(rows[i][item]) for i in idx)
        rows[at][item] = "%.2f" % (m * 8)
        plants.append(("spike-" + item, at + 2, {"value": Fraction(rows[at][item])}))
    # just over 5 times the median, and just at it, in place of values above it: the median stays
    idx = sections[codes[0]]
    low = sorted(idx, key=lambda i: -Fraction(rows[i]["tp"]))
    m = median(Fraction(rows[i]["tp"]) for i in idx)
    over = math.floor(5 * m * 100) / 100 + 0.01
    rows[low[0]]["tp"] = "%.2f" % over
    plants.append(("spike-tp", low[0] + 2, {"value": Fraction("%.2f" % over)}))
    if (5 * m * 100).denominator == 1:
        rows[low[1]]["tp"] = "%.2f" % (5 * m)
        plants.append(("spike-tp", low[1] + 2, None))
    return plants


def plant_emissions(rng, rows):
    per = len(rows) // 60
    at = 7 * per + per - 1  # unit 7, its last year, the same as the year before
    for k in TONNAGES:
        rows[at][k] = rows[at - 1][k]
    near = 9 * per + per - 1  # unit 9: the same but for SO2
    for k in TONNAGES:
        rows[near][k] = rows[near - 1][k]
    rows[near]["so2"] = "%.2f" % (float(rows[near]["so2"]) + 0.01)
    return [("repeats-last-year", at + 2, {}), ("repeats-last-year", near + 2, None)]


# ---------------------------------------------------------------- the reference

def first_longest_run(entries, same):
    """(length, start index) of the first longest run of consecutive entries that same() joins."""
    best, best_at, run, run_at = 0, None, 0, None
    for n, e in enumerate(entries):
        if run and same(entries[n - 1], e):
            run += 1
        else:
            run, run_at = 1, n
        if run > best:
            best, best_at = run, run_at
    return best, best_at


def expect_air(rows):
    found = {}
    series = by_station(rows)
    for sid, idx in series.items():
        idx = sorted(idx, key=lambda i: rows[i]["date"])
        for item in ("pm25", "pm10", "o3_8h"):  # stuck: blanks neither break a run nor lengthen it
            kept = [i for i in idx if rows[i][item] != ""]
            length, at = first_longest_run(kept, lambda a, b: Fraction(rows[a][item]) == Fraction(rows[b][item]))
            if length >= 5:
                i = kept[at]
                found[("stuck-" + item.replace("_", "-"), i + 2)] = {
                    "value": Fraction(rows[i][item]), "length": length, "from": rows[i]["date"]}
        for item in AIR_ITEMS:  # spikes against the station-month's median
            months = {}
            for i in idx:
                if rows[i][item] != "":
                    months.setdefault(rows[i]["date"][:7], []).append(i)
            for month_rows in months.values():
                if len(month_rows) < 10:
                    continue
                m = median(Fraction(rows[i][item]) for i in month_rows)
                for i in month_rows:
                    x = Fraction(rows[i][item])
                    if x > 5 * m and x > GRADE_II[item]:
                        found[("spike-" + item.replace("_", "-"), i + 2)] = {
                            "value": x, "median": m, "times": x / m}
    # copied series: county-days on which two stations report the same six items
    county_days = {}
    for i, r in enumerate(rows):
        if r["pm25"] or r["pm10"] or r["o3_8h"]:
            county_days.setdefault((r["county_code"], r["date"]), []).append(i)
    by_county = {}
    for (county, day), idx in county_days.items():
        tuples = {tuple(number(rows[i][k]) for k in AIR_ITEMS) for i in idx}
        by_county.setdefault(county, []).append((day, len(tuples) < len(idx), min(idx)))
    for county, days in by_county.items():
        days.sort()
        flagged = [d if d[1] else None for d in days]
        best, best_at, run = 0, None, 0
        for n, d in enumerate(flagged):
            run = run + 1 if d else 0
            if run > best:
                best, best_at = run, n - run + 1
        if best >= 7:
            day, _, first = days[best_at]
            found[("copied-series", first + 2)] = {"length": best, "from": day}
    # heaping just under a limit, per county-year: the band under it against its neighbours' mean
    for item, lo, hi in (("aqi", 95, 100), ("pm25", 70, 75)):
        groups = {}
        for r in rows:
            if r[item] != "":
                groups.setdefault((r["county_code"], int(r["date"][:4])), []).append(Fraction(r[item]))
        for key, values in groups.items():
            band = sum(1 for v in values if lo < v <= hi)
            below = sum(1 for v in values if lo - 5 < v <= lo)
            above = sum(1 for v in values if hi < v <= hi + 5)
            neighbours = Fraction(below + above, 2)
            if band >= 10 and band > neighbours and (band - neighbours) ** 2 > 9 * (band + neighbours / 2):
                found[("heaping-" + item, key)] = {
                    "band": band, "below": below, "above": above, "band_pct": Fraction(100 * band, len(values)),
                    "below_pct": Fraction(100 * below, len(values)), "above_pct": Fraction(100 * above, len(values))}
    return found


def expect_water(rows):
    found = {}
    sections = {}
    for i, r in enumerate(rows):
        sections.setdefault(r["section_code"], []).append(i)
    for idx in sections.values():
        idx.sort(key=lambda i: rows[i]["month"])
        for a, b in zip(idx, idx[1:]):  # consecutive months, four of the main items measured
            ya, ma = map(int, rows[a]["month"].split("-"))
            yb, mb = map(int, rows[b]["month"].split("-"))
            if 12 * yb + mb - 12 * ya - ma == 1 and sum(rows[b][k] != "" for k in WATER_ITEMS) >= 4 and \
                    all(rows[a][k] == rows[b][k] for k in WATER_ITEMS):
                found[("copied-month", b + 2)] = {}
        for item in WATER_WATCHED:
            have = [i for i in idx if rows[i][item] != ""]
            if len(have) < 6:
                continue
            m = median(Fraction(rows[i][item]) for i in have)
            for i in have:
                x = Fraction(rows[i][item])
                if x > 5 * m:
                    found[("spike-" + item, i + 2)] = {"value": x, "median": m, "times": x / m}
    return found


def expect_emissions(rows):
    found = {}
    for i in range(1, len(rows)):
        a, b = rows[i - 1], rows[i]
        if a["uscc"] == b["uscc"] and int(b["year"]) == int(a["year"]) + 1 and \
                all(Fraction(a[k]) == Fraction(b[k]) for k in TONNAGES) and any(Fraction(b[k]) > 0 for k in TONNAGES):
            found[("repeats-last-year", i + 2)] = {}
    return found


# ---------------------------------------------------------------- qy-check's findings

FIGURES = {
    "stuck": re.compile(r"reads (?P<value>[\d.]+) on (?P<length>\d+) days in a row from (?P<from>[\d-]+)"),
    "spike": re.compile(r": \S+ (?P<value>[\d.]+) \S+ is (?P<times>[\d.]+) times the \S+ median [^(]*\((?P<median>[\d.]+)\)"),
    "copied-series": re.compile(r"on (?P<length>\d+) days in a row from (?P<from>[\d-]+)"),
    "heaping": re.compile(r": (?P<band_pct>[\d.]+)% of station-days \((?P<band>\d+)\) have .* against "
                          r"(?P<below_pct>[\d.]+)% \((?P<below>\d+)\) at [\d–]+ and "
                          r"(?P<above_pct>[\d.]+)% \((?P<above>\d+)\)"),
}


def findings(path, ruleset):
    run = subprocess.run(["qy-check", "-r", ruleset, "--lang", "en", path], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit("qy-check failed (%d): %s" % (run.returncode, run.stderr))
    out = {}
    for line in run.stdout.splitlines():
        d = json.loads(line)
        if d.get("type") != "diagnostic" or d["code"] != "integrity":
            continue
        rule = d["rule"].split("/", 1)[1]
        if d["severity"] != "warning":
            sys.exit("integrity finding that is not a warning: %s" % line)
        key = (rule, d["row"]) if "row" in d else (rule, (d["group"]["county_code"], d["group"]["year"]))
        kind = next((k for k in FIGURES if rule.startswith(k)), None)
        m = FIGURES[kind].search(d["message"]) if kind else None
        if kind and not m:
            sys.exit("no figures in: %s" % d["message"])
        out[key] = m.groupdict() if m else {}
    return out


def same_figures(want, got):
    """The figures a message gives equal the reference's (ratios and shares to the 0.1 shown)."""
    for k, v in got.items():
        w = want.get(k)
        if w is None:
            return False
        if k in ("times", "band_pct", "below_pct", "above_pct"):
            if abs(Fraction(v) - w) > Fraction(51, 1000):
                return False
        elif k == "from":
            if v != w:
                return False
        elif Fraction(v) != w:
            return False
    return True


def compare(name, want, got):
    problems = []
    for key in sorted(set(want) | set(got), key=str):
        if key not in got:
            problems.append("%s: %s %s not found" % (name, key, want[key]))
        elif key not in want:
            problems.append("%s: %s %s found, not expected" % (name, key, got[key]))
        elif not same_figures(want[key], got[key]):
            problems.append("%s: %s figures %s, expected %s" % (name, key, got[key], want[key]))
    return problems


def plants_found(plants, want):
    problems = []
    for rule, key, figures in plants:
        have = want.get((rule, key))
        if figures is None:  # a near miss, planted not to be found
            if have is not None:
                problems.append("near miss %s at %s: the reference finds it %s" % (rule, key, have))
            continue
        if have is None:
            problems.append("plant %s at %s %s: the reference does not find it" % (rule, key, figures))
            continue
        for k, v in figures.items():
            if k == "moved":
                if have["band"] < 10:
                    problems.append("plant %s at %s moved %d: too few" % (rule, key, v))
            elif have.get(k) != v:
                problems.append("plant %s at %s: %s is %s, planted %s" % (rule, key, k, have.get(k), v))
    return problems


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def station_months(rows, found):
    """The station-months an air file's integrity findings fall on (a county's finding: all its stations')."""
    stations = {}
    for r in rows:
        stations.setdefault(r["county_code"], set()).add(r["station_id"])
    hit = set()
    for (rule, key) in found:
        if isinstance(key, tuple):  # a county-year
            county, year = key
            hit |= {(s, "%d-%02d" % (year, m)) for s in stations[county] for m in range(1, 13)}
            continue
        r = rows[key - 2]
        if rule == "copied-series":
            hit |= {(s, r["date"][:7]) for s in stations[r["county_code"]]}
        else:
            hit.add((r["station_id"], r["date"][:7]))
    return hit


def main():
    years = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 22)
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        air = make_air(rng, years)
        water = make_water(rng, years)
        emissions = make_emissions(rng, years)
        total_months = len({(r["station_id"], r["date"][:7]) for r in air})
        clean = {}
        for name, rows, header, ruleset, expect in (
                ("air", air, AIR_HEADER, "air-daily", expect_air),
                ("water", water, list(water[0]), "water-monthly", expect_water),
                ("emissions", emissions, list(emissions[0]), "emissions", expect_emissions)):
            path = os.path.join(tmp, name + "-clean.csv")
            write(path, header, rows)
            want = expect(rows)
            clean[name] = want
            problems += compare(name + " (clean)", want, findings(path, ruleset))
        planted = {}
        for name, rows, header, ruleset, expect, plant in (
                ("air", air, AIR_HEADER, "air-daily", expect_air, plant_air),
                ("water", water, list(water[0]), "water-monthly", expect_water, plant_water),
                ("emissions", emissions, list(emissions[0]), "emissions", expect_emissions, plant_emissions)):
            rows = [dict(r) for r in rows]
            plants = plant(rng, rows)
            path = os.path.join(tmp, name + "-planted.csv")
            write(path, header, rows)
            want = expect(rows)
            planted[name] = (len(plants), len(want))
            problems += plants_found(plants, want)
            problems += compare(name + " (planted)", want, findings(path, ruleset))
    hit = station_months(air, clean["air"])
    rate = len(hit) / total_months
    print("air: %d station-days, %d station-months; water: %d section-months; emissions: %d unit-years"
          % (len(air), total_months, len(water), len(emissions)))
    for name, (nplants, nfound) in planted.items():
        print("%s: %d patterns planted, %d integrity findings expected and compared" % (name, nplants, nfound))
    print("clean series: %d air findings on %d station-months (%.2f%%), %d water, %d emissions"
          % (len(clean["air"]), len(hit), 100 * rate, len(clean["water"]), len(clean["emissions"])))
    if rate > 0.01:
        problems.append("false positives: %.2f%% of station-months, more than 1%%" % (100 * rate))
    print("disagreements: %d" % len(problems))
    for p in problems[:30]:
        print("  " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
