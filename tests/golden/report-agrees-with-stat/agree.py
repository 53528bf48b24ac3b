"""agree.py STREAM HTML — the figures qy-stat gives for a stream and those its HTML report shows must be the same.

Reads qy-stat's JSON (by severity, by file and severity, by county) from
stat-*.json beside it, and the page: the totals in its first paragraph, the
files table, and the chart's total per county.  Prints one line with the
figures, or what differs.
"""
import json
import re
import sys


def load(name):
    with open(name, encoding="utf-8") as f:
        return json.load(f)


def main():
    label, page = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
    by_sev = {g["severity"]: g["count"] for g in load("stat-severity.json")["groups"]}
    by_file = {}
    for g in load("stat-file.json")["groups"]:
        by_file.setdefault(g["file"], {"error": 0, "warning": 0, "info": 0})[g["severity"]] = g["count"]
    by_county = {g["county"]: g["count"] for g in load("stat-county.json")["groups"]}
    problems = []
    head = re.search(r"<p>(\d+) files: <span class=\"error\">(\d+) errors</span>, <span class=\"warning\">(\d+) warnings"
                     r"</span>, <span class=\"info\">(\d+) info</span>", page)
    files, totals = int(head.group(1)), [int(head.group(i)) for i in (2, 3, 4)]
    if totals != [by_sev.get(s, 0) for s in ("error", "warning", "info")]:
        problems.append("totals %s, qy-stat %s" % (totals, by_sev))
    table = page.split('id="files"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td><a href=\"#file-\d+\">([^<]*)</a></td><td>[^<]*</td><td class=\"n\">\d+</td>"
                      r"<td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>", table)
    if len(rows) != files:
        problems.append("%d files said, %d in the table" % (files, len(rows)))
    for name, e, w, i in rows:
        want = by_file.get(name, {"error": 0, "warning": 0, "info": 0})
        if [int(e), int(w), int(i)] != [want["error"], want["warning"], want["info"]]:
            problems.append("%s: table %s/%s/%s, qy-stat %s" % (name, e, w, i, want))
    chart = {c: int(n) for c, n in re.findall(r'class="total" data-county="([^"]*)">(\d+)<', page)}
    if chart != by_county:
        problems.append("chart %s, qy-stat %s" % (chart, by_county))
    zero = sorted(c for c, n in chart.items() if not n)
    print("%s: %d files, %d errors, %d warnings, %d info, %d counties in the chart (%s with 0)%s" % (
        label, files, totals[0], totals[1], totals[2], len(chart), ", ".join(zero) or "none",
        "" if not problems else "\n  DIFFER: " + "\n  DIFFER: ".join(problems)))


main()
