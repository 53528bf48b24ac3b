#!/usr/bin/python3
"""make.py — hostile workbooks, written small: each is a valid zip whose parts
attack the reader.  Run in the case's directory; writes *.xlsx beside itself."""
import sys
import zipfile

ROOT_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = '</sheetData></worksheet>'
ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>区县代码</t></is></c></row>'


def book(name, sheet, strings=None):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", strings)
        z.writestr("xl/worksheets/sheet1.xml", sheet)


def main():
    # a zip bomb: 256 MiB of blanks inside the sheet, a few hundred KiB packed
    book("bomb.xlsx", HEAD + ROW + " " * (256 << 20) + TAIL)
    # XML nested 100,000 levels deep
    book("deep.xlsx", HEAD + "<x>" * 100000 + "</x>" * 100000 + TAIL)
    # the billion laughs: entities that expand to 10^9 copies
    lol = '<!DOCTYPE w [<!ENTITY a "lol">' + "".join(
        '<!ENTITY %s "%s">' % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10) for i in range(9)) + ']>'
    book("laughs.xlsx", lol + HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>&j;</t></is></c></row>' + TAIL)
    # a row of a million cells, without references
    book("columns.xlsx", HEAD + '<row r="1">' + "<c><v>1</v></c>" * 1000000 + "</row>" + TAIL)
    # a cell past XFD by reference, and a row past 1,048,576
    book("xfe.xlsx", HEAD + ROW + '<row r="2"><c r="XFE2"><v>1</v></c></row>' + TAIL)
    book("rows.xlsx", HEAD + ROW + '<row r="1048577"><c r="A1048577"><v>1</v></c></row>' + TAIL)
    # a shared-string table claiming four billion strings and holding twenty million
    book("strings.xlsx", HEAD + ROW + TAIL,
         '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4294967295">'
         + "<si/>" * 20000000 + "</sst>")
    # a string index past the table, and a cut archive
    book("index.xlsx", HEAD + '<row r="1"><c r="A1" t="s"><v>99</v></c></row>' + TAIL,
         '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si></sst>')
    data = open("bomb.xlsx", "rb").read()
    open("cut.xlsx", "wb").write(data[:len(data) // 2])


if __name__ == "__main__":
    sys.exit(main())
