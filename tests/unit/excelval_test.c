/* excelval_test — numbers, date serials and number formats as Excel shows them; input kinds by their first bytes. */
#include "book.h"
#include "excelval.h"
#include "test.h"

#include <stdio.h>

/* The text of v in shape, from the 1900 or 1904 system. */
static const char *shown(double v, enum excel_shape shape, bool date1904)
{
	static struct buf b;
	buf_reset(&b);
	excel_value_text(v, shape, date1904, &b);
	return b.data;
}

static void test_numbers(void)
{
	CHECK_STR("15 digits", shown(35.299999999999997, SHAPE_NUMBER, false), "35.3");
	CHECK_STR("0.1+0.2", shown(0.1 + 0.2, SHAPE_NUMBER, false), "0.3");
	CHECK_STR("integer", shown(441881, SHAPE_NUMBER, false), "441881");
	CHECK_STR("negative", shown(-2, SHAPE_NUMBER, false), "-2");
	CHECK_STR("zero", shown(-0.0, SHAPE_NUMBER, false), "0");
	CHECK_STR("15-digit integer", shown(123456789012345, SHAPE_NUMBER, false), "123456789012345");
	CHECK_STR("1E+15", shown(1e15, SHAPE_NUMBER, false), "1E+15");
	CHECK_STR("large", shown(1.5e20, SHAPE_NUMBER, false), "1.5E+20");
	CHECK_STR("small", shown(0.000000001, SHAPE_NUMBER, false), "0.000000001");
	CHECK_STR("tiny", shown(1.25e-10, SHAPE_NUMBER, false), "1.25E-10");
	CHECK_STR("percent", shown(0.35, SHAPE_PERCENT, false), "35%");
	CHECK_STR("percent with decimals", shown(0.1234, SHAPE_PERCENT, false), "12.34%");
}

static void test_dates(void)
{
	CHECK_STR("serial 1", shown(1, SHAPE_DATE, false), "1900-01-01");
	CHECK_STR("serial 59", shown(59, SHAPE_DATE, false), "1900-02-28");
	CHECK_STR("the leap-year bug", shown(60, SHAPE_DATE, false), "1900-02-29");
	CHECK_STR("serial 61", shown(61, SHAPE_DATE, false), "1900-03-01");
	CHECK_STR("serial 0", shown(0, SHAPE_DATE, false), "1900-01-00");
	CHECK_STR("2025-06-01", shown(45809, SHAPE_DATE, false), "2025-06-01");
	CHECK_STR("1904 system", shown(45809 - 1462, SHAPE_DATE, true), "2025-06-01");
	CHECK_STR("1904 day 0", shown(0, SHAPE_DATE, true), "1904-01-01");
	CHECK_STR("datetime", shown(45809.75, SHAPE_DATETIME, false), "2025-06-01 18:00:00");
	CHECK_STR("time", shown(0.5, SHAPE_TIME, false), "12:00:00");
	CHECK_STR("month", shown(45809, SHAPE_MONTH, false), "2025-06");
	CHECK_STR("year", shown(45809, SHAPE_YEAR, false), "2025");
	CHECK_STR("last day", shown(2958465, SHAPE_DATE, false), "9999-12-31");
	CHECK_STR("past the last day", shown(2958466, SHAPE_DATE, false), "2958466");
	CHECK_STR("negative serial", shown(-1, SHAPE_DATE, false), "-1");
}

static void test_formats(void)
{
	CHECK("General", excel_format_shape(0, NULL) == SHAPE_NUMBER, "not a number");
	CHECK("built-in 14", excel_format_shape(14, NULL) == SHAPE_DATE, "not a date");
	CHECK("built-in 22", excel_format_shape(22, NULL) == SHAPE_DATETIME, "not a datetime");
	CHECK("built-in 9", excel_format_shape(9, NULL) == SHAPE_PERCENT, "not a percent");
	CHECK("Chinese 57", excel_format_shape(57, NULL) == SHAPE_MONTH, "not a month");
	CHECK("yyyy/m/d", excel_format_shape(164, "yyyy/m/d") == SHAPE_DATE, "not a date");
	CHECK("yyyy年m月", excel_format_shape(164, "yyyy\"年\"m\"月\"") == SHAPE_MONTH, "not a month");
	CHECK("h:mm is minutes", excel_format_shape(164, "h:mm") == SHAPE_TIME, "not a time");
	CHECK("mm:ss is minutes", excel_format_shape(164, "mm:ss") == SHAPE_TIME, "not a time");
	CHECK("[h]:mm elapsed", excel_format_shape(164, "[h]:mm") == SHAPE_TIME, "not a time");
	CHECK("colour and quoted text", excel_format_shape(164, "[Red]\"day \"yyyy\\-mm\\-dd;@") == SHAPE_DATE,
	      "not a date");
	CHECK("quoted d is text", excel_format_shape(164, "0.00\" d\"") == SHAPE_NUMBER, "a date");
	CHECK("0.0%", excel_format_shape(164, "0.0%") == SHAPE_PERCENT, "not a percent");
	CHECK("yyyy", excel_format_shape(164, "yyyy") == SHAPE_YEAR, "not a year");
	CHECK("locale code", excel_format_shape(164, "[$-804]yyyy-mm-dd") == SHAPE_DATE, "not a date");
}

static void test_kinds(void)
{
	CHECK("zip", book_kind_of((const unsigned char *)"PK\3\4xx", 6) == BOOK_ZIP, "not zip");
	CHECK("ole2", book_kind_of((const unsigned char *)"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == BOOK_OLE2,
	      "not OLE2");
	CHECK("pdf", book_kind_of((const unsigned char *)"%PDF-1.4", 8) == BOOK_PDF, "not PDF");
	CHECK("csv", book_kind_of((const unsigned char *)"a,b\n1,2\n", 8) == BOOK_TEXT, "not text");
	CHECK("utf-16 with a mark is the CSV reader's", book_kind_of((const unsigned char *)"\xFF\xFE" "a\0", 4) == BOOK_TEXT,
	      "not text");
	CHECK("utf-16 without a mark", book_kind_of((const unsigned char *)"a\0,\0b\0\n\0", 8) == BOOK_UTF16,
	      "not UTF-16");
	CHECK("utf-16be without a mark", book_kind_of((const unsigned char *)"\0a\0,\0b\0\n", 8) == BOOK_UTF16,
	      "not UTF-16");
	CHECK("a few NULs are not UTF-16", book_kind_of((const unsigned char *)"ab,cd\0\nef,gh\n", 14) == BOOK_TEXT,
	      "UTF-16");
}

int main(void)
{
	test_numbers();
	test_dates();
	test_formats();
	test_kinds();
	return test_status();
}
