/*
 * fuzz_expr — the expression parser and evaluator: the input is compiled as a
 * row expression and as an aggregate, and whatever compiles is evaluated on a
 * few rows with nulls, numbers, strings and dates.
 */
#include "expr.h"
#include "ruleset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ruleset *rs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;

	rs = ruleset_load(getenv("QY_FUZZ_EXPR_RULES") ? getenv("QY_FUZZ_EXPR_RULES") : "tests/rules/expr.json");
	return 0;
}

/* Three rows: all null, typical values, and awkward ones. */
static void make_rows(struct value rows[3][8])
{
	memset(rows, 0, sizeof(struct value) * 24);
	rows[1][0] = (struct value){.type = V_NUM, .num = 12.5};
	rows[1][1] = (struct value){.type = V_NUM, .num = 3};
	rows[1][2] = (struct value){.type = V_STR, .str = "清远ab", .len = 8};
	rows[1][3] = (struct value){.type = V_DATE, .num = 19000};
	rows[1][4] = (struct value){.type = V_BOOL, .num = 1};
	rows[1][5] = (struct value){.type = V_DATE, .num = 19000};
	rows[1][6] = (struct value){.type = V_STR, .str = "441881", .len = 6};
	rows[2][0] = (struct value){.type = V_NUM, .num = -1e308};
	rows[2][1] = (struct value){.type = V_NUM, .num = 0};
	rows[2][2] = (struct value){.type = V_STR, .str = "\xff", .len = 1};
	rows[2][3] = (struct value){.type = V_DATE, .num = -1e9};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rs || size > 4096)
		return 0;
	char *src = malloc(size + 1);
	memcpy(src, data, size);
	src[size] = '\0';
	char err[256];
	int pos;
	struct value rows[3][8];
	make_rows(rows);

	struct expr_scope row_scope = {.rs = rs};
	struct expr *e = expr_compile(src, &row_scope, err, sizeof err, &pos);
	for (int r = 0; e && r < 3; r++) {
		struct eval_ctx ctx = {.rs = rs, .row = rows[r]};
		expr_eval(e, &ctx);
	}
	expr_free(e);

	struct expr *group = expr_compile("month(d)", &row_scope, err, sizeof err, &pos);
	struct expr *groups[] = {group};
	struct expr_scope agg = {.rs = rs, .aggregate = true, .group = groups, .ngroup = 1};
	e = expr_compile(src, &agg, err, sizeof err, &pos);
	if (e) {
		unsigned char *accs = calloc(1, agg_block_size(agg.slots, agg.nslots) + 1); /* (+1: no slot, no block) */
		for (int r = 0; r < 3; r++) {
			struct eval_ctx ctx = {.rs = rs, .row = rows[r]};
			agg_update(agg.slots, agg.nslots, accs, &ctx);
		}
		struct value key = {.type = V_NUM, .num = 2};
		struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = accs};
		expr_eval(e, &ctx);
		agg_acc_free(agg.slots, agg.nslots, accs, 1);
		free(accs);
	}
	expr_free(e);
	expr_free(group);
	free(agg.slots);
	free(src);
	return 0;
}
