/* msgcat.c — the built-in messages in both languages, made and rendered again from their parameters. */
#include "msgcat.h"
#include "jsonw.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

const struct msg_def msg_defs[MSG_COUNT] = {
	[MSG_BOM] = {"bom", "文件带有 UTF-8 BOM（字节顺序标记），已忽略",
		     "file starts with a UTF-8 byte-order mark (ignored)"},
	[MSG_BOM_DECLARED] = {"bom.declared",
			      "文件带有 UTF-8 BOM（字节顺序标记），因此按 UTF-8 读取，而不是指定的 {encoding}",
			      "file starts with a UTF-8 byte-order mark, so it is read as UTF-8, not as the {encoding} asked for"},
	[MSG_LEGACY_DETECTED] = {"legacy-encoding",
				 "按文件内容判断为 {encoding} 编码（中文版 Excel 的默认编码）并按此读取，位置均指原文件",
				 "read as {encoding}, detected from the content (the default of Chinese Excel); "
				 "positions refer to the original file"},
	[MSG_LEGACY_DECLARED] = {"legacy-encoding.declared", "按 {encoding} 编码读取（已声明），位置均指原文件",
				 "read as {encoding} (declared); positions refer to the original file"},
	[MSG_LEGACY_NOT_READ] = {"legacy-encoding.not-read",
				 "文件声明为 UTF-8，内容却是 GB18030/GBK 编码（中文版 Excel 的默认编码，自字节偏移 {offset} 起），未读取："
				 "请用 --encoding auto 或 --encoding gb18030 重新检查，或另存为“CSV UTF-8”",
				 "file was declared UTF-8 but is GB18030/GBK (the default of Chinese Excel; from byte offset {offset}) "
				 "and was not read: re-run with --encoding auto or --encoding gb18030, or save it as \"CSV UTF-8\""},
	[MSG_ENCODING_BYTE] = {"encoding-error", "字节偏移 {offset} 处的 0x{byte} 不是有效的 {encoding} 编码",
			       "at byte offset {offset}, 0x{byte} is not valid {encoding}"},
	[MSG_ENCODING_NUL] = {"encoding-error.nul", "字节偏移 {offset} 处为 NUL（0x00），文本文件中不应出现",
			      "NUL byte at byte offset {offset}; a text file has none"},
	[MSG_ENCODING_TRUNCATED] = {"encoding-error.truncated", "文件在字节偏移 {offset} 处的多字节字符中间结束",
				    "file ends inside a multibyte character at byte offset {offset}"},
	[MSG_ENCODING_UTF16] = {"encoding-error.utf-16", "文件为 UTF-16 编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
				"file is UTF-16; save it as \"CSV UTF-8\" in Excel"},
	[MSG_CELL_TOO_LARGE] = {"cell-too-large", "单元格超过 {limit} 字节的上限，只保留开头部分，未做检查",
				"cell exceeds the limit of {limit} bytes; only its start is kept and it is not checked"},
	[MSG_UNTERMINATED] = {"unterminated-quote", "引号未闭合：从第 {line} 行开始的字段一直延续到文件末尾",
			      "quote never closed: the field that starts on line {line} runs to the end of the file"},
	[MSG_EMPTY_FILE] = {"empty-file", "文件为空", "file is empty"},
	[MSG_NO_HEADER] = {"empty-file.no-header", "找不到表头行：前 {rows} 行都是空行或标题行",
			   "no header row: the first {rows} rows are blank or titles"},
	[MSG_HEADER_ONLY] = {"empty-file.header-only", "只有表头，没有数据行", "header only, no data rows"},
	[MSG_SIZE_CHANGED] = {"io-error.size-changed",
			      "读取期间文件大小改变：打开时 {opened} 字节，读到 {read} 字节，现为 {now} 字节；请在文件写完后重新检查",
			      "file changed size while it was read: {opened} bytes when opened, {read} read, {now} now; "
			      "check it again once it is complete"},
	[MSG_READ_FAILED] = {"io-error.read", "读取失败（第 {offset} 字节后）：{error}", "read failed after byte {offset}: {error}"},
	[MSG_MISSING_FILE] = {"io-error.missing", "文件不存在", "no such file"},
	[MSG_DIRECTORY] = {"io-error.directory", "这是一个目录，不是数据文件", "this is a directory, not a data file"},
	[MSG_CANNOT_OPEN] = {"io-error.open", "无法读取文件：{error}", "cannot read file: {error}"},
	[MSG_WORKER_SIGNAL] = {"io-error.worker-signal", "检查中断：检查该文件的工作进程被信号 {signal}（{name}）终止",
			       "the check stopped: its worker process was killed by signal {signal} ({name})"},
	[MSG_WORKER_STATUS] = {"io-error.worker-status", "检查中断：检查该文件的工作进程以状态 {status} 退出",
			       "the check stopped: its worker process ended with status {status}"},
	[MSG_WORKER_DIED] = {"io-error.worker", "检查中断：检查该文件的工作进程已终止", "the check stopped: its worker process died"},

	[MSG_NO_RULESET] = {"no-ruleset", "没有与文件名匹配的规则集，表头也不符合任何规则集：请用 -r 指定",
			    "no rule set matches the file name, nor its header; name one with -r ID"},
	[MSG_NO_RULESET_STDIN] = {"no-ruleset.stdin", "标准输入没有文件名可以匹配规则集：请用 -r 指定",
				  "standard input has no file name to match a rule set; name one with -r ID"},
	[MSG_NO_RULESET_HEADER] = {"no-ruleset.header",
				   "没有与文件名匹配的规则集；表头与规则集 {ruleset}（{title}）相符，已按其检查：请按 {name} 命名文件，或用 -r {ruleset} 指定",
				   "no rule set matches the file name; its header fits rule set {ruleset} ({title}), which it was "
				   "checked with: name the file like {name}, or give -r {ruleset}"},
	[MSG_WRONG_RULESET] = {"wrong-ruleset",
			       "表头缺少规则集 {ruleset} 的 {missing} 个必填列，而与规则集 {fits}（{title}）相符：文件未检查，请用 -r {fits} 检查",
			       "the header does not fit rule set {ruleset} ({missing} required columns missing) but fits rule set {fits} "
			       "({title}): the file was not checked; check it with -r {fits}"},

	[MSG_BLANK_HEADER] = {"blank-header", "表头 {letter} 列为空，该列数据不会被检查",
			      "header cell in column {letter} is blank; its data is not checked"},
	[MSG_UNKNOWN_COLUMN] = {"unknown-column", "未知列“{header}”（{letter} 列），不做检查",
				"unknown column \"{header}\" (column {letter}) is not checked"},
	[MSG_DUPLICATE_COLUMN] = {"duplicate-column", "列「{column}」重复出现（{letter} 列），只检查第一次出现的 {first} 列",
				  "column '{column}' appears again (column {letter}); only column {first} is checked"},
	[MSG_MISSING_COLUMN] = {"missing-column", "缺少必填列「{column}」", "required column '{column}' is missing"},
	[MSG_MISSING_OPTIONAL] = {"missing-column.optional", "缺少列「{column}」（非必填）", "column '{column}' is absent (optional)"},
	[MSG_MISSING_OPTIONALS] = {"missing-column.optionals", "缺少列「{columns}」（非必填）",
				   "columns '{columns}' are absent (optional)"},
	[MSG_BLANK_ROW] = {"blank-row", "空行", "blank row"},
	[MSG_EXTRA_CELL] = {"extra-cell", "本行有 {cells} 个单元格，多于表头的 {columns} 列",
			    "row has {cells} cells, more than the {columns} header columns"},
	[MSG_MISSING_CELL] = {"missing-cell", "本行只有 {cells} 个单元格，少于表头的 {columns} 列",
			      "row has only {cells} cells, fewer than the {columns} header columns"},

	[MSG_REQUIRED] = {"required", "「{column}」为必填项，不能为空", "'{column}' is required but empty"},
	[MSG_TYPE] = {"type-error", "「{column}」应为{type}", "'{column}' must be {type}"},
	[MSG_TYPE_FORM] = {"type-error.form", "「{column}」请写作 {write}（{form}）", "'{column}' must be written {write} ({form})"},
	[MSG_TYPE_NO_MONTH] = {"type-error.no-month", "「{column}」不是{what}：没有 {month} 月",
			       "'{column}' is not a real {what}: there is no month {month}"},
	[MSG_TYPE_NO_DAY] = {"type-error.no-day", "「{column}」不是日期：{month} 月没有 {day} 日",
			     "'{column}' is not a real date: {month_name} has only {days} days"},
	[MSG_TYPE_FEBRUARY] = {"type-error.february", "「{column}」不是日期：{year} 年 2 月没有 {day} 日",
			       "'{column}' is not a real date: February {year} has only {days} days"},
	[MSG_TYPE_H9] = {"type-error.h9", "「{column}」以 H9 开头，是无统一社会信用代码单位的编码，应为 18 位：H9、6 位行政区划代码、0000 加 5 位顺序码（或 9 位组织机构代码）、1 位小写字母（不用 i、o）",
		"'{column}' starts with H9, the code of a unit without a credit code, which has 18 characters: H9, a 6-digit area code, 0000 and a 5-digit sequence (or a 9-character organisation code), and a lowercase letter other than i and o"},
	[MSG_TYPE_CODE_KIND] = {"type-error.code-kind", "「{column}」第 1–2 位为“{prefix}”：按 GB 32100-2015 表1，登记管理部门 {department}（{name}）的机构类别只有 {types}",
		"'{column}' begins \"{prefix}\": in GB 32100-2015 Table 1, registration department {department} ({name}) registers only the types {types}"},
	[MSG_TYPE_CASE] = {"type-error.case", "「{column}」的字母大小写不对：应写作 {write}（已按此核对）",
		"'{column}' has letters in the wrong case: write {write} (checked as such)"},
	[MSG_WHITESPACE] = {"whitespace", "「{column}」首尾有空格，应写作“{write}”",
			    "'{column}' has leading or trailing blanks: write \"{write}\""},
	[MSG_WHITESPACE_WIDTH] = {"whitespace.width", "「{column}」含全角字符，应写作“{write}”",
				  "'{column}' has full-width characters where half-width belong: write \"{write}\""},
	[MSG_WHITESPACE_BOTH] = {"whitespace.both", "「{column}」首尾有空格且含全角字符，应写作“{write}”",
				 "'{column}' has blanks around it and full-width characters: write \"{write}\""},
	[MSG_RANGE] = {"range", "「{column}」的值 {value} 超出范围：应在 {min} 到 {max} 之间",
		       "'{column}' value {value} is out of range: it must be from {min} to {max}"},
	[MSG_RANGE_MIN] = {"range.min", "「{column}」的值 {value} 超出范围：应不小于 {min}",
			   "'{column}' value {value} is out of range: it must be at least {min}"},
	[MSG_RANGE_MAX] = {"range.max", "「{column}」的值 {value} 超出范围：应不大于 {max}",
			   "'{column}' value {value} is out of range: it must be at most {max}"},
	[MSG_LENGTH_SHORT] = {"length.short", "「{column}」只有 {length} 个字符，应至少 {min} 个",
			      "'{column}' is {length} characters long; it must have at least {min}"},
	[MSG_LENGTH_LONG] = {"length.long", "「{column}」有 {length} 个字符，应至多 {max} 个",
			     "'{column}' is {length} characters long; it may have at most {max}"},
	[MSG_PATTERN] = {"pattern", "「{column}」格式不符合要求", "'{column}' does not have the required form"},
	[MSG_PATTERN_FORM] = {"pattern.form", "「{column}」格式不符合要求：应为{form}",
			      "'{column}' does not have the required form: {form}"},
	[MSG_PATTERN_LIMIT] = {"pattern-limit", "「{column}」的格式检查超出匹配步数上限，未能判定",
			       "'{column}' could not be checked: the pattern hit its match limit"},
	[MSG_ENUM] = {"enum", "「{column}」的值“{value}”不是允许的取值", "'{column}' value \"{value}\" is not an allowed value"},
	[MSG_REFERENCE] = {"reference", "「{column}」的值“{value}”不在{table}中", "'{column}' value \"{value}\" is not in {table}"},
	[MSG_REFERENCE_SUGGEST] = {"reference.suggest", "「{column}」的值“{value}”不在{table}中；是否为{suggestions}？",
				   "'{column}' value \"{value}\" is not in {table}; did you mean {suggestions}?"},
	[MSG_ALIAS] = {"alias", "「{column}」写作“{value}”，规范写法为“{canonical}”",
		       "'{column}' is written \"{value}\"; the canonical form is \"{canonical}\""},
	[MSG_ALIAS_FORMER] = {"alias.former", "「{column}」写作“{value}”，已改为“{canonical}”",
		"'{column}' is written \"{value}\", which has become \"{canonical}\""},
	[MSG_ALIAS_FORMER_YEAR] = {"alias.former-year", "「{column}」写作“{value}”，已于 {year} 年改为“{canonical}”",
		"'{column}' is written \"{value}\", which became \"{canonical}\" in {year}"},
	[MSG_CHECK_DIGIT] = {"check-digit", "「{column}」校验位为 {char}，按 GB 32100 应为 {want}，请核实",
			     "'{column}' has check character {char}; GB 32100 calls for {want} — please verify"},
	[MSG_CHECK_DIGIT_PERMIT] = {"check-digit.permit", "「{column}」所含统一社会信用代码与 {cell} 相同，其校验位问题见该单元格",
				    "'{column}' carries the credit code of cell {cell}, whose check character is reported there"},

	[MSG_UNIQUE] = {"unique", "重复记录：{columns} 为（{values}），与第 {first} 行（单元格 {cell}）相同",
			"duplicate {columns} ({values}): same as row {first} (cell {cell})"},
	[MSG_DUPLICATE_ROW] = {"duplicate-row", "重复行：每个单元格都与第 {first} 行相同，请删除多余的一行或核实",
			       "duplicate row: every cell the same as row {first}; delete the extra row or verify it"},
	[MSG_RULE_PATTERN_LIMIT] = {"pattern-limit.rule", "规则 {rule} 的 matches() 超出匹配步数上限，本行未能判定",
				    "rule {rule} could not be judged on this row: matches() hit the pattern's match limit"},
	[MSG_CANNOT_VERIFY] = {"cannot-verify", "「{columns}」没有可用的值，规则 {rule} 本行无法核验",
			       "rule {rule} cannot be verified on this row: no usable value for '{columns}'"},
	[MSG_CANNOT_VERIFY_COLUMN] = {"cannot-verify.column", "文件中没有「{column}」列，规则 {rule} 无法核验",
				      "rule {rule} cannot be verified: the file has no '{column}' column"},
	[MSG_RESOURCE_LIMIT] = {"resource-limit",
				"{kind} {name} 需要 {need} 内存（本文件其他规则已占 {others}），超过 --max-memory（{limit}）：自第 {row} 行起，"
				"本文件其余部分不再按这条规则检查",
				"{kind} {name} needs {need} of memory (the file's other rules hold {others}), more than --max-memory "
				"allows ({limit}): from row {row} on, the rest of the file is not checked against it"},
	[MSG_RECONCILE_OVERLAP] = {"reconcile.overlap", "{key}：已在 {file} 中报送；本文件这组数据不再计入，以免重复计算",
		"{key}: already sent in {file}; this file's facts for the key are left out so that nothing counts twice"},
	[MSG_RECONCILE_OVERLAP_DAYS] = {"reconcile.overlap-days", "{key}：有 {days} 天（{from} 起）已在 {file} 中报送；本文件这组数据不再计入，以免重复计算",
		"{key}: {days} of its days, from {from}, were already sent in {file}; this file's facts for the key are left out so that nothing counts twice"},
	[MSG_RECONCILE_UNDECIDED] = {"reconcile.cannot-verify", "{key}：规则 {rule} 无法核对：{assert} 所读的值中有空值",
		"{key}: rule {rule} cannot be verified: a value that {assert} reads is empty"},
	[MSG_RECONCILE_MISSING] = {"reconcile.missing", "{key}：{table} 中有，{others} 中没有对应的数据",
		"{key}: in {table}, but nothing matches it in {others}"},
	[MSG_RECONCILE_FAILS] = {"reconcile.fails", "{key}：不满足 {assert}",
		"{key}: {assert} fails"},
	[MSG_COVERAGE_NOT_SENT] = {"coverage.not-sent", "{who}未报送 {period} 的{title}（{ruleset}）",
		"{who} has not sent {ruleset} for {period} ({title})"},
	[MSG_COVERAGE_NO_PERIOD] = {"coverage.no-period", "没有给出 --period，无法判断各区县是否报送齐全（规则 {rule}）",
		"no --period given, so rule {rule} cannot say which tables each county has not sent"},

	[MSG_BOOK_ZIP_BOMB] = {"workbook.zip-bomb", "工作簿部件 {part} 解压后超过压缩大小的 {ratio} 倍（疑似 zip 炸弹），已停止读取",
			       "workbook part {part} inflates to more than {ratio} times its compressed size (a zip bomb?); reading stopped"},
	[MSG_BOOK_PART_SIZE] = {"workbook.part-size", "工作簿部件 {part} 超过 {mib} MiB 的上限，已停止读取",
				"workbook part {part} is larger than the limit of {mib} MiB; reading stopped"},
	[MSG_BOOK_STRINGS] = {"workbook.strings", "共享字符串表超过上限（{limit}），已停止读取",
			      "the shared-string table exceeds its limit ({limit}); reading stopped"},
	[MSG_BOOK_DEPTH] = {"workbook.depth", "工作簿部件 {part} 的 XML 嵌套超过 {limit} 层，已停止读取",
			    "workbook part {part} nests XML deeper than {limit} levels; reading stopped"},
	[MSG_BOOK_DTD] = {"workbook.dtd", "工作簿部件 {part} 含有 DTD（实体声明），工作簿不需要它，已拒绝读取",
			  "workbook part {part} declares a DTD (entities), which no workbook needs; refused"},
	[MSG_BOOK_COLUMNS] = {"workbook.columns", "第 {row} 行有超出 XFD 列（第 {column} 列）的单元格，已停止读取",
			      "row {row} has a cell beyond column XFD (column {column}); reading stopped"},
	[MSG_BOOK_ROWS] = {"workbook.rows", "行号超出 {limit}，已停止读取", "a row number beyond {limit}; reading stopped"},
	[MSG_BOOK_COUNT] = {"workbook.count", "工作簿部件 {part} 中的工作表、格式或关系超过 {limit} 个，已停止读取",
			    "workbook part {part} lists more than {limit} sheets, formats or relationships; reading stopped"},
	[MSG_BOOK_STDIN] = {"workbook.stdin", "从标准输入读取的工作簿超过 {mib} MiB，已停止读取",
			    "a workbook on standard input is larger than {mib} MiB; reading stopped"},
	[MSG_BOOK_NO_VALUE] = {"workbook.no-value", "公式 {formula} 没有保存计算结果：请在 Excel 中打开，重新计算后保存",
			       "formula {formula} has no saved result: open the file in Excel, recalculate and save it"},
	[MSG_BOOK_ERROR_VALUE] = {"workbook.error-value", "单元格为错误值 {value}：请修正公式或它引用的数据",
				  "the cell holds the error value {value}: correct the formula or the data it uses"},
	[MSG_BOOK_CELL_TOO_LARGE] = {"cell-too-large.workbook", "单元格过大，只保留开头部分，未做检查",
				     "the cell is too large; only its start is kept and it is not checked"},
	[MSG_BOOK_DAMAGED] = {"workbook.damaged", "工作簿已损坏，无法读取（{detail}）：请在 Excel 中打开并重新另存为 .xlsx",
			      "the workbook is damaged and cannot be read ({detail}): open it in Excel and save it as .xlsx again"},
	[MSG_BOOK_READER_DIED] = {"workbook.reader-died", "无法读取该工作簿：.xls 读取程序在此文件上出错退出，文件可能已损坏：请在 Excel 或 WPS 中打开并另存为 .xlsx",
				  "the workbook cannot be read: the .xls reader failed on this file, which may be damaged: open it in Excel or WPS and save it as .xlsx"},
	[MSG_BOOK_READER_TIME] = {"workbook.reader-time", "工作簿未检查：.xls 读取程序在此文件上用了超过 {seconds} 秒处理器时间仍未读完，已被停止，文件可能已损坏：请在 Excel 或 WPS 中打开并另存为 .xlsx",
				  "the workbook is not checked: the .xls reader used more than {seconds} s of processor time on this file without finishing and was stopped; the file may be damaged: open it in Excel or WPS and save it as .xlsx"},
	[MSG_BOOK_NO_SHEET] = {"workbook.no-sheet", "工作簿中没有名为“{sheet}”的工作表（有：{sheets}）：请用 --sheet 或规则集的 dialect.sheet 指定",
			       "the workbook has no sheet '{sheet}' (it has {sheets}): name one with --sheet or the rule set's dialect.sheet"},
	[MSG_BOOK_PASSWORD] = {"workbook.password", "工作簿设有打开密码，无法读取：请去掉密码后另存为 .xlsx",
			       "the workbook is protected by a password and cannot be read: remove the password and save it as .xlsx"},
	[MSG_BOOK_XLS] = {"workbook.xls", "这是 Excel 97–2003 或 WPS 工作簿，但无法读取：请在 Excel 或 WPS 中另存为 .xlsx",
			  "this is an Excel 97–2003 or WPS workbook that cannot be read: save it from Excel or WPS as .xlsx"},
	[MSG_FILE_WORD] = {"file-type.word", "这是 Word 文档，不是 CSV：请在 Excel 中另存为 CSV UTF-8 或 .xlsx",
			   "this is a Word document, not CSV: save the table from Excel as CSV UTF-8 or .xlsx"},
	[MSG_FILE_POWERPOINT] = {"file-type.powerpoint", "这是 PowerPoint 演示文稿，不是 CSV：请在 Excel 中另存为 CSV UTF-8 或 .xlsx",
				 "this is a PowerPoint presentation, not CSV: save the table from Excel as CSV UTF-8 or .xlsx"},
	[MSG_FILE_ODS] = {"file-type.ods", "这是 OpenDocument 表格（.ods），不是 CSV：请在 WPS 或 Excel 中另存为 .xlsx 或 CSV UTF-8",
			  "this is an OpenDocument spreadsheet (.ods), not CSV: save it from WPS or Excel as .xlsx or CSV UTF-8"},
	[MSG_FILE_ODT] = {"file-type.odt", "这是 OpenDocument 文档，不是 CSV：请在 Excel 中另存为 CSV UTF-8 或 .xlsx",
			  "this is an OpenDocument document, not CSV: save the table from Excel as CSV UTF-8 or .xlsx"},
	[MSG_FILE_PDF] = {"file-type.pdf", "这是 PDF 文件，不是 CSV：请提交原始表格，在 Excel 中另存为 CSV UTF-8 或 .xlsx",
			  "this is a PDF file, not CSV: send the table itself, saved from Excel as CSV UTF-8 or .xlsx"},
	[MSG_FILE_ZIP] = {"file-type.zip", "这是 zip 压缩包，不是 CSV：请解压后逐个检查其中的表格",
			  "this is a zip archive, not CSV: unpack it and check the tables inside"},
	[MSG_FILE_OFFICE] = {"file-type.office", "这是 Office 97–2003 文件，但不是 Excel 工作簿：请在 Excel 中另存为 CSV UTF-8 或 .xlsx",
			     "this is an Office 97–2003 file but not an Excel workbook: save the table from Excel as CSV UTF-8 or .xlsx"},

	[MSG_FIXED_BLANKS] = {"fixed.blanks", "「{column}」首尾的空格已去掉", "'{column}': the blanks around the value were removed"},
	[MSG_FIXED_WIDTH] = {"fixed.width", "「{column}」的全角字符已改为半角", "'{column}': full-width characters were made half-width"},
	[MSG_FIXED_CASE] = {"fixed.case", "「{column}」的字母已按编码改为规定的大小写：{write}",
				"'{column}': the letters were put in the case the code takes: {write}"},
	[MSG_FIXED_DATES] = {"fixed.dates", "「{column}」已改写为 {write}", "'{column}' was written as {write}"},
	[MSG_FIXED_NAMES] = {"fixed.names", "「{column}」已改为规范写法“{write}”", "'{column}' was replaced by the canonical \"{write}\""},
	[MSG_FIXED_TRANSCODE] = {"fixed.transcode", "已由 {encoding} 转为 UTF-8", "transcoded from {encoding} to UTF-8"},
	[MSG_FIXED_BOM_ADDED] = {"fixed.bom", "已加上 UTF-8 BOM（字节顺序标记），Excel 据此按 UTF-8 打开",
				 "a UTF-8 byte-order mark was added, by which Excel opens the file as UTF-8"},
	[MSG_FIXED_BOM_REMOVED] = {"fixed.no-bom", "已去掉 UTF-8 BOM（字节顺序标记）", "the UTF-8 byte-order mark was removed"},
	[MSG_FIXED_EOL] = {"fixed.eol", "行尾已改为 {eol}", "line ends written as {eol}"},
	[MSG_FIXED_TITLE_ROW] = {"fixed.title-row", "已删除标题行", "the title row was removed"},
	[MSG_FIXED_BLANK_ROW] = {"fixed.blank-row", "已删除表头上方的空行", "the blank row above the header was removed"},
	[MSG_FIX_NO_GB18030] = {"fix.not-gb18030", "有字符无法写回 GB18030，未修复",
				"a character cannot be written back in GB18030; not repaired"},
	[MSG_FIX_CANNOT_ENCODE] = {"fix.cannot-encode", "本系统无法写回 GB18030，未修复",
		"this system cannot write GB18030 back; not repaired"},
	[MSG_FIX_BAD_BYTES] = {"fix.bad-bytes", "字节偏移 {offset} 处的字节不是有效的 GB18030，改写会丢失它：请先手工改正，未修复",
			       "the bytes at offset {offset} are not valid GB18030 and a copy would lose them: "
			       "correct them by hand first; not repaired"},
	[MSG_FIX_UTF16] = {"fix.utf-16", "文件为 UTF-16 编码：请在 Excel 中另存为“CSV UTF-8”，未修复",
			   "the file is UTF-16: save it as \"CSV UTF-8\" in Excel; not repaired"},
	[MSG_FIX_LEGACY] = {"fix.legacy-encoding", "文件声明为 UTF-8，内容却是 GB18030：请用 --encoding auto，未修复",
			    "the file was declared UTF-8 but is GB18030: give --encoding auto; not repaired"},
	[MSG_FIX_CELL_TOO_LARGE] = {"fix.cell-too-large", "有单元格超过 1 GiB，未修复", "a cell exceeds 1 GiB; not repaired"},
	[MSG_FIX_UNTERMINATED] = {"fix.unterminated-quote", "第 {line} 行开始的引号一直没有闭合：请先手工改正，未修复",
				  "the quote opened on line {line} is never closed: correct it by hand first; not repaired"},
	[MSG_FIX_WRONG_RULESET] = {"fix.wrong-ruleset", "表头不符合规则集 {ruleset}，而与规则集 {fits} 相符：请用 -r {fits}",
				   "the header does not fit rule set {ruleset} but fits rule set {fits}: give -r {fits}"},
	[MSG_FIX_NO_RULESET] = {"fix.no-ruleset", "没有与文件名或表头相符的规则集，请用 -r 指定",
				"no rule set matches the file name or its header; name one with -r ID"},
	[MSG_FIX_STDIN] = {"fix.stdin", "标准输入的修复结果需用 -o 指定写到哪里",
			   "the repair of standard input needs -o to say where it goes"},
	[MSG_FIX_OUTPUT_IS_INPUT] = {"fix.output-is-input", "输出 {file} 就是输入文件：请用 --in-place --backup",
				     "the output {file} is the input: give --in-place --backup"},
	[MSG_FIX_BACKUP_EXISTS] = {"fix.backup-exists", "备份文件 {file} 已存在，未覆盖，未修复",
				   "the backup {file} exists already and is not overwritten; not repaired"},
	[MSG_FIX_REPLACE] = {"fix.replace", "无法替换文件：{error}", "cannot replace the file: {error}"},
	[MSG_FIX_WRITE] = {"fix.write", "无法写入 {file}：{error}", "cannot write {file}: {error}"},
	[MSG_FIX_COPY_BESIDE] = {"fix.copy-beside", "无法在 {file} 旁写入副本：{error}", "cannot write a copy beside {file}: {error}"},
	[MSG_FIX_READ] = {"fix.read", "读取失败：{error}", "read failed: {error}"},
	[MSG_FIX_WRITE_COPY] = {"fix.write-copy", "无法写入副本：{error}", "cannot write the copy: {error}"},
};

/*
 * The catalogue's templates split once into pieces, so that a message is
 * made without looking for braces or comparing keys letter by letter: each
 * piece is the literal text before a {key} (as it is, and escaped for a JSON
 * string) and the key; the last piece has no key.
 */
struct piece {
	const char *lit, *key; /* key: NULL after the last parameter */
	size_t lit_len, key_len;
	size_t json_at, json_len; /* the literal escaped, in its template's json */
};

struct compiled {
	struct piece *pieces;
	size_t n;
	bool cut;         /* a '{' without its '}': the text ends with the last piece */
	bool clean;       /* every literal is valid UTF-8, so its escaped pieces join into the escaped text */
	size_t lit_total, keys; /* the bytes of its literals, and its {key}s */
	struct buf json;  /* the literals escaped */
};

/* Each message's templates (indexed by lang == LANG_ZH), and the start of its args: {"msg":"ID". */
static struct compiled compiled[MSG_COUNT][2];
static struct buf args_head[MSG_COUNT];
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;
static atomic_bool compiled_ready; /* set once compiled: a message then makes no call to look */

/* Splits one template into its pieces. */
static void compile_template(struct compiled *t, const char *tmpl)
{
	size_t cap = 0;
	t->clean = true;
	for (const char *p = tmpl;;) {
		const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
		struct piece pc = {.lit = p, .lit_len = open ? (size_t)(open - p) : strlen(p), .json_at = t->json.len};
		t->clean &= jsonw_escape(&t->json, p, pc.lit_len);
		t->lit_total += pc.lit_len;
		pc.json_len = t->json.len - pc.json_at;
		if (close)
			pc.key = open + 1, pc.key_len = (size_t)(close - open - 1), t->keys++;
		else
			t->cut = open != NULL;
		if (t->n == cap)
			t->pieces = xrealloc(t->pieces, (cap = cap ? 2 * cap : 4) * sizeof *t->pieces);
		t->pieces[t->n++] = pc;
		if (!close)
			return;
		p = close + 1;
	}
}

/* Splits every template of the catalogue, once. */
static void compile_catalogue(void)
{
	for (size_t i = 0; i < MSG_COUNT; i++) {
		compile_template(&compiled[i][0], msg_defs[i].en);
		compile_template(&compiled[i][1], msg_defs[i].zh);
		buf_adds(&args_head[i], "{\"msg\":");
		jsonw_string(&args_head[i], msg_defs[i].id, strlen(msg_defs[i].id));
	}
	atomic_store_explicit(&compiled_ready, true, memory_order_release);
}

/* The pieces of message id's template in lang. */
static const struct compiled *template_of(enum msg_id id, enum lang lang)
{
	if (!atomic_load_explicit(&compiled_ready, memory_order_acquire))
		pthread_once(&compiled_once, compile_catalogue);
	return &compiled[id][lang == LANG_ZH];
}

/*
 * Appends a template with each {key} replaced by what value(ctx, key, len)
 * appends; false as soon as one key has no value.
 */
static bool expand(struct buf *out, const struct compiled *t,
		   bool (*value)(void *ctx, const char *key, size_t len, struct buf *out), void *ctx)
{
	for (const struct piece *pc = t->pieces;; pc++) {
		buf_add(out, pc->lit, pc->lit_len);
		if (!pc->key)
			return !t->cut;
		if (!value(ctx, pc->key, pc->key_len, out))
			return false;
	}
}

/* A parameter as msg_say uses it: its key's length, its text in the chosen language, and where that text is escaped in the args. */
struct said_arg {
	size_t key_len;
	const char *text; /* NULL for a number: its digits are those in the args */
	size_t len, esc_at, esc_len;
};

/* True when a parameter's key is the piece's. */
static inline bool key_is(const struct said_arg *s, const char *key, const struct piece *pc)
{
	return s->key_len == pc->key_len && bytes_equal(key, pc->key, pc->key_len);
}

/* Appends s[0..n) to the args as a JSON string, noting where its escaped bytes are; false if bytes were replaced. */
static bool args_string(struct buf *args, const char *s, size_t n, size_t *at, size_t *len)
{
	buf_addc(args, '"');
	*at = args->len;
	bool clean = jsonw_escape(args, s, n);
	*len = args->len - *at;
	buf_addc(args, '"');
	return clean;
}

struct message msg_say(struct msgbuf *m, enum lang lang, enum msg_id id, const struct msg_arg *args, size_t n)
{
	const struct compiled *t = template_of(id, lang);
	struct said_arg said[MSG_ARGS_MAX];
	bool clean = t->clean;
	size_t longest = 0, longest_esc = 0; /* room for the text and its JSON, made once: no check a piece */
	if (n > MSG_ARGS_MAX)
		die(EXIT_TROUBLE, "message %s has more than %d parameters", msg_defs[id].id, MSG_ARGS_MAX);
	m->args.len = 0;
	buf_add(&m->args, args_head[id].data, args_head[id].len);
	for (size_t i = 0; i < n; i++) { /* the args, each value escaped once: the text's JSON copies it */
		const struct msg_arg *a = &args[i];
		struct said_arg *s = &said[i];
		s->key_len = strlen(a->key);
		buf_grow(&m->args, s->key_len + 4);
		char *p = m->args.data + m->args.len;
		p[0] = ',', p[1] = '"';
		p = put_bytes(p + 2, a->key, s->key_len);
		p[0] = '"', p[1] = ':', p[2] = '\0';
		m->args.len += s->key_len + 4;
		if (a->text) {
			s->text = a->text, s->len = strnlen(a->text, a->len); /* a message is a C string: it ends at a NUL */
			clean &= args_string(&m->args, s->text, s->len, &s->esc_at, &s->esc_len);
		} else if (a->zh) {
			size_t zh_at, zh_len, en_at, en_len, zh_n = strlen(a->zh), en_n = strlen(a->en);
			JSONW_LIT(&m->args, "{\"zh\":");
			bool zh_clean = args_string(&m->args, a->zh, zh_n, &zh_at, &zh_len);
			JSONW_LIT(&m->args, ",\"en\":");
			bool en_clean = args_string(&m->args, a->en, en_n, &en_at, &en_len);
			buf_addc(&m->args, '}');
			bool zh = lang == LANG_ZH;
			s->text = zh ? a->zh : a->en, s->len = zh ? zh_n : en_n;
			s->esc_at = zh ? zh_at : en_at, s->esc_len = zh ? zh_len : en_len;
			clean &= zh ? zh_clean : en_clean;
		} else {
			s->text = NULL, s->esc_at = m->args.len;
			buf_add_uint(&m->args, a->number);
			s->len = s->esc_len = m->args.len - s->esc_at;
		}
		longest = s->len > longest ? s->len : longest;
		longest_esc = s->esc_len > longest_esc ? s->esc_len : longest_esc;
	}
	buf_addc(&m->args, '}');
	buf_grow(&m->text, t->lit_total + t->keys * longest);
	buf_grow(&m->json, t->json.len + t->keys * longest_esc + 2);
	char *text = m->text.data, *json = m->json.data;
	*json++ = '"';
	for (const struct piece *pc = t->pieces;; pc++) {
		text = put_bytes(text, pc->lit, pc->lit_len);
		json = put_bytes(json, t->json.data + pc->json_at, pc->json_len);
		if (!pc->key)
			break;
		size_t i = (size_t)(pc - t->pieces); /* the args mostly come in the template's order */
		if (i >= n || !key_is(&said[i], args[i].key, pc))
			for (i = 0; i < n && !key_is(&said[i], args[i].key, pc); i++)
				;
		if (i == n) /* a key without its value: the text stops there */
			break;
		const char *esc = m->args.data + said[i].esc_at;
		text = put_bytes(text, said[i].text ? said[i].text : esc, said[i].len);
		json = put_bytes(json, esc, said[i].esc_len);
	}
	*json++ = '"';
	*text = *json = '\0';
	m->text.len = (size_t)(text - m->text.data);
	m->json.len = (size_t)(json - m->json.data);
	return (struct message){.text = m->text.data, .args = m->args.data, .args_len = m->args.len,
				.json = clean ? m->json.data : NULL, .json_len = m->json.len};
}

struct message msg_both_written(struct msgbuf *m, enum lang lang, const char *shown, size_t shown_len,
				void (*json)(struct buf *args, enum lang which, void *ctx), void *ctx)
{
	buf_reset(&m->text);
	buf_reset(&m->args);
	buf_add(&m->text, shown, shown_len);
	JSONW_LIT(&m->args, "{\"zh\":");
	size_t zh_at = m->args.len; /* the text in lang as a JSON string: the message's */
	json(&m->args, LANG_ZH, ctx);
	size_t zh_end = m->args.len;
	JSONW_LIT(&m->args, ",\"en\":");
	size_t en_at = m->args.len;
	json(&m->args, LANG_EN, ctx);
	size_t en_end = m->args.len;
	buf_addc(&m->args, '}');
	bool zh_shown = lang == LANG_ZH;
	return (struct message){.text = m->text.data, .args = m->args.data, .args_len = m->args.len,
				.json = m->args.data + (zh_shown ? zh_at : en_at),
				.json_len = zh_shown ? zh_end - zh_at : en_end - en_at};
}

/* A text of msg_both as a JSON string: ctx holds both, by language. */
static void both_text_json(struct buf *args, enum lang which, void *ctx)
{
	const char *const *texts = ctx;
	jsonw_string(args, texts[which], strlen(texts[which]));
}

struct message msg_both(struct msgbuf *m, enum lang lang, const char *zh, const char *en)
{
	const char *texts[2];
	texts[LANG_ZH] = zh, texts[LANG_EN] = en;
	const char *shown = texts[lang];
	return msg_both_written(m, lang, shown, strlen(shown), both_text_json, (void *)texts);
}

struct message msg_keep(struct msgbuf *m, struct message said)
{
	buf_reset(&m->text);
	buf_reset(&m->args);
	buf_reset(&m->json);
	buf_adds(&m->text, said.text);
	size_t args_len = !said.args ? 0 : said.args_len ? said.args_len : strlen(said.args);
	if (said.args)
		buf_add(&m->args, said.args, args_len);
	struct message kept = {.text = m->text.data, .args = said.args ? m->args.data : NULL, .args_len = args_len};
	if (!said.json)
		return kept;
	uintptr_t json = (uintptr_t)said.json, args = (uintptr_t)said.args;
	if (said.args && json >= args && json + said.json_len <= args + args_len) { /* msg_both's: within the args */
		kept.json = m->args.data + (json - args);
	} else {
		buf_add(&m->json, said.json, said.json_len);
		kept.json = m->json.data;
	}
	kept.json_len = said.json_len;
	return kept;
}

void msgbuf_free(struct msgbuf *m)
{
	buf_free(&m->text);
	buf_free(&m->args);
	buf_free(&m->json);
}

const struct msg_def *msg_find(const char *id)
{
	for (size_t i = 0; i < MSG_COUNT; i++)
		if (strcmp(msg_defs[i].id, id) == 0)
			return &msg_defs[i];
	return NULL;
}

struct render_ctx {
	json_t *args;
	enum lang lang;
};

/* A reader's parameter: a string, a whole number or a phrase {zh, en}. */
static bool render_value(void *ctx, const char *key, size_t len, struct buf *out)
{
	const struct render_ctx *r = ctx;
	json_t *v = json_object_getn(r->args, key, len);
	if (json_is_object(v))
		v = json_object_get(v, r->lang == LANG_ZH ? "zh" : "en");
	if (json_is_string(v))
		buf_add(out, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v) && json_integer_value(v) >= 0)
		buf_add_uint(out, (unsigned long long)json_integer_value(v));
	else
		return false;
	return true;
}

bool msg_render(struct buf *out, enum lang lang, json_t *args)
{
	buf_reset(out);
	if (!json_is_object(args))
		return false;
	json_t *id = json_object_get(args, "msg");
	if (!id) { /* a rule set's message: its two texts */
		json_t *text = json_object_get(args, lang == LANG_ZH ? "zh" : "en");
		if (!json_is_string(text))
			return false;
		buf_add(out, json_string_value(text), json_string_length(text));
		return true;
	}
	const struct msg_def *def = json_is_string(id) ? msg_find(json_string_value(id)) : NULL;
	struct render_ctx r = {args, lang};
	if (!def || !expand(out, template_of((enum msg_id)(def - msg_defs), lang), render_value, &r)) {
		buf_reset(out);
		return false;
	}
	return true;
}
