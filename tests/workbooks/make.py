#!/usr/bin/python3
"""make.py — writes the workbook fixtures of the golden tests with tools other
than qy: openpyxl for ordinary .xlsx files, xlwt for a real BIFF8 .xls, and
Python's zipfile for the parts openpyxl never writes (shared strings with rich
text and phonetic runs, cached formula values, the 1904 date system by hand,
a Word file, an OpenDocument file).  Run it from anywhere:

    /usr/bin/python3 tests/workbooks/make.py

It needs python3-openpyxl and python3-xlwt (Debian).  The files it writes are
committed; the tests only read them.
"""
import csv
import datetime
import os
import re
import zipfile

import openpyxl
import xlwt

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
WIDTH = 13  # columns of the air-daily table


def out(name):
    return os.path.join(HERE, name)


def typed(text):
    """A CSV cell as a clerk would have typed it into Excel: numbers and ISO
    dates become numbers and dates, anything else stays text."""
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", text):
        return float(text)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return datetime.date.fromisoformat(text)
    return text


def air_rows():
    """The 清城区 sample (with its mistakes, but no cell beyond the header: Excel
    would save the header of such a sheet with a blank cell), under a title row
    and a blank row."""
    with open(os.path.join(TOP, "samples", "清城区_空气质量日报_2025-06.csv"), encoding="utf-8") as f:
        rows = [r[:WIDTH] for r in csv.reader(f)]
    return [["清城区环境空气质量日报（2025 年 6 月）"], []] + rows


def write_air_csv(rows):
    """The same table as Excel's "CSV UTF-8" would save it (without the BOM): every
    row as wide as the widest, CRLF line ends."""
    width = max(len(r) for r in rows)
    with open(out("air.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for r in rows:
            w.writerow(r + [""] * (width - len(r)))


def fixed_times(wb):
    when = datetime.datetime(2025, 7, 1, 9, 0, 0)
    wb.properties.created = when
    wb.properties.modified = when


def write_air_xlsx(rows):
    """air.xlsx: a hidden lists sheet first, the data (title merged over the
    table, dates as dates, numbers as numbers), then a second batch sheet."""
    wb = openpyxl.Workbook()
    fixed_times(wb)
    lists = wb.active
    lists.title = "lists"
    lists.append(["优", "良", "轻度污染"])
    lists.sheet_state = "hidden"
    data = wb.create_sheet("数据")
    for r in rows:
        data.append([typed(c) for c in r])
    data.merge_cells(start_row=1, start_column=1, end_row=1, end_column=WIDTH)
    for row in data.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
    second = wb.create_sheet("第二批")
    second.append(rows[2])
    second.append([441802, "清城区", "QY-AQ-0201", "清城凤城", datetime.date(2025, 6, 9),
                   18, 700, 6, 20, 0.6, 80, 40, "优"])
    second["E2"].number_format = "yyyy-mm-dd"
    wb.save(out("air.xlsx"))
    return wb


def write_air_xls(rows):
    """air.xls: the same data sheet as BIFF8, through xlwt."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("数据")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for i, r in enumerate(rows):
        for j, c in enumerate(r):
            v = typed(c)
            if isinstance(v, datetime.date):
                sheet.write(i, j, v, date_style)
            else:
                sheet.write(i, j, v)
    book.save(out("air.xls"))


# The OOXML parts written by hand, for what openpyxl does not write.
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>
</Relationships>"""

# Cell formats: 0 General, 1 built-in date (14), 2 custom yyyy/m/d, 3 datetime,
# 4 a Chinese month format, 5 percent (9), 6 a date with text and colour around it.
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:numFmts count="4">
<x:numFmt numFmtId="164" formatCode="yyyy/m/d"/>
<x:numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>
<x:numFmt numFmtId="166" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/>
<x:numFmt numFmtId="167" formatCode="[Red]&quot;day &quot;yyyy\\-mm\\-dd;@"/>
</x:numFmts>
<x:cellStyleXfs count="1"><x:xf numFmtId="22"/></x:cellStyleXfs>
<x:cellXfs count="7">
<x:xf numFmtId="0"/><x:xf numFmtId="14"/><x:xf numFmtId="164"/><x:xf numFmtId="165"/>
<x:xf numFmtId="166"/><x:xf numFmtId="9"/><x:xf numFmtId="167"/>
</x:cellXfs>
</x:styleSheet>"""

# Shared strings: plain, rich text in runs with a phonetic run (not shown),
# an escaped carriage return, and the header labels.
SHARED = ["名称", "代码", "数值", "日期", "月份", "占比", "达标",
          "英德市", "441881", "良", "_x005F_x0041_ kept"]


def shared_strings_xml():
    items = []
    for s in SHARED:
        items.append("<si><t xml:space=\"preserve\">%s</t></si>" % s)
    items.append("<si><r><rPr><b/></rPr><t>清</t></r><r><t>城区</t></r>"
                 "<rPh sb=\"0\" eb=\"1\"><t>QING</t></rPh></si>")   # 11: rich text
    items.append("<si><t>第一行_x000D_\n第二行</t></si>")              # 12: CR escaped
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
            "count=\"%d\" uniqueCount=\"%d\">%s</sst>" % (len(items), len(items), "".join(items)))


def values_sheet(shift):
    """The values fixture's sheet: date serials minus shift (1462 for 1904)."""
    def d(serial):
        return serial - shift
    rows = [
        # header: shared strings 0-6
        '<row r="1">' + "".join('<c r="%s1" t="s"><v>%d</v></c>' % (col, i) for i, col in enumerate("ABCDEFG")) + "</row>",
        # rich shared string, code as a number, 15 digits, built-in date, month, percent, boolean
        '<row r="2"><c r="A2" t="s"><v>11</v></c><c r="B2"><v>441881</v></c>'
        '<c r="C2"><v>35.299999999999997</v></c><c r="D2" s="1"><v>%d</v></c>'
        '<c r="E2" s="4"><v>%d</v></c><c r="F2" s="5"><v>0.35</v></c><c r="G2" t="b"><v>1</v></c></row>' % (d(45809), d(45809)),
        # inline rich string, code as shared text, 0.1+0.2, custom date, percent over 100, FALSE
        '<row r="3"><c r="A3" t="inlineStr"><is><r><t>英</t></r><r><t>德市</t></r></is></c>'
        '<c r="B3" t="s"><v>8</v></c><c r="C3"><v>0.30000000000000004</v></c>'
        '<c r="D3" s="2"><v>%d</v></c><c r="E3" s="4"><v>%d</v></c><c r="F3" s="5"><v>1.5</v></c>'
        '<c r="G3" t="b"><v>0</v></c></row>' % (d(45810), d(45839)),
        # a formula with its cached value, a large number, a datetime in a date column
        '<row r="4"><c r="A4" t="s"><v>7</v></c><c r="B4" t="s"><v>8</v></c>'
        '<c r="C4"><f>C2*2</f><v>70.6</v></c><c r="D4" s="3"><v>%s</v></c>'
        '<c r="E4" t="str"><f>"2025-0"&amp;"7"</f><v>2025-07</v></c><c r="F4" s="5"/></row>' % (d(45811) + 0.5),
        # row 5 is absent: a blank row; row 6: the escaped underscore, 1E+20, a date in a decorated format
        '<row r="6"><c r="A6" t="s"><v>10</v></c><c r="B6" t="s"><v>8</v></c><c r="C6"><v>1E+20</v></c>'
        '<c r="D6" s="6"><v>%d</v></c></row>' % d(45812),
        # formulas: no cached value, an error value, a string result
        '<row r="7"><c r="A7" t="str"><f>"良"</f><v>良</v></c><c r="B7" t="s"><v>8</v></c>'
        '<c r="C7"><f>SUM(C2:C4)</f></c><c r="D7" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>',
        # serial 60: 29 February 1900 in the 1900 system (Excel's leap-year bug), 1 March 1904 in the other
        '<row r="8"><c r="A8" t="s"><v>12</v></c><c r="B8" t="s"><v>8</v></c><c r="C8" t="e"><v>#N/A</v></c>'
        '<c r="D8" s="1"><v>60</v></c></row>',
    ]
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            "<sheetData>%s</sheetData></worksheet>" % "".join(rows))


def write_values(name, date1904):
    wb = ("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
          "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
          "<workbookPr%s/><sheets><sheet name=\"取值\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
          % (' date1904="1"' if date1904 else ""))
    with zipfile.ZipFile(out(name), "w", zipfile.ZIP_DEFLATED) as z:
        for part, text in [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/styles.xml", STYLES), ("xl/sharedStrings.xml", shared_strings_xml()),
                           ("xl/worksheets/sheet1.xml", values_sheet(1462 if date1904 else 0))]:
            z.writestr(zipfile.ZipInfo(part, (2025, 7, 1, 9, 0, 0)), text, zipfile.ZIP_DEFLATED)


def write_not_tables():
    """Files that are not tables: a Word document and an OpenDocument spreadsheet
    (as zip archives with their formats' main parts), a PDF, a plain zip."""
    stamp = (2025, 7, 1, 9, 0, 0)
    with zipfile.ZipFile(out("report.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", stamp), "<Types/>")
        z.writestr(zipfile.ZipInfo("_rels/.rels", stamp), ROOT_RELS.replace("xl/workbook.xml", "word/document.xml"))
        z.writestr(zipfile.ZipInfo("word/document.xml", stamp),
                   "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>")
    with zipfile.ZipFile(out("table.ods"), "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", stamp), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(zipfile.ZipInfo("content.xml", stamp), "<office:document-content/>")
    with zipfile.ZipFile(out("files.zip"), "w") as z:
        z.writestr(zipfile.ZipInfo("a.csv", stamp), "区县代码\n441881\n")
    with open(out("scan.pdf"), "wb") as f:
        f.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def rename_stream(src, dst, old, new):
    """Copies an OLE2 file, renaming one directory entry (UTF-16 name and its
    length): an xlwt workbook whose Workbook stream is called WordDocument or
    EncryptedPackage stands for a Word 97 file or an encrypted workbook."""
    data = bytearray(open(src, "rb").read())
    old16 = (old + "\0").encode("utf-16-le")
    at = data.find(old16)
    assert at > 0 and len(new) < 32
    new16 = (new + "\0").encode("utf-16-le")
    data[at:at + 64] = new16 + b"\0" * (64 - len(new16))
    data[at + 64:at + 66] = len(new16).to_bytes(2, "little")
    open(dst, "wb").write(bytes(data))


def write_damaged(src, dst, offset, byte):
    """A copy of src with one byte changed: found by changing bytes of
    air.xls at random, each of these makes libfreexl 1.0.6 free a pointer that
    the file's own bytes have overwritten, inside freexl_open."""
    data = bytearray(open(src, "rb").read())
    data[offset] = byte
    open(dst, "wb").write(bytes(data))


def write_looping(src, dst):
    """A copy of src whose DIFAT chain (the sectors that list the FAT sectors
    beyond the header's 109) is a sector that names itself as the next one, in
    a chain said to be 4,294,967,295 sectors long: libfreexl 1.0.6 follows it,
    reading the one sector again and again, inside freexl_open, for hours."""
    data = bytearray(open(src, "rb").read())
    sector = (len(data) - 512) // 512
    data[0x44:0x48] = sector.to_bytes(4, "little")       # the DIFAT's first sector
    data[0x48:0x4C] = (0xFFFFFFFF).to_bytes(4, "little")  # its length in sectors
    data += b"\xff" * 508 + sector.to_bytes(4, "little")  # no FAT sector; next: itself
    open(dst, "wb").write(bytes(data))


def main():
    rows = air_rows()
    write_air_csv(rows)
    write_air_xlsx(rows)
    write_air_xls(rows)
    write_values("values.xlsx", False)
    write_values("values1904.xlsx", True)
    write_not_tables()
    rename_stream(out("air.xls"), out("letter.doc"), "Workbook", "WordDocument")
    rename_stream(out("air.xls"), out("locked.xlsx"), "Workbook", "EncryptedPackage")
    write_damaged(out("air.xls"), out("damaged-free.xls"), 2036, 0x7F)
    write_damaged(out("air.xls"), out("damaged-free2.xls"), 1986, 0x00)
    write_looping(out("air.xls"), out("looping.xls"))


if __name__ == "__main__":
    main()
