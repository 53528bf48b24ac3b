/*
 * expr.c — compiling rule expressions: the lexer, a Pratt parser that
 * type-checks as it builds nodes, and the passes after parsing that name
 * what it built (group keys, the columns read, key names).  exprcall.c
 * type-checks the calls it meets, exprplan.c plans how what this compiles is
 * evaluated, expreval.c evaluates it, expragg.c keeps its aggregates'
 * accumulators.
 */
#include "exprnode.h"
#include "celltype.h"
#include "rules.h"
#include "ruleset.h"
#include "standards.h"
#include "targets.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200

static const struct fninfo functions[] = {
	{"is_null", F_IS_NULL, 1, 1, false}, {"len", F_LEN, 1, 1, false},
	{"year", F_YEAR, 1, 1, false}, {"month", F_MONTH, 1, 1, false},
	{"day", F_DAY, 1, 1, false}, {"days_in_month", F_DAYS_IN_MONTH, 1, 1, false},
	{"abs", F_ABS, 1, 1, false}, {"round", F_ROUND, 2, 2, false},
	{"min", F_MIN, 2, 16, false}, {"max", F_MAX, 2, 16, false},
	{"matches", F_MATCHES, 2, 2, false}, {"lookup", F_LOOKUP, 3, 3, false},
	{"target", F_TARGET, 1, 2, false}, {"baseline", F_BASELINE, 1, 2, false},
	{"progress", F_PROGRESS, 2, 3, false}, {"schedule", F_SCHEDULE, 1, 1, false},
	{"binding", F_BINDING, 1, 1, false}, {"aqi", F_AQI, 2, 2, false},
	{"water_class", F_WATER_CLASS, 2, 3, false}, {"date", F_DATE, 1, 1, false},
	{"number", F_NUMBER, 1, 1, false}, {"class", F_CLASS, 1, 1, false},
	{"substr", F_SUBSTR, 3, 3, false}, {"max_of", F_MAX_OF, 1, 32, false},
	{"min_of", F_MIN_OF, 1, 32, false}, {"coalesce", F_COALESCE, 1, 32, false},
	{"aqi_day", F_AQI_DAY, 7, 7, false}, {"aqi_top", F_AQI_TOP, 7, 7, false},
	{"aqi_over", F_AQI_OVER, 7, 7, false}, {"aqi_level", F_AQI_LEVEL, 1, 1, false},
	{"aqi_category", F_AQI_CATEGORY, 1, 1, false}, {"aqi_grade", F_AQI_GRADE, 1, 1, false},
	{"same_pollutants", F_SAME_POLLUTANTS, 2, 2, false},
	{"water_class_name", F_WATER_CLASS_NAME, 1, 1, false},
	{"name_of_max", F_NAME_OF_MAX, 2, MAX_ARGS, false}, {"in_file", F_IN_FILE, 1, 1, false},
	{"prev", F_PREV, 1, 1, false}, {"lag", F_LAG, 2, 2, false},
	{"longest_run", F_LONGEST_RUN, 1, 1, true}, {"as_of", F_AS_OF, 0, 0, false},
	{"due", F_DUE, 2, 3, false}, {"on_track", F_ON_TRACK, 3, 4, false},
	{"median", F_MEDIAN, 1, 1, true}, {"mad", F_MAD, 1, 1, true},
	{"count_distinct", F_COUNT_DISTINCT, 1, EXPR_DISTINCT_MAX, true},
	{"longest_run_from", F_LONGEST_RUN_FROM, 1, 1, true},
	{"longest_equal_run", F_LONGEST_EQUAL_RUN, 1, 1, true},
	{"longest_equal_run_from", F_LONGEST_EQUAL_RUN_FROM, 1, 1, true},
	{"longest_equal_run_value", F_LONGEST_EQUAL_RUN_VALUE, 1, 1, true},
	{"robust_z", F_ROBUST_Z, 1, 1, false}, {"deviates", F_DEVIATES, 2, 2, false},
	{"equal", F_EQUAL, 2, 2, false},
	{"ceil", F_CEIL, 1, 1, false}, {"floor", F_FLOOR, 1, 1, false},
	{"count", F_COUNT, 0, 0, true}, {"count_if", F_COUNT_IF, 1, 1, true},
	{"sum", F_SUM, 1, 1, true}, {"mean", F_MEAN, 1, 1, true},
	{"min", F_AGG_MIN, 1, 1, true}, {"max", F_AGG_MAX, 1, 1, true},
	{"ratio", F_RATIO, 1, 1, true}, {"percentile", F_PERCENTILE, 2, 2, true},
	{"max_change", F_MAX_CHANGE, 2, 2, true},
};


const char *vtype_name(enum vtype t)
{
	static const char *const names[] = {"null", "number", "string", "date", "boolean", "any"};
	return names[t];
}

/* ---- lexing ---- */

/* The text a node was parsed from: the expression's own, or a let's. */
static const char *text_of(const struct expr *e, int let)
{
	return let < 0 ? e->src : e->lets[let].src;
}

/*
 * Records the first error at a byte offset of a text (the expression's own or
 * a let's); the position is counted in characters of that text, and an error
 * inside a let says which.
 */
static void verr(struct parser *P, int let, size_t at, const char *fmt, va_list ap)
{
	if (P->failed)
		return;
	P->failed = true;
	int used = 0;
	if (let >= 0)
		used = snprintf(P->err, P->errlen, "in let '%s': ", P->e->lets[let].name);
	if (used >= 0 && (size_t)used < P->errlen)
		vsnprintf(P->err + used, P->errlen - (size_t)used, fmt, ap);
	P->err_pos = (int)utf8_count((const unsigned char *)text_of(P->e, let), at) + 1;
}

/* Records the first error, at a byte offset of the text being parsed. */
static void perr(struct parser *P, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct parser *P, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(P, P->let, at, fmt, ap);
	va_end(ap);
}

/* Records the first error, at a node (which may come from a let). */
void perr_node(struct parser *P, const struct node *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(P, x->let, (size_t)x->pos, fmt, ap);
	va_end(ap);
}

static bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* Reads a string literal with \" \\ \n \t escapes. */
static void lex_string(struct parser *P)
{
	buf_reset(&P->tok_str);
	P->i++;
	for (;;) {
		char c = P->s[P->i];
		if (!c) {
			perr(P, P->tok_pos, "unterminated string");
			P->tok = T_BAD;
			return;
		}
		P->i++;
		if (c == '"')
			break;
		if (c == '\\') {
			char n = P->s[P->i];
			if (!n) {
				perr(P, P->tok_pos, "unterminated string");
				P->tok = T_BAD;
				return;
			}
			P->i++;
			c = n == 'n' ? '\n' : n == 't' ? '\t' : n;
		}
		buf_addc(&P->tok_str, c);
	}
	P->tok = T_STR;
}

static void next(struct parser *P)
{
	static const struct { const char *text; enum tok tok; } ops[] = {
		{"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE}, {"&&", T_AND}, {"||", T_OR},
		{"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACK}, {"]", T_RBRACK}, {",", T_COMMA},
		{"?", T_QUEST}, {":", T_COLON}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR},
		{"/", T_SLASH}, {"!", T_NOT}, {"<", T_LT}, {">", T_GT},
	};
	while (P->s[P->i] == ' ' || P->s[P->i] == '\t' || P->s[P->i] == '\n' || P->s[P->i] == '\r')
		P->i++;
	P->tok_pos = P->i;
	char c = P->s[P->i];
	if (!c) {
		P->tok = T_END;
		return;
	}
	if ((c >= '0' && c <= '9') || (c == '.' && P->s[P->i + 1] >= '0' && P->s[P->i + 1] <= '9')) {
		size_t j = P->i;
		while ((P->s[j] >= '0' && P->s[j] <= '9') || P->s[j] == '.')
			j++;
		if (P->s[j] == 'e' || P->s[j] == 'E') {
			size_t k = j + 1 + (P->s[j + 1] == '+' || P->s[j + 1] == '-');
			if (P->s[k] >= '0' && P->s[k] <= '9') {
				j = k;
				while (P->s[j] >= '0' && P->s[j] <= '9')
					j++;
			}
		}
		if (!parse_number(P->s + P->i, j - P->i, &P->tok_num)) {
			perr(P, P->i, "bad number '%.*s'", (int)(j - P->i), P->s + P->i);
			P->tok = T_BAD;
			return;
		}
		P->tok_len = j - P->i;
		P->i = j;
		P->tok = T_NUM;
		return;
	}
	if (c == '"') {
		lex_string(P);
		return;
	}
	if (is_ident_start(c)) {
		size_t j = P->i;
		/* a dot inside a name joins its parts: qy-reconcile's sides are ind.value, air.pm25 */
		while (is_ident_char(P->s[j]) || (P->s[j] == '.' && is_ident_start(P->s[j + 1])))
			j++;
		P->tok_len = j - P->i;
		P->i = j;
		P->tok = T_IDENT;
		const char *w = P->s + P->tok_pos;
		if (P->tok_len == 2 && !memcmp(w, "in", 2))
			P->tok = T_IN;
		else if (P->tok_len == 4 && !memcmp(w, "true", 4))
			P->tok = T_TRUE;
		else if (P->tok_len == 5 && !memcmp(w, "false", 5))
			P->tok = T_FALSE;
		else if (P->tok_len == 4 && !memcmp(w, "null", 4))
			P->tok = T_NULL;
		return;
	}
	for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
		size_t n = strlen(ops[k].text);
		if (!strncmp(P->s + P->i, ops[k].text, n)) {
			P->i += n;
			P->tok = ops[k].tok;
			return;
		}
	}
	uint32_t cp;
	size_t len = utf8_decode((const unsigned char *)P->s + P->i, strlen(P->s + P->i), &cp);
	perr(P, P->i, "unexpected character '%.*s'", (int)(len ? len : 1), P->s + P->i);
	P->tok = T_BAD;
}

/* ---- building nodes ---- */

static int new_node(struct parser *P, enum op op, enum vtype type, size_t pos)
{
	struct expr *e = P->e;
	if (e->nnodes == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->nodes = xrealloc(e->nodes, (size_t)e->cap * sizeof *e->nodes);
	}
	struct node *n = &e->nodes[e->nnodes];
	memset(n, 0, sizeof *n);
	n->op = op;
	n->type = type;
	n->pos = (int)pos;
	n->let = P->let;
	n->a = n->b = n->c = -1;
	n->depth = 1;
	n->memo = -1;
	n->fixed = -1;
	return e->nnodes++;
}

/*
 * Sets a node's depth from its children's once they are linked, and refuses a
 * tree deeper than MAX_DEPTH: evaluation and the passes after parsing recurse
 * along every path, so a chain such as a + a + … + a, which the parser builds
 * without recursing, counts one level an operator.  Returns n.
 */
static int linked(struct parser *P, int n)
{
	struct node *x = N(P, n);
	int d = 0;
	const int kids[3] = {x->a, x->b, x->c};
	for (int k = 0; k < 3; k++)
		if (kids[k] >= 0 && N(P, kids[k])->depth > d)
			d = N(P, kids[k])->depth;
	for (int k = 0; k < x->nargs; k++)
		if (N(P, P->e->argv[x->args + k])->depth > d)
			d = N(P, P->e->argv[x->args + k])->depth;
	x->depth = d + 1;
	if (x->depth > MAX_DEPTH)
		perr_node(P, x, "expression nested more than %d levels deep (in a chain such as a + b + c, each operator is a level)",
		     MAX_DEPTH);
	return n;
}

/* Appends argument node indexes to the expression's list; returns where they start. */
int add_args(struct expr *e, const int *items, int n)
{
	int start = e->nargv;
	if (n == 0)
		return start;
	if (e->nargv + n > e->capargv) {
		e->capargv = (e->capargv + n) * 2;
		e->argv = xrealloc(e->argv, (size_t)e->capargv * sizeof *e->argv);
	}
	memcpy(e->argv + e->nargv, items, (size_t)n * sizeof *items);
	e->nargv += n;
	return start;
}

/* Keeps a copy of a string literal for the expression's lifetime. */
static const char *keep(struct parser *P, const char *s, size_t n)
{
	struct expr *e = P->e;
	e->owned = xrealloc(e->owned, (e->nowned + 1) * sizeof *e->owned);
	return e->owned[e->nowned++] = xstrndup(s, n);
}

static int parse_expr(struct parser *P, int min_bp);

/* Binding powers of the binary operators: left, right (0: not binary). */
static void binding_power(enum tok t, int *lbp, int *rbp)
{
	*lbp = *rbp = 0;
	switch (t) {
	case T_QUEST: *lbp = 2, *rbp = 1; break;
	case T_OR: *lbp = 3, *rbp = 4; break;
	case T_AND: *lbp = 5, *rbp = 6; break;
	case T_EQ: case T_NE: case T_LT: case T_LE: case T_GT: case T_GE: case T_IN:
		*lbp = 7, *rbp = 8; break;
	case T_PLUS: case T_MINUS: *lbp = 9, *rbp = 10; break;
	case T_STAR: case T_SLASH: *lbp = 11, *rbp = 12; break;
	default: break;
	}
}

static const struct fninfo *find_function(const char *name, size_t len, int nargs, bool aggregate)
{
	const struct fninfo *any = NULL;
	for (size_t i = 0; i < sizeof functions / sizeof *functions; i++) {
		const struct fninfo *f = &functions[i];
		if (strlen(f->name) != len || memcmp(f->name, name, len) != 0)
			continue;
		if ((f->id == F_MIN || f->id == F_MAX) && aggregate && nargs == 1)
			continue; /* one argument in an aggregate: the aggregate min/max */
		if ((f->id == F_AGG_MIN || f->id == F_AGG_MAX) && (!aggregate || nargs != 1))
			continue;
		if (!any)
			any = f;
	}
	return any;
}

/* Parses name(args…) after the name. */
static int parse_call(struct parser *P, size_t pos, const char *name, size_t len)
{
	int call = new_node(P, OP_CALL, V_ANY, pos);
	int args[MAX_ARGS], nargs = 0;
	next(P);
	if (P->tok != T_RPAREN) {
		for (;;) {
			if (nargs == MAX_ARGS) {
				perr(P, P->tok_pos, "too many arguments");
				return call;
			}
			args[nargs++] = parse_expr(P, 0);
			if (P->failed)
				return call;
			if (P->tok == T_COMMA) {
				next(P);
				continue;
			}
			break;
		}
	}
	if (P->tok != T_RPAREN) {
		perr(P, P->tok_pos, "expected ')' to close the call of %.*s()", (int)len, name);
		return call;
	}
	next(P);
	N(P, call)->args = add_args(P->e, args, nargs);
	N(P, call)->nargs = nargs;
	linked(P, call);
	const struct fninfo *f = find_function(name, len, nargs, P->scope->aggregate);
	if (!f) {
		bool known = false;
		for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
			known = known || (strlen(functions[i].name) == len && !memcmp(functions[i].name, name, len));
		if (known && !P->scope->aggregate)
			perr(P, pos, "aggregate function %.*s() is only allowed in aggregates", (int)len, name);
		else if (known)
			perr(P, pos, "wrong number of arguments to %.*s()", (int)len, name);
		else
			perr(P, pos, "unknown function '%.*s'", (int)len, name);
		return call;
	}
	if (nargs < f->min_args || nargs > f->max_args) {
		perr(P, pos, "%s() takes %d%s argument%s, not %d", f->name, f->min_args,
		     f->max_args > f->min_args ? " or more" : "", f->max_args == 1 ? "" : "s", nargs);
		return call;
	}
	if (f->aggregate && !P->scope->aggregate) {
		perr(P, pos, "aggregate function %s() is only allowed in aggregates", f->name);
		return call;
	}
	for (int k = 0; f->aggregate && k < nargs; k++)
		if (contains_aggregate(P->e, args[k])) {
			perr(P, pos, "aggregate function %s() around another aggregate", f->name);
			return call;
		}
	N(P, call)->index = (int)f->id;
	enum vtype t = f->aggregate ? make_aggregate(P, call, f) : check_call(P, call, f);
	N(P, call)->type = t;
	return call;
}

/*
 * Parses a let's text in place of its name, as if it were written there in
 * parentheses, then goes on with the text after the name.  A let that uses
 * itself, directly or through others, is an error.
 */
static int expand_let(struct parser *P, int let, size_t pos)
{
	for (int up = P->let; up >= 0; up = P->let_parent[up])
		if (up == let) {
			perr(P, pos, "let '%s' uses itself", P->e->lets[let].name);
			return new_node(P, OP_LIT, V_NULL, pos);
		}
	const char *s = P->s;
	size_t resume = P->tok_pos;
	int outer = P->let;
	P->let_parent[let] = outer;
	P->s = P->e->lets[let].src;
	P->i = 0;
	P->let = let;
	next(P);
	int n = parse_expr(P, 0);
	if (P->tok != T_END)
		perr(P, P->tok_pos, "unexpected '%.*s' after the expression",
		     (int)(P->i > P->tok_pos ? P->i - P->tok_pos : 1), P->s + P->tok_pos);
	P->s = s;
	P->i = resume;
	P->let = outer;
	if (!P->failed)
		next(P);
	N(P, n)->memo = let; /* kept if remember_lets finds it worth remembering */
	return n;
}

/* The index and value type of a column of the scope (the rule set's, or a view's), or -1. */
static int find_column(const struct expr_scope *scope, const char *name, enum vtype *type)
{
	if (scope->columns) {
		for (size_t i = 0; i < scope->columns->n; i++)
			if (strcmp(scope->columns->names[i], name) == 0) {
				*type = scope->columns->types[i];
				return (int)i;
			}
		return -1;
	}
	int col = ruleset_column(scope->rs, name);
	if (col >= 0) {
		enum coltype ct = scope->rs->cols[col].type;
		*type = ct == TYPE_DATE || ct == TYPE_MONTH ? V_DATE
			: ct == TYPE_BOOLEAN ? V_BOOL
			: coltype_is_numeric(ct) || ct == TYPE_WATER_CLASS ? V_NUM : V_STR;
	}
	return col;
}

/* Parses a literal, a name, a call, a parenthesised expression or a unary operator. */
static int parse_prefix(struct parser *P)
{
	size_t pos = P->tok_pos;
	int n;
	switch (P->tok) {
	case T_NUM:
		n = new_node(P, OP_LIT, V_NUM, pos);
		N(P, n)->lit = (struct value){.type = V_NUM, .num = P->tok_num};
		next(P);
		return n;
	case T_STR: {
		n = new_node(P, OP_LIT, V_STR, pos);
		const char *s = keep(P, P->tok_str.data ? P->tok_str.data : "", P->tok_str.len);
		N(P, n)->lit = (struct value){.type = V_STR, .str = s, .len = P->tok_str.len};
		next(P);
		return n;
	}
	case T_TRUE: case T_FALSE:
		n = new_node(P, OP_LIT, V_BOOL, pos);
		N(P, n)->lit = (struct value){.type = V_BOOL, .num = P->tok == T_TRUE};
		next(P);
		return n;
	case T_NULL:
		n = new_node(P, OP_LIT, V_NULL, pos);
		next(P);
		return n;
	case T_IDENT: {
		const char *name = P->s + pos;
		size_t len = P->tok_len;
		next(P);
		if (P->tok == T_LPAREN)
			return parse_call(P, pos, name, len);
		char tmp[128];
		snprintf(tmp, sizeof tmp, "%.*s", (int)(len < 127 ? len : 127), name);
		int let = rules_let_index(P->scope->rs, tmp);
		if (let >= 0)
			return expand_let(P, let, pos);
		enum vtype type;
		int col = find_column(P->scope, tmp, &type);
		if (col < 0) {
			perr(P, pos, "unknown column '%s'", tmp);
			return new_node(P, OP_LIT, V_NULL, pos);
		}
		n = new_node(P, OP_COL, type, pos);
		N(P, n)->index = col;
		return n;
	}
	case T_LPAREN:
		next(P);
		n = parse_expr(P, 0);
		if (P->tok != T_RPAREN)
			perr(P, P->tok_pos, "expected ')'");
		next(P);
		return n;
	case T_NOT: case T_MINUS: {
		bool neg = P->tok == T_MINUS;
		next(P);
		int a = parse_expr(P, 13);
		enum vtype at = N(P, a)->type;
		if (!fits(at, neg ? V_NUM : V_BOOL))
			perr(P, pos, "'%c' needs a %s, not a %s", neg ? '-' : '!', neg ? "number" : "boolean", vtype_name(at));
		n = new_node(P, neg ? OP_NEG : OP_NOT, neg ? V_NUM : V_BOOL, pos);
		N(P, n)->a = a;
		return linked(P, n);
	}
	case T_END:
		perr(P, pos, "expression ends too early");
		return new_node(P, OP_LIT, V_NULL, pos);
	default:
		perr(P, pos, "unexpected '%.*s'", (int)(P->i - pos ? P->i - pos : 1), P->s + pos);
		return new_node(P, OP_LIT, V_NULL, pos);
	}
}

/* Type of a binary operation, reporting a mismatch that is certain. */
static enum vtype binary_type(struct parser *P, enum tok t, int a, int b, size_t pos)
{
	enum vtype x = N(P, a)->type, y = N(P, b)->type;
	switch (t) {
	case T_AND: case T_OR:
		if (!fits(x, V_BOOL) || !fits(y, V_BOOL))
			perr(P, pos, "'%s' needs booleans, not a %s and a %s", t == T_AND ? "&&" : "||",
			     vtype_name(x), vtype_name(y));
		return V_BOOL;
	case T_PLUS: case T_MINUS:
		if (x == V_DATE && (y == V_NUM || y == V_ANY || y == V_NULL))
			return V_DATE;
		if (t == T_MINUS && x == V_DATE && y == V_DATE)
			return V_NUM;
		/* fall through */
	case T_STAR: case T_SLASH:
		if (!fits(x, V_NUM) || !fits(y, V_NUM))
			perr(P, pos, "arithmetic needs numbers, not a %s and a %s", vtype_name(x), vtype_name(y));
		return x == V_ANY || y == V_ANY ? V_ANY : V_NUM;
	default: /* comparisons */
		if (x != V_NULL && y != V_NULL && x != V_ANY && y != V_ANY && x != y)
			perr(P, pos, "cannot compare a %s with a %s", vtype_name(x), vtype_name(y));
		if ((t != T_EQ && t != T_NE) && (x == V_BOOL || y == V_BOOL))
			perr(P, pos, "booleans can only be compared with == and !=");
		return V_BOOL;
	}
}

/* Parses "x in [a, b, …]" after the 'in'. */
static int parse_in(struct parser *P, int lhs, size_t pos)
{
	int n = new_node(P, OP_IN, V_BOOL, pos);
	N(P, n)->a = lhs;
	if (P->tok != T_LBRACK) {
		perr(P, P->tok_pos, "expected '[' after 'in'");
		return n;
	}
	next(P);
	int items[256], count = 0;
	while (P->tok != T_RBRACK && !P->failed) {
		if (count == 256) {
			perr(P, P->tok_pos, "more than 256 items in a list");
			return n;
		}
		items[count] = parse_expr(P, 0);
		if (!fits(N(P, items[count])->type, N(P, lhs)->type) && N(P, lhs)->type != V_NULL)
			perr_node(P, N(P, items[count]), "list item is a %s, the value a %s",
			     vtype_name(N(P, items[count])->type), vtype_name(N(P, lhs)->type));
		count++;
		if (P->tok == T_COMMA)
			next(P);
		else if (P->tok != T_RBRACK)
			perr(P, P->tok_pos, "expected ',' or ']' in the list");
	}
	next(P);
	N(P, n)->args = add_args(P->e, items, count);
	N(P, n)->nargs = count;
	return linked(P, n);
}

static enum op binary_op(enum tok t)
{
	switch (t) {
	case T_PLUS: return OP_ADD;
	case T_MINUS: return OP_SUB;
	case T_STAR: return OP_MUL;
	case T_SLASH: return OP_DIV;
	case T_EQ: return OP_EQ;
	case T_NE: return OP_NE;
	case T_LT: return OP_LT;
	case T_LE: return OP_LE;
	case T_GT: return OP_GT;
	case T_GE: return OP_GE;
	case T_AND: return OP_AND;
	default: return OP_OR;
	}
}

static bool is_null_literal(struct parser *P, int n)
{
	return N(P, n)->op == OP_LIT && N(P, n)->lit.type == V_NULL;
}

/* "x == null" and "x != null" are null tests (as in design.md's examples), not SQL comparisons. */
static int null_test(struct parser *P, int operand, bool negate, size_t pos)
{
	int call = new_node(P, OP_CALL, V_BOOL, pos);
	N(P, call)->index = F_IS_NULL;
	N(P, call)->args = add_args(P->e, &operand, 1);
	N(P, call)->nargs = 1;
	if (!negate)
		return linked(P, call);
	int n = new_node(P, OP_NOT, V_BOOL, pos);
	N(P, n)->a = linked(P, call);
	return linked(P, n);
}

/* Precedence climbing: parses operators that bind at least min_bp. */
static int parse_expr(struct parser *P, int min_bp)
{
	if (++P->depth > MAX_DEPTH) {
		perr(P, P->tok_pos, "expression nested more than %d levels deep", MAX_DEPTH);
		P->depth--;
		return new_node(P, OP_LIT, V_NULL, P->tok_pos);
	}
	int lhs = parse_prefix(P);
	bool compared = false;
	while (!P->failed) {
		int lbp, rbp;
		enum tok t = P->tok;
		binding_power(t, &lbp, &rbp);
		if (!lbp || lbp < min_bp)
			break;
		size_t pos = P->tok_pos;
		bool is_comparison = lbp == 7;
		if (is_comparison && compared) {
			perr(P, pos, "comparisons do not chain; use &&");
			break;
		}
		compared = compared || is_comparison;
		next(P);
		if (t == T_IN) {
			lhs = parse_in(P, lhs, pos);
			continue;
		}
		if (t == T_QUEST) {
			int a = parse_expr(P, 0);
			if (P->tok != T_COLON) {
				perr(P, P->tok_pos, "expected ':' in '?:'");
				break;
			}
			next(P);
			int b = parse_expr(P, rbp);
			if (!fits(N(P, lhs)->type, V_BOOL))
				perr(P, pos, "the condition of '?:' must be a boolean, not a %s", vtype_name(N(P, lhs)->type));
			enum vtype ta = N(P, a)->type, tb = N(P, b)->type;
			if (ta != tb && ta != V_NULL && tb != V_NULL && ta != V_ANY && tb != V_ANY)
				perr(P, pos, "the branches of '?:' are a %s and a %s", vtype_name(ta), vtype_name(tb));
			int n = new_node(P, OP_COND, ta == V_NULL ? tb : tb == V_NULL ? ta : ta == tb ? ta : V_ANY, pos);
			N(P, n)->a = a;
			N(P, n)->b = b;
			N(P, n)->c = lhs;
			lhs = linked(P, n);
			continue;
		}
		int rhs = parse_expr(P, rbp);
		if ((t == T_EQ || t == T_NE) && (is_null_literal(P, lhs) || is_null_literal(P, rhs))) {
			lhs = null_test(P, is_null_literal(P, lhs) ? rhs : lhs, t == T_NE, pos);
			continue;
		}
		enum vtype type = binary_type(P, t, lhs, rhs, pos);
		int n = new_node(P, binary_op(t), type, pos);
		N(P, n)->a = lhs;
		N(P, n)->b = rhs;
		lhs = linked(P, n);
	}
	P->depth--;
	return lhs;
}

/* ---- passes after parsing ---- */

static void canonical(const struct expr *e, int n, struct buf *out);

/* Appends the name a column, key or call node was written with. */
static void write_name(const struct expr *e, const struct node *x, struct buf *out)
{
	const char *text = text_of(e, x->let) + x->pos;
	size_t len = 0;
	while (is_ident_char(text[len]))
		len++;
	buf_add(out, text, len);
}

/* Appends a node's arguments in canonical text, separated by ", ". */
static void write_args(const struct expr *e, const struct node *x, struct buf *out)
{
	for (int k = 0; k < x->nargs; k++) {
		if (k)
			buf_adds(out, ", ");
		canonical(e, e->argv[x->args + k], out);
	}
}

/* Appends the canonical text of a subtree: one spacing, full parentheses. */
static void canonical(const struct expr *e, int n, struct buf *out)
{
	static const char *const ops[] = {
		[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_EQ] = "==",
		[OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
		[OP_AND] = "&&", [OP_OR] = "||",
	};
	const struct node *x = &e->nodes[n];
	switch (x->op) {
	case OP_LIT:
		if (x->lit.type == V_STR) {
			buf_addc(out, '"');
			buf_add(out, x->lit.str, x->lit.len);
			buf_addc(out, '"');
		} else {
			value_format(&x->lit, out);
		}
		break;
	case OP_COL: case OP_KEY:
		write_name(e, x, out);
		break;
	case OP_CALL: case OP_AGG:
		write_name(e, x, out);
		buf_addc(out, '(');
		write_args(e, x, out);
		buf_addc(out, ')');
		break;
	case OP_NEG: case OP_NOT:
		buf_addc(out, x->op == OP_NEG ? '-' : '!');
		canonical(e, x->a, out);
		break;
	case OP_COND:
		buf_addc(out, '(');
		canonical(e, x->c, out);
		buf_adds(out, " ? ");
		canonical(e, x->a, out);
		buf_adds(out, " : ");
		canonical(e, x->b, out);
		buf_addc(out, ')');
		break;
	case OP_IN:
		buf_addc(out, '(');
		canonical(e, x->a, out);
		buf_adds(out, " in [");
		write_args(e, x, out);
		buf_adds(out, "])");
		break;
	default:
		buf_addc(out, '(');
		canonical(e, x->a, out);
		buf_addf(out, " %s ", ops[x->op]);
		canonical(e, x->b, out);
		buf_addc(out, ')');
	}
}

/*
 * In an aggregate, replaces every subtree outside aggregate calls that equals
 * a group key by a reference to that key; a column left over is an error.
 */
static void bind_group_keys(struct parser *P, int n)
{
	struct expr *e = P->e;
	struct node *x = &e->nodes[n];
	if (x->op == OP_AGG || x->op == OP_LIT || P->failed)
		return;
	struct buf text = {0}, key = {0};
	canonical(e, n, &text);
	for (size_t g = 0; g < P->scope->ngroup; g++) {
		const struct expr *ge = P->scope->group[g];
		buf_reset(&key);
		canonical(ge, ge->root, &key);
		if (key.len == text.len && memcmp(key.data, text.data, key.len) == 0) {
			x->op = OP_KEY;
			x->index = (int)g;
			x->type = ge->type;
			buf_free(&text), buf_free(&key);
			return;
		}
	}
	buf_free(&text), buf_free(&key);
	if (x->op == OP_COL) {
		perr_node(P, x, "column '%s' is used outside an aggregate function but is not a group key",
			  P->scope->columns ? P->scope->columns->names[x->index] : P->scope->rs->cols[x->index].name);
		return;
	}
	for (int k = 0; k < x->nargs; k++)
		bind_group_keys(P, e->argv[x->args + k]);
	if (x->a >= 0)
		bind_group_keys(P, x->a);
	if (x->b >= 0)
		bind_group_keys(P, x->b);
	if (x->c >= 0)
		bind_group_keys(P, x->c);
}

/* Collects the columns a subtree reads, in source order, once each. */
static void collect_columns(struct expr *e, int n)
{
	if (n < 0)
		return;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_COND)
		collect_columns(e, x->c);
	collect_columns(e, x->a);
	collect_columns(e, x->b);
	for (int k = 0; k < x->nargs; k++)
		collect_columns(e, e->argv[x->args + k]);
	if (x->op != OP_COL)
		return;
	for (size_t i = 0; i < e->ncols; i++)
		if (e->cols[i] == (size_t)x->index)
			return;
	e->cols = xrealloc(e->cols, (e->ncols + 1) * sizeof *e->cols);
	e->cols[e->ncols++] = (size_t)x->index;
}

/* Names a group key: a column, the function of one column, or the canonical text. */
static char *key_name(const struct expr *e)
{
	const struct node *x = &e->nodes[e->root];
	struct buf b = {0};
	if (x->op == OP_CALL && x->nargs == 1 && e->nodes[e->argv[x->args]].op == OP_COL)
		write_name(e, x, &b);
	else
		canonical(e, e->root, &b);
	return b.data ? b.data : xstrdup("");
}

struct expr *expr_compile(const char *src, struct expr_scope *scope, char *err, size_t errlen,
			  int *pos)
{
	struct expr *e = xcalloc(1, sizeof *e);
	e->src = xstrdup(src);
	e->lets = scope->rs->lets;
	struct parser P = {.e = e, .scope = scope, .s = e->src, .let = -1, .err = err, .errlen = errlen};
	P.let_parent = xcalloc(scope->rs->nlets + 1, sizeof *P.let_parent);
	size_t slots_before = scope->nslots;
	next(&P);
	e->root = parse_expr(&P, 0);
	if (!P.failed && P.tok != T_END)
		perr(&P, P.tok_pos, "unexpected '%.*s' after the expression",
		     (int)(P.i > P.tok_pos ? P.i - P.tok_pos : 1), P.s + P.tok_pos);
	if (!P.failed && scope->aggregate && scope->group)
		bind_group_keys(&P, e->root);
	buf_free(&P.tok_str);
	free(P.let_parent);
	if (P.failed) {
		*pos = P.err_pos;
		scope->nslots = slots_before;
		expr_free(e);
		return NULL;
	}
	e->arg_cols = xmalloc((size_t)(e->nargv + 1) * sizeof *e->arg_cols);
	for (int k = 0; k < e->nargv; k++)
		e->arg_cols[k] = e->nodes[e->argv[k]].op == OP_COL ? e->nodes[e->argv[k]].index : -1;
	for (int i = 0; i < e->nnodes; i++)
		e->nodes[i].fn = expr_evaluator_of(e, &e->nodes[i]);
	e->columns = scope->columns;
	remember_lets(e);
	if (scope->per_row)
		fix_group_values(e, e->root, scope);
	join_cell_tests(e);
	remember_by_texts(e, scope);
	pick_slot_reads(scope, slots_before);
	e->type = e->nodes[e->root].type;
	collect_columns(e, e->root);
	e->key_name = key_name(e);
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_forget();
	for (int i = 0; i < e->nnodes; i++) {
		pcre2_match_data_free(e->nodes[i].md);
		pcre2_code_free(e->nodes[i].re);
	}
	for (size_t i = 0; i < e->nowned; i++)
		free(e->owned[i]);
	free(e->owned);
	free(e->nodes);
	free(e->argv);
	free(e->arg_cols);
	free(e->cols);
	free(e->memo_cols);
	free(e->key_name);
	free(e->src);
	free(e);
}

enum vtype expr_type(const struct expr *e) { return e->type; }
const char *expr_source(const struct expr *e) { return e->src; }
const char *expr_key_name(const struct expr *e) { return e->key_name; }

size_t expr_columns(const struct expr *e, const size_t **cols)
{
	*cols = e->cols;
	return e->ncols;
}

/* ---- evaluation ---- */
