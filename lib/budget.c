/* budget.c — counting the memory a file's rules hold against --max-memory. */
#include "budget.h"

#include <stdio.h>

bool budget_take(struct budget *b, uint64_t bytes)
{
	if (!b)
		return true;
	if (b->limit && (bytes > b->limit || b->used > b->limit - bytes))
		return false;
	b->used += bytes;
	return true;
}

void budget_give(struct budget *b, uint64_t bytes)
{
	if (b)
		b->used -= bytes < b->used ? bytes : b->used;
}

void budget_size_text(uint64_t bytes, char out[32])
{
	if (bytes < (1u << 20))
		snprintf(out, 32, "%llu KiB", (unsigned long long)((bytes + 1023) >> 10));
	else if (bytes < (100u << 20))
		snprintf(out, 32, "%.2f MiB", (double)bytes / (1 << 20));
	else if (bytes < (1ull << 30))
		snprintf(out, 32, "%.1f MiB", (double)bytes / (1 << 20));
	else
		snprintf(out, 32, "%.2f GiB", (double)bytes / (1ull << 30));
}

uint64_t budget_block_size(size_t n)
{
	uint64_t size = (n + 8 + 15) / 16 * 16;
	return size < 32 ? 32 : size;
}

void budget_report_drop(struct budget *b, struct diag_file *out, const struct budget_drop *drop,
			uint64_t line, uint64_t row)
{
	char need[32], others[32], limit[32];
	struct buf msg = {0};
	budget_size_text(drop->needed, need);
	budget_size_text(b->used > drop->held ? b->used - drop->held : 0, others);
	budget_size_text(b->limit, limit);
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = "resource-limit";
	d.rule = drop->rule;
	d.line = line;
	d.row = row;
	d.message = diag_msg(&msg, out->opt->lang,
			     "%s %s 需要 %s 内存（本文件其他规则已占 %s），超过 --max-memory（%s）：自第 %llu 行起，"
			     "本文件其余部分不再按这条规则检查",
			     "%s %s needs %s of memory (the file's other rules hold %s), more than --max-memory "
			     "allows (%s): from row %llu on, the rest of the file is not checked against it",
			     out->opt->lang == LANG_ZH ? drop->kind_zh : drop->kind_en, drop->name, need, others, limit,
			     (unsigned long long)row);
	diag_emit(out, &d);
	buf_free(&msg);
	b->refused = true;
}
