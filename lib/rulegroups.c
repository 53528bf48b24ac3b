/*
 * rulegroups.c — the group tables of a run of the written rules: the groups
 * of aggregates, views, exports and row rules judged in order, their keys,
 * the look-up of a row's group, and the memory they take.
 *
 * Aggregates and views keep one set of accumulators per group, found through
 * a hash of the group's key values, which are kept in 8 bytes each (a
 * number's bits, or a string kept once per table), so that a view with a
 * group a row stays small; tables that group the same rows by keys written
 * alike work the keys out once a row for them all (shared_keys), and those
 * never watched find a group they have by the first one's (follow_leaders).
 * A table keyed by columns and their years and months finds a row whose
 * cells are its last group's keys from the cells alone (in_last_group), and
 * one kept whole, a row in the group made after that, as rows that come back
 * in the order they first came are (step_to_next_group).
 *
 * A sorted file need not be held: a view of the file's rows, and a row rule
 * judged in order, watch whether their groups come one after another in some
 * order of their keys (station, then day, say).  If the first WATCH_ROWS rows
 * keep to one, each group is ended as the next begins (end_groups): a view's
 * row goes on to what reads from it, a rule's rows are judged and their
 * findings kept for the end, so memory holds one group, not the file (a
 * view's next group, of the same texts, takes the place of the one it ends
 * without a look-up: next_streamed_group).  A
 * group that comes back after it was ended means the file is not in that
 * order after all: the rules' groups are then made again from a second
 * reading of the file (rules_must_reread), which keeps every group as an
 * unsorted file's are.  Either way the findings, and their order, are the same.
 *
 * A daily report lists every station's day, then the next day: a rule's
 * groups by station and month then come back day after day, in no order,
 * but their months never fall.  A table that keeps rows watches for such a
 * prefix of its keys too (one key or two), and if its first WATCH_ROWS rows
 * keep to one, it is batched: it keeps its groups, and ends them all when
 * the prefix rises (a new month), so memory holds a month of rows, not the
 * file.  A prefix that falls later asks for the second reading as well.
 */
#include "rulestate.h"
#include "celltype.h"

#include <stdlib.h>
#include <string.h>

/* A table that groups rows, for share_keys: its keys and the rows it reads. */
struct keyed_table {
	struct group_table *table;
	struct expr *const *group;
	size_t ngroup;
	int from;
};

/* True if two tables group the same rows by keys written alike. */
static bool same_keys(const struct keyed_table *a, const struct keyed_table *b)
{
	if (a->from != b->from || a->ngroup != b->ngroup)
		return false;
	for (size_t k = 0; k < a->ngroup; k++)
		if (strcmp(expr_source(a->group[k]), expr_source(b->group[k])) != 0)
			return false;
	return true;
}

/*
 * True if aggregate b, next after a, may share a's group table: both judged
 * in order on the file's rows, sharing a list of rows (list_sharers: grouped
 * and ordered alike), with whens written alike or none.
 */
static bool may_join(const struct rules_state *st, size_t a, size_t b)
{
	const struct written_rule *x = &st->rs->aggregates[a], *y = &st->rs->aggregates[b];
	if (!x->order || x->from >= 0 || st->ordered_list[a] != st->ordered_list[b])
		return false;
	if (!x->when || !y->when)
		return !x->when && !y->when;
	return strcmp(expr_source(x->when), expr_source(y->when)) == 0;
}

/*
 * Makes one group table (joined_table) for each run of aggregates next to
 * one another that may share it (may_join), with their slots laid end to
 * end as one table's (join_slots); none where a slot would lie too far for
 * agg_update to give its argument on.
 */
void join_tables(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	st->join_of = xcalloc(rs->naggregates + 1, sizeof *st->join_of);
	st->joins = xcalloc(rs->naggregates + 1, sizeof *st->joins);
	for (size_t a = 0; a < rs->naggregates; a++)
		st->join_of[a] = SIZE_MAX;
	const struct written_rule **rules = xcalloc(rs->naggregates + 1, sizeof *rules);
	for (size_t a = 0, n; a < rs->naggregates; a += n) {
		size_t nslots = rs->aggregates[a].nslots;
		rules[0] = &rs->aggregates[a];
		for (n = 1; a + n < rs->naggregates && may_join(st, a, a + n); n++) {
			rules[n] = &rs->aggregates[a + n];
			nslots += rules[n]->nslots;
		}
		if (n < 2)
			continue;
		struct joined_table *j = &st->joins[st->njoins];
		j->slots = xcalloc(nslots + 1, sizeof *j->slots);
		j->nslots = join_slots(j->slots, rules, n, NULL, NULL);
		if (j->nslots == SIZE_MAX) {
			free(j->slots);
			*j = (struct joined_table){0};
			continue;
		}
		j->block = agg_block_size(j->slots, j->nslots);
		j->first = a, j->n = n, j->live = n;
		for (size_t k = 0; k < n; k++)
			st->join_of[a + k] = st->njoins;
		st->njoins++;
	}
	free(rules);
}

/* Frees the joined tables. */
void free_joins(struct rules_state *st)
{
	for (size_t k = 0; k < st->njoins; k++) {
		free_group_table(st, &st->joins[k].table, st->joins[k].slots, st->joins[k].nslots);
		free(st->joins[k].slots);
	}
	free(st->joins);
	free(st->join_of);
}

/* True if aggregate a's groups are in a joined table that an aggregate before it looks them up in. */
static bool joined_after_first(const struct rules_state *st, size_t a)
{
	return st->join_of[a] != SIZE_MAX && st->joins[st->join_of[a]].first != a;
}

/*
 * Notes of the n tables t which feed_grouping may feed a row at once
 * (group_table.plain): those that keep no days (an export's with dates
 * do), where no budget limits the groups.
 */
static void note_plain(struct rules_state *st, const struct keyed_table *t, size_t n)
{
	bool limited = st->budget && st->budget->limit;
	for (size_t i = 0; i < n; i++)
		t[i].table->plain = !limited;
	for (size_t e = 0; e < st->rs->nexports; e++)
		if (st->rs->exports[e].dates)
			st->export_groups[e].plain = false;
}

/*
 * Gives the tables that group the same rows by keys written alike one
 * shared_keys (group_table.shared), worked out once a row for them all,
 * and notes which are plain (note_plain).
 */
void share_keys(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	struct keyed_table *t = xcalloc(rs->nrow_rules + rs->naggregates + rs->nviews + rs->nexports + 1, sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (r->order && st->ordered_table[i] == i) /* a row rule's rows are the file's */
			t[n++] = (struct keyed_table){&st->ordered_rules[i].groups, r->group, r->ngroup, -1};
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		if (!joined_after_first(st, a))
			t[n++] = (struct keyed_table){aggregate_table(st, a), r->group, r->ngroup, r->from};
	}
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		t[n++] = (struct keyed_table){&st->view_groups[v], view->group, view->ngroup, view->from};
	}
	for (size_t e = 0; e < rs->nexports; e++) {
		const struct view *x = &rs->exports[e];
		t[n++] = (struct keyed_table){&st->export_groups[e], x->group, x->ngroup, x->from};
	}
	st->shared = xcalloc(n + 1, sizeof *st->shared);
	for (size_t i = 0; i < n; i++) {
		struct shared_keys *ks = NULL;
		for (size_t j = i + 1; j < n && t[i].ngroup && !t[i].table->shared; j++) {
			if (t[j].table->shared || !same_keys(&t[i], &t[j]))
				continue;
			if (!ks) {
				ks = &st->shared[st->nshared++];
				*ks = (struct shared_keys){.group = t[i].group, .ngroup = t[i].ngroup, .from = t[i].from,
							   .values = xcalloc(t[i].ngroup, sizeof *ks->values)};
			}
			t[j].table->shared = ks;
		}
		if (ks)
			t[i].table->shared = ks;
	}
	note_plain(st, t, n);
	free(t);
	st->rows_in = xcalloc(rs->nviews + 1, sizeof *st->rows_in);
	for (size_t k = 0; k < st->nshared; k++)
		st->shared[k].rows_in = &st->rows_in[st->shared[k].from + 1];
}

/* Makes t follow *leader where it groups by the keys ks, or, the first to, lead them. */
static void follow(struct group_table **leader, struct group_table *t, const struct shared_keys *ks)
{
	if (t->shared != ks)
		return;
	if (*leader)
		t->leader = *leader;
	else
		*leader = t;
}

/*
 * Makes each table that shares its keys with one fed before it on each row
 * follow the first of them (group_table.leader): of the file's rows, the
 * aggregates, then the exports, as rules_row feeds them; of a view's rows,
 * the exports, the views, then the aggregates, as view_row_out does.  Views
 * of the file's rows and aggregates judged in order, whose rows are watched
 * or kept, neither lead nor follow.  Each keeps its own groups and index (and
 * takes as much memory as alone): the leader's numbering spares it the
 * look-up of a group it has, while it makes its groups as the leader did.
 */
void follow_leaders(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	for (size_t k = 0; k < st->nshared; k++) {
		const struct shared_keys *ks = &st->shared[k];
		struct group_table *leader = NULL;
		for (size_t a = 0; a < rs->naggregates && ks->from < 0; a++)
			if (!rs->aggregates[a].order)
				follow(&leader, &st->groups[a], ks);
		for (size_t e = 0; e < rs->nexports; e++)
			follow(&leader, &st->export_groups[e], ks);
		for (size_t v = 0; v < rs->nviews; v++)
			if (rs->views[v].from >= 0)
				follow(&leader, &st->view_groups[v], ks);
		for (size_t a = 0; a < rs->naggregates && ks->from >= 0; a++)
			if (!rs->aggregates[a].order)
				follow(&leader, &st->groups[a], ks);
	}
}

/* Frees a group table: its index, its keys and its accumulators (of n slots each); gives its memory back. */
void free_group_table(struct rules_state *st, struct group_table *g, const struct agg_slot *slots, size_t n)
{
	free(g->index);
	free(g->words);
	free(g->types);
	strmap_free(&g->strings);
	arena_free(&g->texts);
	agg_acc_free(slots, n, g->accs, g->ngroups);
	free(g->accs);
	free(g->places);
	free(g->run_at);
	for (size_t i = 0; i < g->nmarks; i++)
		free(g->marks[i]);
	free(g->marks);
	free(g->held_row);
	for (size_t i = 0; i < g->ndays; i++)
		free(g->days[i].days);
	free(g->days);
	budget_give(st->budget, g->bytes);
}

/* The key kept as word w of type type: a number's bits, or a string kept in the table. */
static inline struct value key_value(uint64_t w, enum vtype type)
{
	if (type == V_STR)
		return kept_string(w);
	struct value v = {.type = type};
	memcpy(&v.num, &w, sizeof w);
	return v;
}

/* Group i's key k of ngroup; a string points into the table, which keeps it as long as it lives. */
static struct value group_key(const struct group_table *g, size_t i, size_t ngroup, size_t k)
{
	return key_value(g->words[i * ngroup + k], (enum vtype)g->types[i * ngroup + k]);
}

/* Group i's key values, into keys. */
void group_keys(const struct group_table *g, size_t i, size_t ngroup, struct value *keys)
{
	for (size_t k = 0; k < ngroup; k++)
		keys[k] = group_key(g, i, ngroup, k);
}

/* True if two key values are the same: a number by its bits, as value_key compares them. */
static inline bool same_key(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == V_STR)
		return a->len == b->len && bytes_equal(a->str, b->str, a->len);
	return bytes_equal(&a->num, &b->num, sizeof a->num);
}

/* True if the key kept as word w of type type is key. */
static inline bool key_is(uint64_t w, enum vtype type, const struct value *key)
{
	if (key->type != type)
		return false;
	struct value kept = key_value(w, type);
	return same_key(&kept, key);
}

/* True if group i has the n key values keys: each of its type, a number by its bits, a string by its bytes. */
static inline bool group_has_keys(const struct group_table *g, size_t i, const struct value *keys, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!key_is(g->words[i * n + k], (enum vtype)g->types[i * n + k], &keys[k]))
			return false;
	return true;
}

/*
 * The hash that places a group in its table's index: of its key values, by
 * their types and a number's bits or a string's bytes (strmap_hash_bytes),
 * so that a row's keys find their group without their texts being looked
 * up in the table first.
 */
static inline uint64_t keys_hash(const struct value *keys, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
	for (size_t k = 0; k < n; k++) {
		const struct value *v = &keys[k];
		uint64_t w;
		if (v->type != V_STR) {
			memcpy(&w, &v->num, sizeof w);
			h = strmap_hash_in(h, w ^ (uint64_t)v->type << 59);
			continue;
		}
		h = strmap_hash_in(h, v->len | (uint64_t)V_STR << 59);
		h = strmap_hash_bytes(h, v->str, v->len, &w);
		h = strmap_hash_in(h, w);
	}
	h *= 0x94d049bb133111ebULL;
	return h ^ h >> 31;
}

/* Where a group goes first in an index of n: by its hash's tag, the upper half of its index entry. */
static inline size_t index_slot(uint64_t entry, size_t n)
{
	return (size_t)(entry >> 32) & (n - 1);
}

/* Every one of n keys, a bit each (as keys_alike gives them); beyond 64 keys, all bits. */
static uint64_t all_keys(size_t n)
{
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/*
 * Which of keys group i has, key k as bit k: comparing a row's keys with the
 * last group's once tells both whether the row is in that group and, when it
 * is not, which keys need no ordering or lookup again.  (Beyond 64 keys: all
 * bits only when every key is alike.)
 */
static uint64_t keys_alike(const struct group_table *g, size_t i, const struct value *keys, size_t n)
{
	uint64_t alike = 0;
	bool all = true;
	for (size_t k = 0; k < n; k++) {
		if (!key_is(g->words[i * n + k], (enum vtype)g->types[i * n + k], &keys[k]))
			all = false;
		else if (k < 64)
			alike |= UINT64_C(1) << k;
	}
	return n > 64 && !all ? 0 : alike;
}

/*
 * The word key k's value is kept as: its number's bits, or its string's one
 * copy in the table, looked up only when it is not the one key k had last.
 */
static inline __attribute__((always_inline)) uint64_t key_word(struct group_table *g, size_t k, const struct value *v)
{
	uint64_t w;
	if (v->type != V_STR) {
		memcpy(&w, &v->num, sizeof w);
		return w;
	}
	if (k < RECENT_KEYS && g->recent[k]) {
		if (key_is(g->recent[k], V_STR, v))
			return g->recent[k];
	}
	bool inserted;
	uint64_t *copy = strmap_upsert(&g->strings, v->len ? v->str : "", v->len, &inserted);
	if (inserted) {
		uint32_t len = v->len;
		unsigned char *p = arena_alloc(&g->texts, sizeof len + len);
		memcpy(p, &len, sizeof len);
		memcpy(p + sizeof len, v->str, len);
		*copy = (uint64_t)(uintptr_t)p;
	}
	if (k < RECENT_KEYS)
		g->recent[k] = *copy;
	return *copy;
}

/*
 * Doubles a group table's index, placing every group again by its hash's
 * tag, which places it (index_slot): its keys are not read again.
 */
static void grow_index(struct group_table *g)
{
	size_t n = g->nindex ? g->nindex * 2 : 64;
	uint64_t *index = xcalloc(n, sizeof *index);
	for (size_t i = 0; i < g->nindex; i++) {
		if (!g->index[i])
			continue;
		size_t j = index_slot(g->index[i], n);
		while (index[j])
			j = (j + 1) & (n - 1);
		index[j] = g->index[i];
	}
	free(g->index);
	g->index = index;
	g->nindex = n;
}

/* The state's room for n key values and n words (scratch, scratch_words). */
static struct value *scratch_keys(struct rules_state *st, size_t n)
{
	if (n > st->nscratch) {
		st->scratch = xrealloc(st->scratch, n * (sizeof *st->scratch + sizeof *st->scratch_words));
		st->scratch_words = (uint64_t *)(st->scratch + n);
		st->nscratch = n;
	}
	return st->scratch;
}

/* Group i's key values, in the state's scratch until the next row is grouped. */
const struct value *group_key_values(struct rules_state *st, const struct group_table *g, size_t i,
				     size_t ngroup)
{
	struct value *keys = scratch_keys(st, ngroup);
	group_keys(g, i, ngroup, keys);
	return keys;
}

/* How many orders n keys have: n!. */
static unsigned key_orders(size_t n)
{
	unsigned f = 1;
	for (size_t k = 2; k <= n; k++)
		f *= (unsigned)k;
	return f;
}

/* The order-th of the n! orders of n keys (n <= WATCH_KEYS), as the key compared first, second, …. */
static void key_order(unsigned order, size_t n, unsigned char *perm)
{
	unsigned char left[WATCH_KEYS];
	for (size_t k = 0; k < n; k++)
		left[k] = (unsigned char)k;
	for (size_t k = n; k > 0; k--) {
		unsigned f = key_orders(k - 1);
		unsigned pick = order / f;
		order %= f;
		*perm++ = left[pick];
		memmove(&left[pick], &left[pick + 1], k - pick - 1);
	}
}

/*
 * How keys compare with group i's, 4 bits a key (keys_alike's alike ones
 * not compared), as keeps_order keeps them; each key's comparison bytewise
 * and in natural order into bytewise and natural.
 */
static uint32_t key_signs(const struct group_table *t, size_t i, const struct value *keys, size_t n, uint64_t alike,
			  int *bytewise, int *natural)
{
	uint32_t signs = 1u << 31;
	for (size_t k = 0; k < n; k++) {
		if (alike >> k & 1)
			continue;
		struct value prev = group_key(t, i, n, k);
		bytewise[k] = value_order(&keys[k], &prev);
		natural[k] = bytewise[k] && keys[k].type == V_STR ? value_order_natural(&keys[k], &prev) : bytewise[k];
		signs |= (uint32_t)(((bytewise[k] > 0) - (bytewise[k] < 0) + 1) | ((natural[k] > 0) - (natural[k] < 0) + 1) << 2)
			 << 4 * k;
	}
	return signs;
}

/*
 * Keeps, of the key orders a watched or streamed table's groups have come in
 * so far, those in which keys come after the previous group's, as they
 * compared with its (key_signs: signs, and each key bytewise and natural);
 * true if one is left.  Texts are compared bytewise and, as a file numbered
 * S1, S2, …, S10 is sorted, in natural order.  Keys that compare as the last
 * time did (a file sorted by station and day: the same station, a later day)
 * leave the orders as they are, which that time kept.  (A group that comes
 * back is never after itself in any order.)
 */
static bool keeps_order(struct group_table *t, uint32_t signs, size_t n, const int *bytewise, const int *natural)
{
	if (signs == t->signs)
		return t->orders != 0;
	t->signs = signs;
	for (uint64_t left = t->orders; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(left);
		const unsigned char *perm = t->perms[bit / 2];
		const int *compared = bit % 2 ? natural : bytewise;
		int c = 0;
		for (size_t k = 0; k < n && !c; k++)
			c = compared[perm[k]];
		if (c <= 0)
			t->orders &= ~(1ull << bit);
	}
	return t->orders != 0;
}

/*
 * Keeps, of the prefixes a watched or batched table's groups have come in
 * order of so far (group_table.prefixes), those among within whose keys did
 * not fall from the previous group's, as they compared with its (bytewise,
 * natural); returns those whose keys rose.
 */
static uint64_t keep_prefixes(struct group_table *t, uint64_t within, const int *bytewise, const int *natural)
{
	uint64_t rose = 0;
	for (uint64_t left = t->prefixes & within; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(left);
		const unsigned char *p = t->prefix[bit / 2];
		const int *compared = bit % 2 ? natural : bytewise;
		int c = compared[p[1]];
		if (!c && p[0] == 2)
			c = compared[p[2]];
		if (c < 0)
			t->prefixes &= ~(1ull << bit);
		else if (c > 0)
			rose |= 1ull << bit;
	}
	return rose;
}

/* The keys of a table's prefixes among live, a bit each (as keys_alike gives them). */
static uint64_t prefix_keys(const struct group_table *t, uint64_t live)
{
	uint64_t keys = 0;
	for (; live; live &= live - 1) {
		const unsigned char *p = t->prefix[__builtin_ctzll(live) / 2];
		keys |= 1ull << p[1] | (p[0] == 2 ? 1ull << p[2] : 0);
	}
	return keys;
}

/*
 * Asks for the second reading of the file (rules_must_reread), as a group a
 * table ended may come back; the table keeps all its groups from now on.
 */
static void read_again(struct rules_state *st, struct group_table *t)
{
	st->reread = true;
	t->mode = GROUPS_KEPT;
}

/*
 * Follows a batched table to a row whose group is not the last one's: where
 * a prefix that rose at each end of its groups so far (group_table.must)
 * rose again, it ends all its groups, which then come before the row in it;
 * where every such prefix fell, a group it ended may come back, and it asks
 * for the second reading (rules_must_reread).  Most rows of a month need no
 * comparing: the keys of those prefixes are the last group's (alike).
 */
static void follow_batch(struct rules_state *st, struct group_table *t, const struct value *keys, size_t ngroup,
			 uint64_t alike)
{
	if (!(t->batch_keys & ~alike))
		return;
	int bytewise[WATCH_KEYS] = {0}, natural[WATCH_KEYS] = {0};
	key_signs(t, (size_t)t->last_group, keys, ngroup, alike | ~t->batch_keys, bytewise, natural);
	uint64_t rose = keep_prefixes(t, t->must, bytewise, natural);
	if (!(t->prefixes & t->must)) {
		read_again(st, t);
		return;
	}
	if (rose & t->must) {
		t->must &= rose;
		end_groups(st, t, false);
	}
	t->batch_keys = prefix_keys(t, t->prefixes & t->must);
}

/*
 * Follows a watched, streamed or batched table to a row whose group is not
 * the last one's, by how the row's keys compare with that group's: a watched
 * table that leaves every order and every prefix keeps all its groups from
 * now on; a streamed one ends its open group, or, out of order, asks for the
 * second reading (rules_must_reread), as a group it ended may come back; a
 * batched one goes by its prefixes (follow_batch).  keys: the row's, which
 * must not be in the state's scratch (ending a group reuses it); alike: the
 * keys known to be the last group's (keys_alike), which need no comparing.
 */
static void follow_order(struct rules_state *st, struct group_table *t, const struct value *keys, size_t ngroup,
			 uint64_t alike)
{
	if (t->mode == GROUPS_BATCHED) {
		follow_batch(st, t, keys, ngroup, alike);
		return;
	}
	int bytewise[WATCH_KEYS] = {0}, natural[WATCH_KEYS] = {0}; /* each key against the last group's, once */
	uint32_t signs = key_signs(t, (size_t)t->last_group, keys, ngroup, alike, bytewise, natural);
	bool ordered = keeps_order(t, signs, ngroup, bytewise, natural);
	if (t->mode == GROUPS_STREAMED) {
		if (ordered)
			end_groups(st, t, false);
		else
			read_again(st, t);
		return;
	}
	keep_prefixes(t, ~0ull, bytewise, natural);
	if (!ordered && !t->prefixes)
		t->mode = GROUPS_KEPT;
}

void end_watch(struct rules_state *st, struct group_table *t)
{
	if (t->orders) {
		t->mode = GROUPS_STREAMED;
		end_groups(st, t, true);
	} else {
		t->mode = GROUPS_BATCHED;
		t->must = ~0ull;
		t->batch_keys = prefix_keys(t, t->prefixes);
	}
}

static const struct value *note_shared(struct shared_keys *ks, const struct value *keys, bool null, uint64_t row);

/*
 * A date cell's year, month and day, and its month's length, worked out once
 * for a look-up (date_parts_of): the keys year() and month() of one date,
 * and the month noted after, all read them.
 */
struct date_parts {
	int cell;                /* the cell they are of, or -1: none yet */
	int y, m, d, len;        /* len: the days of the month, 0 until note_months asks */
};

/* The parts of the date in cell r->cell of cells (which is a date), worked out on the first call for it. */
static inline struct date_parts *date_parts_of(struct date_parts *p, const struct key_read *r, const struct value *cells)
{
	if (p->cell != r->cell) {
		civil_from_days(cells[r->cell].num, &p->y, &p->m, &p->d);
		p->cell = r->cell, p->len = 0;
	}
	return p;
}

/* A key that is year() or month() of a date cell (key_read.month_part), as evaluating it gives: null but for a date. */
static inline struct value date_key(const struct key_read *r, const struct value *cells, struct date_parts *parts)
{
	if (cells[r->cell].type != V_DATE)
		return (struct value){.type = V_NULL};
	const struct date_parts *p = date_parts_of(parts, r, cells);
	return (struct value){.type = V_NUM, .num = r->year ? p->y : p->m};
}

/* Key r of a table whose keys are read from the row (group_table.reads), from the row's cells, as evaluating it gives. */
static inline struct value read_key(const struct key_read *r, const struct value *cells, struct date_parts *parts)
{
	return r->month_part ? date_key(r, cells, parts) : cells[r->cell];
}

/*
 * Shared keys' values on the current row of the rows they read, worked out
 * on the first call for the row (in the state's scratch), or NULL when one is
 * null; they stay in ks until the keys are next worked out.  Values that
 * differ from the last worked out take a new stamp and a copy.  Keys whose
 * working out may have hit a pattern limit (ctx's trouble says one was hit)
 * are worked out again by the next table, so that each meets the limit as it
 * would alone.  Table g's, where it reads them from the row's cells
 * (group_table.reads), are read so.
 */
static const struct value *shared_values(struct rules_state *st, struct shared_keys *ks, const struct group_table *g,
					 const struct eval_ctx *ctx, struct date_parts *parts)
{
	if (ks->owed)
		settle_shared(ks);
	uint64_t row = *ks->rows_in;
	if (ks->at == row)
		return ks->null ? NULL : ks->values;
	struct value *keys = scratch_keys(st, ks->ngroup);
	bool null = false, read = g->nreads && ctx->row; /* (nreads: ngroup) */
	for (size_t k = 0; k < ks->ngroup && !null; k++) {
		keys[k] = read ? read_key(&g->reads[k], ctx->row, parts) : expr_eval(ks->group[k], ctx);
		null = keys[k].type == V_NULL;
	}
	return note_shared(ks, keys, null, ctx->trouble && ctx->trouble->pattern_limit ? 0 : row);
}

/*
 * Makes keys the shared keys' values: their numbers, and where texts_same
 * (their texts are the values' already: a sorted file's next day) no more;
 * else their texts copied too.  Returns the values.
 */
static inline __attribute__((always_inline)) const struct value *keep_values(struct shared_keys *ks,
									      const struct value *keys, bool texts_same)
{
	if (texts_same) {
		for (size_t k = 0; k < ks->ngroup; k++)
			if (keys[k].type != V_STR)
				ks->values[k] = keys[k];
		return ks->values;
	}
	buf_reset(&ks->text);
	for (size_t k = 0; k < ks->ngroup; k++)
		if (keys[k].type == V_STR && keys[k].len)
			buf_add(&ks->text, keys[k].str, keys[k].len);
	size_t at = 0;
	for (size_t k = 0; k < ks->ngroup; k++) {
		ks->values[k] = keys[k];
		if (keys[k].type == V_STR && keys[k].len) {
			ks->values[k].str = ks->text.data + at;
			at += keys[k].len;
		}
	}
	return ks->values;
}

/*
 * Makes keys (null: one of them is) the shared keys' values worked out on
 * row (0: to be worked out again), as shared_values says; returns them, or
 * NULL when null.
 */
static const struct value *note_shared(struct shared_keys *ks, const struct value *keys, bool null, uint64_t row)
{
	bool same = ks->stamp != 0 && !ks->null && !null, texts_same = ks->stamp != 0 && !null;
	for (size_t k = 0; k < ks->ngroup && texts_same; k++)
		if (!same_key(&keys[k], &ks->values[k]))
			same = false, texts_same = keys[k].type != V_STR && ks->values[k].type != V_STR;
	ks->at = row;
	if (same)
		return ks->values;
	if (null && ks->null)
		return NULL;
	ks->stamp++;
	ks->null = null;
	if (null)
		return NULL;
	return keep_values(ks, keys, texts_same);
}

/* Notes group i's keys as the shared keys' values worked out on row (note_shared). */
static __attribute__((noinline)) void note_group_keys(struct rules_state *st, struct group_table *g, size_t i,
						      uint64_t row)
{
	struct value *keys = scratch_keys(st, g->nreads);
	group_keys(g, i, g->nreads, keys);
	note_shared(g->shared, keys, false, row);
}

/*
 * Works out a table's shared keys for the row from group i's, the one after
 * its last, which the row is in (step_to_next_group).  Where they hold its
 * last group's keys, the row's differ: they take a new stamp, and their
 * values are owed until read (settle_shared), as most rows' are never (the
 * tables that share them take the group they stamp).
 */
static inline void step_shared_keys(struct rules_state *st, struct group_table *g, size_t i, const struct eval_ctx *ctx)
{
	struct shared_keys *ks = g->shared;
	uint64_t row = ctx->trouble && ctx->trouble->pattern_limit ? 0 : *ks->rows_in;
	if (g->stamp == ks->stamp && !ks->null) {
		ks->owed = g, ks->owed_group = i;
		ks->at = row;
		ks->stamp++;
		return;
	}
	if (ks->owed)
		settle_shared(ks);
	note_group_keys(st, g, i, row);
}

/*
 * Writes the shared keys' values owed since a table stepped to its next
 * group (step_shared_keys): that group's keys, as note_shared would have
 * written them.  Done before the values are read, and before that table
 * goes (drop_table).
 */
void settle_shared(struct shared_keys *ks)
{
	const struct group_table *g = ks->owed;
	if (!g)
		return;
	ks->owed = NULL;
	struct value keys[WATCH_KEYS]; /* (a table that steps reads its keys: nreads <= WATCH_KEYS) */
	group_keys(g, ks->owed_group, g->nreads, keys);
	bool texts_same = true;
	for (size_t k = 0; k < ks->ngroup; k++)
		if ((keys[k].type == V_STR || ks->values[k].type == V_STR) && !same_key(&keys[k], &ks->values[k]))
			texts_same = false;
	keep_values(ks, keys, texts_same);
}

/*
 * Makes the group made after a table's last its last where the row of cells
 * is in it and looking it up would only find it there (look_up tries that
 * group first): rows that come back in the order they first came, as a
 * county's days do station after station, then need no look-up.  Only for a
 * table kept whole (not watched for an order, not following a leader),
 * without year or month keys, whose text keys are each the last text it
 * kept for that key (group_table.recent), so that no text is looked up, and
 * no memory taken, that a look-up would have; its shared keys are worked
 * out for the row from the group's (step_shared_keys).  False, with nothing
 * done, for any other row.
 */
static inline bool step_to_next_group(struct rules_state *st, struct group_table *g, const struct eval_ctx *ctx)
{
	size_t next = (size_t)g->last_group + 1, n = g->nreads;
	if (next >= g->ngroups || g->mode != GROUPS_KEPT || g->leader || g->reads_months)
		return false;
	const uint64_t *words = &g->words[next * n];
	const unsigned char *types = &g->types[next * n];
	for (size_t k = 0; k < n; k++) {
		const struct value *c = &ctx->row[g->reads[k].cell];
		if (c->type != (enum vtype)types[k])
			return false;
		if (c->type != V_STR) {
			if (!bytes_equal(&words[k], &c->num, sizeof *words))
				return false;
			continue;
		}
		struct value kept = kept_string(words[k]);
		if (k >= RECENT_KEYS || g->recent[k] != words[k] || kept.len != c->len ||
		    !bytes_equal(kept.str, c->str, c->len))
			return false;
	}
	struct shared_keys *ks = g->shared;
	if (ks && ks->at != *ks->rows_in)
		step_shared_keys(st, g, next, ctx);
	looked_up(g, (long)next);
	return true;
}

/*
 * Plans how find_group reads a table's keys from a row (group_table.reads):
 * a table whose keys are each a column or year() or month() of one
 * (expr_key_cell), and that follows no leader (whose group it may take for
 * a row it has not looked up).
 */
static void plan_key_reads(struct group_table *g, struct expr *const *group, size_t ngroup)
{
	g->reads_planned = true;
	if (g->leader || !ngroup || ngroup > WATCH_KEYS)
		return;
	for (size_t k = 0; k < ngroup; k++) {
		g->reads[k] = (struct key_read){.month_from = 1, .month_to = 0};
		g->reads[k].cell = expr_key_cell(group[k], &g->reads[k].month_part);
		if (g->reads[k].cell < 0)
			return;
		g->reads[k].year = g->reads[k].month_part && expr_key_is_year(group[k]);
		g->reads_months = g->reads_months || g->reads[k].month_part;
	}
	g->nreads = ngroup;
}

/* Notes the months of a row's dates whose year or month are keys of the group it was found in (in_last_group). */
static void note_months(struct group_table *g, const struct value *cells, struct date_parts *parts)
{
	for (size_t k = 0; k < g->nreads; k++) {
		struct key_read *r = &g->reads[k];
		if (!r->month_part)
			continue;
		const struct value *c = &cells[r->cell];
		r->month_from = 1, r->month_to = 0; /* none */
		if (c->type != V_DATE || !(c->num >= 0))
			continue;
		struct date_parts *p = date_parts_of(parts, r, cells);
		if (p->m < 1 || p->m > 12)
			continue;
		if (!p->len) /* as year() and month() take the day apart: truncated to it */
			p->len = days_in_month(p->y, p->m);
		r->month_from = (double)((long)c->num - p->d + 1), r->month_to = r->month_from + p->len;
	}
}

/*
 * Looks up in the table's texts' map, where that map is past half full, the
 * first of a row's text keys that working out its words would look up there
 * (one other than the last group's, alike, and than its key's last text),
 * so that the map grows on this row, as then it would; key_words finds the
 * text its key's last after that.
 */
static void grow_texts(struct group_table *g, const struct value *keys, size_t ngroup, uint64_t alike)
{
	for (size_t k = 0; k < ngroup; k++)
		if (keys[k].type == V_STR && !(k < 64 && alike >> k & 1) &&
		    !(k < RECENT_KEYS && g->recent[k] && key_is(g->recent[k], V_STR, &keys[k]))) {
			key_word(g, k, &keys[k]);
			return;
		}
}

/* The words of a row's keys into words: those alike (the last group's) its words, the others key_word's. */
static void key_words(struct group_table *g, const struct value *keys, size_t ngroup, uint64_t alike,
		      const uint64_t *last_words, uint64_t *words)
{
	for (size_t k = 0; k < ngroup; k++) {
		if (k < 64 && alike >> k & 1) { /* its string, kept once, as key_word would find it */
			words[k] = last_words[k];
			if (k < RECENT_KEYS && keys[k].type == V_STR)
				g->recent[k] = words[k];
		} else {
			words[k] = key_word(g, k, &keys[k]);
		}
	}
}

/* Makes group i, the row's, the table's last, and its texts each its key's last (as key_words leaves them). */
static inline long found_group(struct group_table *g, size_t i, const struct value *keys, size_t ngroup)
{
	for (size_t k = 0; k < ngroup && k < RECENT_KEYS; k++)
		if (keys[k].type == V_STR)
			g->recent[k] = g->words[i * ngroup + k];
	return looked_up(g, (long)i);
}

static long look_up(struct rules_state *st, struct group_table *g, struct expr *const *group, size_t ngroup,
		    size_t block, const struct eval_ctx *ctx, struct date_parts *parts);

/*
 * Finds or creates the group of the current row in a table grouped by ngroup
 * expressions with a block of accumulators of that many bytes; returns its number, or -1 for a null key
 * (find_group's work, once it has seen to a watched table's order and the
 * row is not in its last group), noting what find_group needs to find the
 * group again from the row's cells.  The group made after the last one is
 * tried first from the row's cells (step_to_next_group).  Not inlined:
 * find_group, which is, calls it only when it must, and keeps to the last
 * group's test, which most rows of a sorted file meet.
 */
__attribute__((noinline)) long look_up_group(struct rules_state *st, struct group_table *g,
					     struct expr *const *group, size_t ngroup, size_t block,
					     const struct eval_ctx *ctx)
{
	if (!g->reads_planned)
		plan_key_reads(g, group, ngroup);
	if (g->nreads && g->ngroups && ctx->row && step_to_next_group(st, g, ctx))
		return g->last_group;
	struct date_parts parts = {.cell = -1};
	long i = look_up(st, g, group, ngroup, block, ctx, &parts);
	if (i >= 0 && g->reads_months && ctx->row)
		note_months(g, ctx->row, &parts);
	return i;
}

/*
 * look_up_group's look-up.  A streamed table keeps no index.  The row's keys
 * are compared with the last group's once: keys alike keep its words, and
 * the order watch compares only the others.
 */
static long look_up(struct rules_state *st, struct group_table *g, struct expr *const *group, size_t ngroup,
		    size_t block, const struct eval_ctx *ctx, struct date_parts *parts)
{
	const struct value *keys;
	struct value read_keys[WATCH_KEYS];
	long led = -1;
	if (g->shared) {
		keys = shared_values(st, g->shared, g, ctx, parts);
		if (!keys)
			return -1;
		long known = known_group(g);
		if (known >= 0)
			return known;
		led = leaders_last(g); /* one it has is found as ever; one it makes keeps the numbering only if it
					  is the leader's next (below) */
	} else if (g->nreads && ctx->row) { /* a column's key is its cell, as evaluating it would give (nreads: ngroup) */
		for (size_t k = 0; k < ngroup; k++) {
			const struct key_read *r = &g->reads[k];
			read_keys[k] = read_key(r, ctx->row, parts);
			if (read_keys[k].type == V_NULL)
				return -1;
		}
		keys = read_keys;
	} else {
		struct value *row_keys = scratch_keys(st, ngroup);
		for (size_t k = 0; k < ngroup; k++) {
			row_keys[k] = expr_eval(group[k], ctx);
			if (row_keys[k].type == V_NULL)
				return -1;
		}
		keys = row_keys;
	}
	/* (shared keys one stamp on from its last lookup's are other keys: they took it by differing) */
	bool other = g->shared && g->stamp + 1 == g->shared->stamp;
	uint64_t alike = 0; /* the keys the last group has, a bit each (other keys are not all alike) */
	if (g->ngroups && (!other || g->mode != GROUPS_KEPT)) {
		alike = keys_alike(g, (size_t)g->last_group, keys, ngroup);
		if (alike == all_keys(ngroup))
			return looked_up(g, g->last_group);
	}
	const uint64_t *last_words = g->ngroups ? &g->words[(size_t)g->last_group * ngroup] : NULL;
	struct value row_keys[WATCH_KEYS];
	if (g->mode != GROUPS_KEPT && g->ngroups) { /* (ngroup <= WATCH_KEYS) */
		/* ending the last group reuses the state's scratch: keys there are kept here (its words stay in
		   place: ending them all moves none, and a table dropped meanwhile returns below) */
		if (keys != read_keys) {
			memcpy(row_keys, keys, ngroup * sizeof *keys);
			keys = row_keys;
		}
		follow_order(st, g, keys, ngroup, alike);
	}
	if (g->dropped) /* judging the groups it ended took more memory than the budget had */
		return -1;
	/* a group it has is found by the keys themselves; their words are worked out for a group it makes */
	if (strmap_upsert_grows(&g->strings))
		grow_texts(g, keys, ngroup, alike);
	size_t i = 0;
	uint64_t tag = 0;
	if (g->mode != GROUPS_STREAMED) {
		/* the group made after the last one first: rows that come back in the order they first came find it so */
		size_t next = (size_t)g->last_group + 1;
		if (g->ngroups && next < g->ngroups && group_has_keys(g, next, keys, ngroup))
			return found_group(g, next, keys, ngroup);
		if ((g->ngroups + 1) * 4 > g->nindex * 3)
			grow_index(g);
		tag = keys_hash(keys, ngroup) & ~(uint64_t)0xFFFFFFFFu;
		for (i = index_slot(tag, g->nindex); g->index[i]; i = (i + 1) & (g->nindex - 1)) {
			size_t at = (size_t)(g->index[i] & 0xFFFFFFFFu) - 1;
			if ((g->index[i] & ~(uint64_t)0xFFFFFFFFu) == tag && group_has_keys(g, at, keys, ngroup))
				return found_group(g, at, keys, ngroup);
		}
	}
	scratch_keys(st, ngroup);
	uint64_t *words = st->scratch_words;
	key_words(g, keys, ngroup, alike, last_words, words);
	if (g->ngroups >= 0xFFFFFFFEu)
		die(EXIT_TROUBLE, "too many groups to remember");
	if (g->leader && (size_t)led != g->ngroups)
		g->misaligned = true;
	if (g->ngroups == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->words = xrealloc(g->words, g->cap * (ngroup + 1) * sizeof *g->words);
		g->types = xrealloc(g->types, g->cap * (ngroup + 1));
		g->accs = block ? xrealloc(g->accs, g->cap * block) : NULL;
	}
	for (size_t k = 0; k < ngroup; k++) {
		g->words[g->ngroups * ngroup + k] = words[k];
		g->types[g->ngroups * ngroup + k] = (unsigned char)keys[k].type;
	}
	if (block)
		memset(g->accs + g->ngroups * block, 0, block);
	if (g->mode != GROUPS_STREAMED)
		g->index[i] = tag | (g->ngroups + 1);
	looked_up(g, (long)g->ngroups);
	return (long)g->ngroups++;
}

/* The memory a group table's index and key strings fill, in bytes (as account_group counts it). */
uint64_t group_index_bytes(const struct group_table *t)
{
	return t->nindex * sizeof *t->index + strmap_bytes(&t->strings) + t->texts.used;
}

/*
 * Drops a grouping's table for the rest of the file, giving its memory back;
 * an aggregate's in a joined table drops its own part, and the table goes
 * with the last of them.
 */
static void drop_table(struct rules_state *st, const struct grouping *gr)
{
	struct group_table *t = gr->table, *own = gr->own;
	const struct agg_slot *slots = gr->slots;
	size_t nslots = gr->nslots;
	if (t->shared && t->shared->owed == t)
		settle_shared(t->shared);
	if (own != t) {
		free_group_table(st, own, NULL, 0);
		memset(own, 0, sizeof *own);
		own->dropped = true;
		struct joined_table *j = st->joins;
		while (&j->table != t)
			j++;
		if (--j->live)
			return;
		slots = j->slots, nslots = j->nslots;
	}
	free_group_table(st, t, slots, nslots);
	memset(t, 0, sizeof *t);
	t->dropped = true;
}

/*
 * Takes what a table's groups grew by from the budget: the memory they fill
 * (tables grow by doubling; the part not filled yet is not counted, as the
 * system gives it only when touched).  When the budget cannot give it, the
 * table is dropped for the rest of the file with a resource-limit finding at
 * this row (line and row 0: after the last).  kept_before: the values its
 * group kept before this row.
 */
void account_group(struct rules_state *st, const struct grouping *gr, const unsigned char *accs,
		   uint64_t kept_before, uint64_t line, uint64_t row, struct diag_file *out)
{
	struct group_table *t = gr->table, *own = gr->own;
	if (accs)
		own->values += agg_acc_kept_bytes(gr->slots, gr->nslots, accs) - kept_before;
	uint64_t now = group_index_bytes(t) + own->values + t->day_bytes +
		       t->ngroups * (gr->ngroup * (sizeof *t->words + sizeof *t->types) + gr->own_block) +
		       t->nplaces * sizeof *t->places + t->ndays * sizeof *t->days +
		       own->nmarks * sizeof *own->marks + own->mark_bytes;
	if (now <= own->bytes || budget_take(st->budget, now - own->bytes)) {
		own->bytes = now > own->bytes ? now : own->bytes;
		return;
	}
	struct budget_drop drop = {gr->id, gr->kind_zh, gr->kind_en, gr->id, own->bytes, now};
	budget_report_drop(st->budget, out, &drop, line, row);
	drop_table(st, gr);
}

/* Adds a day to a group's set (rows mostly come in order of days: then it goes at the end). */
static void note_day(struct group_table *t, size_t i, struct value day)
{
	if (day.type != V_DATE)
		return;
	if (i >= t->ndays) {
		t->days = xrealloc(t->days, t->cap * sizeof *t->days);
		memset(&t->days[t->ndays], 0, (t->cap - t->ndays) * sizeof *t->days);
		t->ndays = t->cap;
	}
	struct day_set *d = &t->days[i];
	int32_t v = (int32_t)day.num;
	uint32_t at = d->n;
	while (at > 0 && d->days[at - 1] > v)
		at--;
	if (at > 0 && d->days[at - 1] == v)
		return;
	if (d->n == d->cap) {
		t->day_bytes -= d->cap * sizeof *d->days;
		d->cap = d->cap ? d->cap * 2 : 4;
		d->days = xrealloc(d->days, d->cap * sizeof *d->days);
		t->day_bytes += d->cap * sizeof *d->days;
	}
	memmove(&d->days[at + 1], &d->days[at], (d->n - at) * sizeof *d->days);
	d->days[at] = v;
	d->n++;
}

/*
 * Holds a streamed view's new group i as its view row, made of its first row
 * (grouping.hold): its keys, then its values; false where they cannot be.
 */
static bool hold_row(struct group_table *t, const struct grouping *gr, size_t i, const struct eval_ctx *ctx)
{
	if (!t->held_row)
		t->held_row = xcalloc(gr->ngroup + gr->nvalues + 1, sizeof *t->held_row);
	group_keys(t, i, gr->ngroup, t->held_row);
	return agg_hold_row(gr->hold_cell, gr->nvalues, ctx->row, t->held_row + gr->ngroup);
}

/*
 * Feeds a row of a streamed view (one group open) that begins a sorted
 * file's next group without a look-up: its texts are the open group's, and
 * its keys compare with that group's as the last new group's did (a
 * station's next day), so that its order holds as before.  The open group
 * ends (its row goes out) and the row becomes group 0 in its place, held as
 * its view row, whose keys that differ are the only ones written (those
 * alike, texts too, are the row's already); where its values cannot be held
 * it is accumulated.  False, with nothing done, for any other row.
 */
static bool next_streamed_group(struct rules_state *st, const struct grouping *gr, const struct eval_ctx *ctx,
				uint64_t line, uint64_t row, struct diag_file *out)
{
	struct group_table *t = gr->table;
	const struct value *cells = ctx->row;
	size_t n = t->nreads;
	if (!n || t->reads_months || t->shared || t->ngroups != 1 || !cells)
		return false;
	/* in one pass: the keys alike, and how those that differ compare, as key_signs would say it */
	uint64_t alike = 0;
	uint32_t signs = 1u << 31;
	for (size_t k = 0; k < n; k++) {
		const struct value *c = &cells[t->reads[k].cell];
		enum vtype type = (enum vtype)t->types[k];
		if (type == V_STR) {
			if (c->type != V_STR || !key_is(t->words[k], V_STR, c))
				return false;
			if (k < RECENT_KEYS) /* its word stays, the last kept for that key (as key_words leaves it) */
				t->recent[k] = t->words[k];
			alike |= UINT64_C(1) << k;
			continue;
		}
		if (c->type == V_NULL || c->type == V_STR)
			return false;
		double prev;
		memcpy(&prev, &t->words[k], sizeof prev);
		if (c->type == type && bytes_equal(&c->num, &prev, sizeof prev)) {
			alike |= UINT64_C(1) << k;
			continue;
		}
		int order = c->type != type ? (c->type < type ? -1 : 1) : (c->num > prev) - (c->num < prev);
		signs |= (uint32_t)((order + 1) | (order + 1) << 2) << 4 * k; /* (natural order is bytewise, but for texts) */
	}
	if (alike == all_keys(n) || signs != t->signs)
		return false;
	/* the open group ends as end_groups would end it: a held view's slots keep no lists, and a streamed
	   table no index (the orders kept are those these signs kept before) */
	bool was_held = t->held == 1;
	view_row_out(st, t->owner, t, 0, st->view_row);
	if (t->dropped)
		return true;
	for (uint64_t differ = all_keys(n) & ~alike; differ; differ &= differ - 1) { /* none a text */
		size_t k = (size_t)__builtin_ctzll(differ);
		const struct value *c = &cells[t->reads[k].cell];
		memcpy(&t->words[k], &c->num, sizeof *t->words);
		t->types[k] = (unsigned char)c->type;
		if (was_held)
			t->held_row[k] = key_value(t->words[k], c->type);
	}
	t->ngroups = 1;
	looked_up(t, 0);
	t->places[0] = (struct place){line, row};
	t->nplaces = 1;
	unsigned char *accs = group_accs(t, 0, gr->block);
	if (!(was_held ? agg_hold_row(gr->hold_cell, gr->nvalues, cells, t->held_row + n) : hold_row(t, gr, 0, ctx))) {
		t->held = 0;
		if (accs)
			memset(accs, 0, gr->block);
		agg_update(gr->slots, gr->nslots, accs, ctx);
	} else {
		t->held = 1;
	}
	if (st->budget && st->budget->limit) /* (a held view's slots keep no lists: none kept before) */
		account_group(st, gr, accs, 0, line, row, out);
	return true;
}

/*
 * Feeds a row to group i of a grouping, a new group's place noted: a
 * streamed view's new group holds its first row's values (hold_row) until a
 * second comes; its days noted, and its memory taken from a limited budget.
 */
static __attribute__((noinline)) void feed_group(struct rules_state *st, const struct grouping *gr, size_t i,
						 const struct eval_ctx *ctx, uint64_t line, uint64_t row,
						 struct diag_file *out)
{
	struct group_table *t = gr->table;
	bool first = gr->places && i == t->nplaces;
	if (first) { /* a new group: groups are numbered as they come */
		if (t->nplaces == t->places_cap) { /* grown by doubling: a streamed view starts again at 0 each group */
			t->places_cap = t->places_cap ? t->places_cap * 2 : 64;
			t->places = xrealloc(t->places, t->places_cap * sizeof *t->places);
		}
		t->places[t->nplaces++] = (struct place){line, row};
	}
	if (gr->dates)
		note_day(t, i, expr_eval(gr->dates, ctx));
	unsigned char *accs = group_accs(t, i, gr->block);
	bool limited = st->budget && st->budget->limit;
	uint64_t kept = limited ? agg_acc_kept_bytes(gr->slots, gr->nslots, accs) : 0;
	if (first && gr->hold && t->mode == GROUPS_STREAMED && hold_row(t, gr, i, ctx)) {
		t->held = i + 1;
	} else {
		if (t->held == i + 1) { /* its second row: the accumulators were left as they were */
			if (accs)
				memset(accs, 0, gr->block);
			agg_unhold(gr->slots, gr->hold, gr->nvalues, t->held_row + gr->ngroup, accs);
			t->held = 0;
		}
		agg_update(gr->slots, gr->nslots, accs, ctx);
	}
	if (limited)
		account_group(st, gr, accs, kept, line, row, out);
}

/*
 * Feeds a row to its group of a grouping (when it passes the when): a group
 * it has, that holds no row, of a plain table (group_table.plain) at once;
 * any other through feed_group.  Shared by feed_grouping, feed_readers and
 * feed_file_aggregates, the compiler left to choose where it goes in line:
 * forced into each, with next_streamed_group, it made fewer instructions
 * and a slower run (more code for each row to go through).
 */
static inline void feed(struct rules_state *st, const struct grouping *gr, const struct eval_ctx *ctx, uint64_t line,
			uint64_t row, struct diag_file *out)
{
	struct group_table *t = gr->table;
	if (t->dropped)
		return;
	if (gr->when) {
		struct value w = gr->when_cells && ctx->row ? row_test_eval(&gr->when_test, ctx->row)
							   : expr_eval(gr->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	if (gr->hold && t->mode == GROUPS_STREAMED && next_streamed_group(st, gr, ctx, line, row, out))
		return;
	long i = find_group(st, t, gr->group, gr->ngroup, gr->block, ctx);
	if (i < 0)
		return;
	if (t->plain && !(gr->places && (size_t)i == t->nplaces) && t->held != (size_t)i + 1) {
		agg_update(gr->slots, gr->nslots, group_accs(t, (size_t)i, gr->block), ctx);
		return;
	}
	feed_group(st, gr, (size_t)i, ctx, line, row, out);
}

void feed_grouping(struct rules_state *st, const struct grouping *gr, const struct eval_ctx *ctx, uint64_t line,
		   uint64_t row, struct diag_file *out)
{
	feed(st, gr, ctx, line, row, out);
}

/*
 * Feeds a view's row, ctx's, to its readers from reader to before end, in
 * one loop: each grouping as feed_grouping would, each aggregate judged in
 * order keeping it (keep_view_row).
 */
void feed_readers(struct rules_state *st, const struct view_reader *reader, const struct view_reader *end,
		  const struct eval_ctx *ctx, uint64_t line, uint64_t row, struct diag_file *out)
{
	for (; reader < end; reader++) {
		if (reader->gr)
			feed(st, reader->gr, ctx, line, row, out);
		else
			keep_view_row(st, reader->aggregate, ctx);
	}
}

/*
 * Feeds the file's row, ctx's, to each aggregate of the file's rows not
 * judged in order (rules_state.file_aggregates) whose when it passes, in one
 * loop, each grouping's feed in line; a pattern's limit hit on the way is
 * reported, unless told (the first reading of the file reported it).
 */
void feed_file_aggregates(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx, bool told,
			  struct diag_file *out)
{
	for (struct file_aggregate *f = st->file_aggregates, *end = f + st->nfile_aggregates; f < end; f++) {
		if (*f->dropped)
			continue;
		if (f->rule->when) {
			st->trouble.pattern_limit = false;
			if (f->by_cell) { /* (a cell of another type than it is compared with makes it null) */
				if (cell_check_holds(&f->when.first, row->values) != 1)
					continue;
			} else {
				struct value w = expr_when_value(&f->when, ctx);
				if (!told)
					w = judged(st, f->rule, w, row, ctx, out);
				if (w.type != V_BOOL || !w.num)
					continue;
			}
		}
		st->trouble.pattern_limit = false;
		feed(st, f->gr, ctx, row->line, row->row, out);
		if (st->trouble.pattern_limit && !told)
			pattern_limit_finding(st, f->rule, row, &st->trouble, out);
	}
}

/*
 * Lists the prefixes of a table of n keys that it watches (group_table.prefix):
 * each key alone, then each two in each order, shorter than all n.
 */
static void list_prefixes(struct group_table *t, size_t n)
{
	size_t p = 0;
	for (size_t a = 0; n > 1 && a < n; a++, p++)
		t->prefix[p][0] = 1, t->prefix[p][1] = (unsigned char)a;
	for (size_t a = 0; n > 2 && a < n; a++)
		for (size_t b = 0; b < n; b++)
			if (b != a)
				t->prefix[p][0] = 2, t->prefix[p][1] = (unsigned char)a, t->prefix[p++][2] = (unsigned char)b;
	t->prefixes = p ? (1ull << 2 * p) - 1 : 0;
}

/*
 * Starts watching a table's groups for an order of their keys, and, for a
 * table that keeps rows, of a prefix of them; ends and owner: what ends them.
 */
static void watch(struct group_table *t, size_t ngroup, enum group_ends ends, size_t owner)
{
	t->mode = GROUPS_WATCHED;
	t->orders = (1ull << 2 * key_orders(ngroup)) - 1;
	t->signs = 0;
	for (unsigned order = 0; order < key_orders(ngroup); order++) /* worked out once, not on every group */
		key_order(order, ngroup, t->perms[order]);
	t->ends = ends;
	t->owner = owner;
	if (keeps_rows(t))
		list_prefixes(t, ngroup);
}

void rules_stream_groups(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	st->may_arrive = true;
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		if (view->from < 0 && view->ngroup && view->ngroup <= WATCH_KEYS && !view_rows_kept(rs, v))
			watch(&st->view_groups[v], view->ngroup, ENDS_VIEW, v);
	}
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (r->order && r->ngroup && r->ngroup <= WATCH_KEYS && st->ordered_table[i] == i)
			watch(&st->ordered_rules[i].groups, r->ngroup, ENDS_ROW_RULE, i);
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		if (!r->ngroup || r->ngroup > WATCH_KEYS)
			continue;
		if (!r->order)
			watch(&st->groups[a], r->ngroup, ENDS_JUDGED, a);
		else if (r->from < 0 && !joined_after_first(st, a))
			watch(aggregate_table(st, a), r->ngroup, ENDS_AGGREGATE, a);
	}
}

bool rules_must_reread(const struct rules_state *st)
{
	return st->reread;
}

struct rules_state *rules_state_reread(const struct rules_state *first, struct budget *budget)
{
	const struct ruleset *rs = first->rs;
	struct rules_state *st = rules_state_new(rs, budget, as_of_of(first));
	st->rereading = true;
	st->reread_from = first->reread_from;
	st->ordered_dropped = first->ordered_dropped;
	for (size_t a = 0; a < rs->naggregates; a++)
		st->groups[a].dropped = first->groups[a].dropped;
	for (size_t k = 0; k < st->njoins; k++) {
		st->joins[k].live = first->joins[k].live;
		st->joins[k].table.dropped = first->joins[k].table.dropped;
	}
	for (size_t v = 0; v < rs->nviews; v++)
		st->view_groups[v].dropped = first->view_groups[v].dropped;
	for (size_t e = 0; e < rs->nexports; e++)
		st->export_groups[e].dropped = first->export_groups[e].dropped;
	return st;
}

/* Drops the first n rows of a list, those a walk has judged (a list never made has none). */
static void drop_walked(struct ordered_rows *o, size_t n)
{
	if (n == 0)
		return;
	memmove(o->entries, o->entries + n, (o->n - n) * sizeof *o->entries);
	o->n -= n;
}

/*
 * Ends a streamed or batched table's groups, all of them, or all but the
 * last when it starts streaming (the open group): a view's become rows for
 * what reads from it; a row rule's rows are judged, their findings held for
 * the end of the file.  The table then keeps only the open group, as its
 * group 0, or none, and no index.
 */
void end_groups(struct rules_state *st, struct group_table *t, bool keep_last)
{
	const struct ruleset *rs = st->rs;
	size_t n = t->ngroups, ended = keep_last && n ? n - 1 : n, ngroup, nslots, block;
	const struct agg_slot *slots;
	t->misaligned = true; /* its groups are numbered afresh: it neither leads nor follows from now on */
	if (t->ends == ENDS_AGGREGATE) { /* the groups stay, to be judged at the end: only their rows go */
		/* (the rows of every aggregate sharing the list: the other sharers' tables then find none below ended) */
		size_t l = st->ordered_list[t->owner];
		struct ordered_rows *o = &st->ordered_aggregates[l];
		drop_walked(o, walk_sharers(st, false, l, ended, st->out));
		free(t->index);
		t->index = NULL;
		t->nindex = 0;
		return;
	}
	if (t->ends == ENDS_VIEW) {
		const struct view *view = &rs->views[t->owner];
		ngroup = view->ngroup, slots = view->slots, nslots = view->nslots, block = view_grouping(st, t->owner)->block;
		for (size_t i = 0; i < ended; i++)
			view_row_out(st, t->owner, t, i, st->view_row);
	} else if (t->ends == ENDS_JUDGED) {
		ngroup = rs->aggregates[t->owner].ngroup, slots = rs->aggregates[t->owner].slots,
		nslots = rs->aggregates[t->owner].nslots, block = aggregate_grouping(st, t->owner, true)->block;
		st->holding = rs->nrow_rules + t->owner;
		for (size_t i = 0; i < ended; i++)
			judge_group(st, t->owner, i, st->out);
		st->holding = NOT_HOLDING;
	} else { /* the rows, judged by every rule that shares them */
		struct ordered_rows *o = &st->ordered_rules[t->owner];
		ngroup = rs->row_rules[t->owner].ngroup, slots = NULL, nslots = 0, block = 0;
		drop_walked(o, walk_sharers(st, true, t->owner, ended, st->out));
		for (size_t k = 0; k < o->n; k++)
			o->entries[k].group = 0;
	}
	if (t->ends != ENDS_VIEW || !view_grouping(st, t->owner)->hold) /* (held slots keep no lists) */
		agg_acc_free(slots, nslots, t->accs, ended);
	if (ended && ended < n) {
		memcpy(t->words, &t->words[ended * ngroup], ngroup * sizeof *t->words);
		memcpy(t->types, &t->types[ended * ngroup], ngroup * sizeof *t->types);
		if (block)
			memcpy(t->accs, t->accs + ended * block, block);
		if (t->nplaces)
			t->places[0] = t->places[ended];
	}
	t->ngroups = n - ended;
	t->held = t->held > ended ? t->held - ended : 0; /* the open group, now group 0, may hold its row */
	if (t->nplaces)
		t->nplaces = t->ngroups;
	t->last_group = 0;
	free(t->index);
	t->index = NULL;
	t->nindex = 0;
}
