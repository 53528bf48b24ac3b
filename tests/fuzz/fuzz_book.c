/*
 * fuzz_book — the workbook readers and the whole check of a workbook, against
 * the air-daily rule set.  The first byte picks what the rest is: the whole
 * file (zip, OLE2 or anything), or one part of an otherwise sound .xlsx stored
 * uncompressed — the sheet, the shared strings, the styles or the workbook
 * part — so that mutations reach the XML rather than a checksum.
 * OLE2 files (.xls) are left out: they go to libfreexl, which is not built
 * with the sanitizers, and whose string conversion reads past its buffer on
 * some mutated files (clang's iconv interceptor says so within seconds).
 * qy reads them in a child process (lib/xls.c), whose death is a finding;
 * golden workbook-xls-damaged checks that on files libfreexl dies on.
 */
#include "check.h"
#include "diag.h"
#include "ruleset.h"
#include "util.h"
#include "fuzz_file.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

static struct ruleset *rs;

static const char root_rels[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
	"relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char workbook[] =
	"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
	"<workbookPr date1904=\"0\"/><sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char workbook_rels[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"x/styles\" Target=\"/xl/styles.xml\"/></Relationships>";
static const char sheet[] =
	"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
	"<c r=\"E1\" t=\"s\"><v>2</v></c><c r=\"F1\" t=\"s\"><v>3</v></c></row>"
	"<row r=\"2\"><c r=\"A2\"><v>441881</v></c><c r=\"B2\" t=\"inlineStr\"><is><r><t>英德</t></r><r><t>市</t></r></is></c>"
	"<c r=\"E2\" s=\"1\"><v>45809</v></c><c r=\"F2\" s=\"2\"><v>35.299999999999997</v></c></row>"
	"<row r=\"4\"><c r=\"A4\" t=\"e\"><v>#N/A</v></c><c r=\"E4\" s=\"3\"><f>A1</f></c><c r=\"F4\" t=\"b\"><v>1</v></c></row>"
	"</sheetData></worksheet>";
static const char strings[] =
	"<sst><si><t>区县代码</t></si><si><r><t>区</t></r><r><t>县</t></r><rPh><t>x</t></rPh></si>"
	"<si><t>日期</t></si><si><t>PM2.5</t></si></sst>";
static const char styles[] =
	"<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;\"/></numFmts>"
	"<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"9\"/><xf numFmtId=\"164\"/></cellXfs></styleSheet>";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init("book", "xlsx");
	rs = ruleset_load(getenv("QY_FUZZ_RULES") ? getenv("QY_FUZZ_RULES") : "rules/air-daily.json");
	return 0;
}

/* Writes an .xlsx, stored, whose part number part is data; false if it cannot. */
static bool write_book(int part, const uint8_t *data, size_t size)
{
	const char *names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
			       "xl/workbook.xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"};
	const char *texts[] = {sheet, strings, styles, workbook, root_rels, workbook_rels};
	int err;
	zip_t *z = zip_open(fuzz_path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	if (!z)
		return false;
	for (int i = 0; i < 6; i++) {
		const void *p = i == part ? (const void *)data : texts[i];
		size_t n = i == part ? size : strlen(texts[i]);
		zip_source_t *src = zip_source_buffer(z, p, n, 0);
		zip_int64_t idx = src ? zip_file_add(z, names[i], src, ZIP_FL_OVERWRITE) : -1;
		if (idx < 0) {
			zip_source_free(src);
			zip_discard(z);
			return false;
		}
		zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
	}
	return zip_close(z) == 0;
}

/* Checks the file at fuzz_path into *out. */
static bool check_output(char **out, size_t *len)
{
	int fd = open(fuzz_path, O_RDONLY);
	if (fd < 0)
		return false;
	FILE *f = open_memstream(out, len);
	struct diag_options dopt = {.format = OUT_JSON, .max_per_rule = -1, .max_errors = -1, .out = f};
	struct check_options copt = {.max_field = 256, .path = fuzz_path};
	struct diag_file df;
	struct check_result res;
	diag_file_begin(&df, &dopt, "fuzz.xlsx", rs->id);
	check_fd(rs, fd, &copt, &df, &res);
	diag_file_end(&df, res.records, res.bytes, res.encoding);
	fclose(f);
	close(fd);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || !rs)
		return 0;
	int part = data[0] % 5 - 1; /* -1: the whole file */
	data++, size--;
	if (part < 0 && size >= 4 && memcmp(data, "\xD0\xCF\x11\xE0", 4) == 0)
		return 0;
	if (part < 0 ? !fuzz_file_write(data, size) : !write_book(part, data, size))
		return 0;
	char *out = NULL;
	size_t len = 0;
	check_output(&out, &len);
	free(out);
	return 0;
}
