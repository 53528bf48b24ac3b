/* budget.c — counting the memory a file's rules hold against --max-memory. */
#include "budget.h"
#include "msgcat.h"

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

void budget_report_drop(struct budget *b, struct diag_file *out, const struct budget_drop *drop,
			uint64_t line, uint64_t row)
{
	char need[32], others[32], limit[32];
	struct msgbuf msg = {0};
	budget_size_text(drop->needed, need);
	budget_size_text(b->used > drop->held ? b->used - drop->held : 0, others);
	budget_size_text(b->limit, limit);
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = "resource-limit";
	d.rule = drop->rule;
	d.line = line;
	d.row = row;
	d.message = MSG_SAY(&msg, out->opt->lang, MSG_RESOURCE_LIMIT, ARG_PHRASE("kind", drop->kind_zh, drop->kind_en),
			    ARG_TEXT("name", drop->name), ARG_TEXT("need", need), ARG_TEXT("others", others),
			    ARG_TEXT("limit", limit), ARG_NUM("row", row));
	diag_emit(out, &d);
	msgbuf_free(&msg);
	b->refused = true;
}
