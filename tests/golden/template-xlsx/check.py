#!/usr/bin/python3
"""check.py BOOK RULESET.json — reads a qy-template --xlsx workbook with openpyxl
(not with qy) and asserts every column's header, number format, input message,
error alert, dropdown list, range and length against the rule set; prints one
line a column.  Exits 1 at the first mismatch."""
import csv
import datetime
import json
import os
import sys

import openpyxl
from openpyxl.utils import get_column_letter

FORMATS = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "percent": "0.0%", "integer": "0", "year": "0",
           "number": "General"}
SPECIAL_LISTS = {"boolean": ["是", "否"], "water-class": ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]}
EPOCH = datetime.date(1899, 12, 30)


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def expected_list(rs, col, refdir):
    if "enum" in col:
        return col["enum"]
    if "ref" in col:
        table, column = col["ref"].split(".")
        ref = rs["refs"][table]  # a file name, or {"file": …, "labels": …}
        with open(os.path.join(refdir, ref["file"] if isinstance(ref, dict) else ref), encoding="utf-8") as f:
            seen = []
            for row in csv.DictReader(f):
                if row[column] and row[column] not in seen:
                    seen.append(row[column])
            return seen
    return SPECIAL_LISTS.get(col["type"])


def severity(col, check):
    s = col.get("severity", "error")
    return s.get(check, "error") if isinstance(s, dict) else s


def serial(text, month=False):
    d = datetime.date.fromisoformat(text + "-01" if month else text)
    return str((d - EPOCH).days)


def list_values(wb, formula):
    sheet, ref = formula.split("!")
    ws = wb[sheet.strip("'")]
    first, last = ref.replace("$", "").split(":")
    return [c.value for row in ws[first:last] for c in row]


def main():
    book, rules = sys.argv[1], sys.argv[2]
    rs = json.load(open(rules, encoding="utf-8"))
    wb = openpyxl.load_workbook(book)
    data, lists = wb.worksheets[0], wb["列表"]
    if wb.sheetnames[1] != "说明" or lists.sheet_state != "hidden":
        fail("sheets %s" % wb.sheetnames)
    cols = rs["columns"]
    if [c.value for c in data[1]] != [c.get("label", c["name"]) for c in cols]:
        fail("header %s" % [c.value for c in data[1]])
    if data.freeze_panes != "A2" or not all(c.font.b for c in data[1]):
        fail("header not bold and frozen")
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in data.data_validations.dataValidation}
    for i, col in enumerate(cols):
        letter = get_column_letter(i + 1)
        label, kind = col.get("label", col["name"]), col["type"]
        dv = dvs.get(letter + "2")
        if dv is None or str(dv.sqref) != "%s2:%s1048576" % (letter, letter):
            fail("%s: no validation over the column" % letter)
        fmt = data.column_dimensions[letter].number_format
        if fmt != FORMATS.get(kind, "@"):
            fail("%s: number format %s" % (letter, fmt))
        if dv.promptTitle != label[:32] or not dv.prompt.startswith("必填" if col.get("required") else "可不填"):
            fail("%s: input message %r %r" % (letter, dv.promptTitle, dv.prompt))
        if col.get("unit") and col["unit"] not in dv.prompt:
            fail("%s: the unit is not in the input message" % letter)
        if kind == "percent":  # a percentage is 0–100 unless the rule set narrows it
            col = dict(col, min=col.get("min", 0), max=col.get("max", 100))
        want = expected_list(rs, col, os.path.join(os.path.dirname(rules)))
        check = "range"
        if want:
            check = "reference" if "ref" in col else "enum" if "enum" in col else "type-error"
            got = list_values(wb, dv.formula1) if dv.type == "list" else None
            if got != want:
                fail("%s: list %s, want %s" % (letter, got, want))
            what = "list of %d" % len(want)
        elif ("min" in col or "max" in col) and kind in ("integer", "year", "number", "percent", "date", "month"):
            scale = 0.01 if kind == "percent" else 1
            conv = {"date": lambda v: serial(v), "month": lambda v: serial(v, True)}.get(
                kind, lambda v: ("%.15g" % (v * scale)))
            bounds = [conv(col[k]) for k in ("min", "max") if k in col]
            typ = {"integer": "whole", "year": "whole", "date": "date", "month": "date"}.get(kind, "decimal")
            got = [f for f in (dv.formula1, dv.formula2) if f is not None]
            got = ["%.15g" % float(f) if typ == "decimal" else f for f in got]
            op_ok = (dv.operator in (None, "between")) if len(bounds) == 2 else \
                dv.operator == ("greaterThanOrEqual" if "min" in col else "lessThanOrEqual")
            if dv.type != typ or got != bounds or not op_ok:
                fail("%s: %s %s %s, want %s %s" % (letter, dv.type, dv.operator, got, typ, bounds))
            what = "%s %s" % (typ, "–".join(bounds))
        elif "max_length" in col or "min_length" in col or kind in ("uscc", "permit"):
            n = {"uscc": 18, "permit": 22}.get(kind)
            lo, hi = str(col.get("min_length", n or 0)), str(col.get("max_length", n))
            check = "length"
            if dv.type != "textLength" or dv.formula1 != lo or (hi != "None" and dv.formula2 != hi):
                fail("%s: length %s %s %s" % (letter, dv.type, dv.formula1, dv.formula2))
            what = "length %s–%s" % (lo, hi)
        else:
            if dv.type not in (None, "any"):
                fail("%s: unexpected %s validation" % (letter, dv.type))
            what = "input message only"
        style = {"error": (None, "stop"), "warning": ("warning",), "info": ("information",)}[severity(col, check)]
        if what != "input message only" and (dv.errorStyle not in style or label[:20] not in dv.error):
            fail("%s: error alert %s %r" % (letter, dv.errorStyle, dv.error))
        print("%s %s: %s, %s" % (letter, col["name"], what, dv.errorStyle or "stop"))
    names = [r[0] for r in wb["说明"].iter_rows(min_row=5, values_only=True)]
    if names != [c["name"] for c in cols]:
        fail("dictionary %s" % names)
    print("%s: %d columns checked" % (rs["ruleset"], len(cols)))


main()
