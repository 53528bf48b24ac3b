#!/usr/bin/python3
"""check.py ORIGINAL STREAM COPY — reads qy-annotate's workbook with openpyxl
(not with qy) and asserts: every data cell equals the original's (an .xlsx
read for its cached values, or a CSV file read as text) one column to the
right (numbers to Excel's 15 digits); each finding's cell is filled by its severity and commented with its
message; each row with findings is flagged in column A; the first sheet lists
every finding, linked to its cell.  Exits 1 at the first mismatch."""
import csv
import json
import re
import sys
import warnings

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter

FILLS = {"error": "FFFFC7CE", "warning": "FFFFEB9C", "info": "FFDDEBF7"}
RANK = {"info": 0, "warning": 1, "error": 2}


warnings.filterwarnings("ignore")  # the hand-made fixtures have no default cell style


def same(copy, original):
    """Equal as Excel shows them: numbers to 15 significant digits; text with
    the escaped underscore (_x005F_) read as openpyxl reads the original's
    shared strings, which it does not do for the copy's inline strings."""
    if isinstance(copy, float) or isinstance(original, float):
        return (isinstance(copy, (int, float)) and isinstance(original, (int, float))
                and "%.15g" % copy == "%.15g" % original)
    if isinstance(copy, str):
        copy = copy.replace("_x005F_", "_")
    return copy == original


def unescape(text):
    """OOXML's _xHHHH_ escapes, which openpyxl leaves in inline strings."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text or "")


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def original_rows(path, sheet):
    if path.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as f:
            return [[v if v != "" else None for v in row] for row in csv.reader(f)]
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def main():
    path, stream, copy = sys.argv[1:4]
    records = [json.loads(line) for line in open(stream, encoding="utf-8")]
    findings = [r for r in records if r["type"] == "diagnostic"]
    sheet = next((r["sheet"] for r in records if "sheet" in r), None)
    wb = openpyxl.load_workbook(copy)
    if wb.sheetnames[0] != "检查结果":
        fail("first sheet %s" % wb.sheetnames)
    listed, data = wb.worksheets[0], wb.worksheets[1]
    # every data cell equals the original, one column to the right
    orig = original_rows(path, sheet)
    cells = 0
    for r, row in enumerate(orig, start=1):
        for c, value in enumerate(row, start=1):
            got = data.cell(row=r, column=c + 1).value
            if not same(got, value):
                fail("%s%d: %r, the original has %r" % (get_column_letter(c), r, got, value))
            cells += value is not None
    # each finding's cell coloured by the worst severity there and commented with the message
    # (the flag in column A, where a finding without a cell is commented, shows the row's worst)
    worst = {}
    for d in findings:
        if "row" in d:
            col = column_index_from_string(d["cell"].rstrip("0123456789")) + 1 if "cell" in d else 1
            for key in {(d["row"], col), (d["row"], 1)}:
                if RANK[d["severity"]] > RANK.get(worst.get(key), -1):
                    worst[key] = d["severity"]
    for d in findings:
        if "row" not in d:
            continue
        key = (d["row"], column_index_from_string(d["cell"].rstrip("0123456789")) + 1 if "cell" in d else 1)
        cell = data.cell(row=key[0], column=key[1])
        if cell.fill.fgColor.rgb != FILLS[worst[key]]:
            fail("%s: fill %s, want %s" % (cell.coordinate, cell.fill.fgColor.rgb, worst[key]))
        message = d["message"].replace("\r\n", "\n")  # XML reads a CR LF in a comment as LF
        if not cell.comment or message not in cell.comment.text:
            fail("%s: no comment with %r" % (cell.coordinate, d["message"]))
        if not data.cell(row=key[0], column=1).value:
            fail("row %d is not flagged" % key[0])
    # the list: every finding, in order, linked to its cell
    rows = list(listed.iter_rows(min_row=5, values_only=True))
    if len(rows) != len(findings):
        fail("%d findings listed, the stream has %d" % (len(rows), len(findings)))
    for i, (d, row) in enumerate(zip(findings, rows)):
        if unescape(row[5]) != d["message"]:
            fail("list row %d: %r" % (i + 5, row[5]))
        link = listed.cell(row=i + 5, column=3).hyperlink
        if "row" in d:
            want = "%s%d" % (get_column_letter(column_index_from_string(d["cell"].rstrip("0123456789")) + 1)
                             if "cell" in d else "A", d["row"])
            if not link or link.location.split("!")[1] != want:
                fail("list row %d: link %s, want %s" % (i + 5, link and link.location, want))
    print("%s: %d cells equal, %d findings coloured, commented and listed, %d file-level"
          % (path.split("/")[-1], cells, sum("row" in d for d in findings), sum("row" not in d for d in findings)))


main()
