/*
 * msgcat_test — the message catalogue: every message made from its parameters
 * renders again from its args in both languages, the manual lists every id
 * with its keys, a newer or older stream falls back to its own message, and
 * every finding with args in the golden outputs renders back to its message.
 */
#include "msgcat.h"
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

/* Collects the {key} names of a template into keys (n so far, at most max); returns the new n. */
static size_t template_keys(const char *t, const char **keys, size_t *lens, size_t n, size_t max, bool *well_formed)
{
	for (const char *open = strchr(t, '{'); open; open = strchr(open + 1, '{')) {
		const char *close = strchr(open, '}');
		if (!close || close == open + 1) {
			*well_formed = false;
			return n;
		}
		for (const char *p = open + 1; p < close; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
				*well_formed = false;
		size_t len = (size_t)(close - open - 1), i = 0;
		while (i < n && !(lens[i] == len && strncmp(keys[i], open + 1, len) == 0))
			i++;
		if (i == n && n < max)
			keys[n] = open + 1, lens[n++] = len;
	}
	return n;
}

/* Reads a whole file; NULL when it cannot. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_addc(&b, '\0');
	return b.data;
}

/* Every message, made from made-up parameters, renders back from its args in both languages. */
static void test_round_trip(void)
{
	int bad_form = 0, bad_trip = 0, dup = 0;
	for (size_t i = 0; i < MSG_COUNT; i++) {
		const struct msg_def *d = &msg_defs[i];
		const char *keys[16];
		size_t lens[16], n = 0;
		bool ok = d->id && d->zh && d->en;
		if (!ok) {
			bad_form++;
			printf("FAIL catalogue entry %zu is empty\n", i);
			continue;
		}
		n = template_keys(d->zh, keys, lens, n, 16, &ok);
		n = template_keys(d->en, keys, lens, n, 16, &ok);
		if (!ok)
			bad_form++, printf("FAIL %s: a malformed {key}\n", d->id);
		if (msg_find(d->id) != d)
			dup++, printf("FAIL %s: id given twice\n", d->id);
		struct msg_arg args[16];
		char names[16][32], values[16][32];
		for (size_t k = 0; k < n; k++) {
			snprintf(names[k], sizeof names[k], "%.*s", (int)lens[k], keys[k]);
			snprintf(values[k], sizeof values[k], "v%zu", k);
			/* a text, a number and a phrase in turn */
			args[k] = k % 3 == 0 ? ARG_TEXT(names[k], values[k])
				  : k % 3 == 1 ? ARG_NUM(names[k], 40 + k) : ARG_PHRASE(names[k], "词", "words");
		}
		for (int lang = LANG_EN; lang <= LANG_ZH; lang++) {
			struct msgbuf m = {0};
			struct buf again = {0};
			struct message said = msg_say(&m, (enum lang)lang, (enum msg_id)i, args, n);
			json_error_t err;
			json_t *o = json_loads(said.args, 0, &err);
			bool same = false;
			for (int other = LANG_EN; other <= LANG_ZH && o; other++) {
				struct msgbuf m2 = {0};
				struct message direct = msg_say(&m2, (enum lang)other, (enum msg_id)i, args, n);
				same = msg_render(&again, (enum lang)other, o) && strcmp(again.data, direct.text) == 0;
				msgbuf_free(&m2);
				if (!same)
					break;
			}
			if (!same)
				bad_trip++, printf("FAIL %s: args %s do not render as made\n", d->id, said.args);
			json_decref(o);
			msgbuf_free(&m);
			buf_free(&again);
		}
	}
	CHECK("catalogue templates are well formed", bad_form == 0, "%d malformed", bad_form);
	CHECK("catalogue ids are unique", dup == 0, "%d repeated", dup);
	CHECK("every message renders again from its args", bad_trip == 0, "%d do not", bad_trip);
}

/* What a reader does with args it cannot use: NULL, an unknown id, a missing key, a rule set's texts. */
static void test_fallback(void)
{
	struct buf b = {0};
	json_t *o = json_loads("{\"msg\":\"from-a-newer-version\",\"x\":1}", 0, NULL);
	CHECK("unknown id is not rendered", !msg_render(&b, LANG_ZH, o), "rendered '%s'", b.data);
	json_decref(o);
	o = json_loads("{\"msg\":\"range.min\",\"column\":\"PM2.5\",\"value\":\"-2\"}", 0, NULL);
	CHECK("missing key is not rendered", !msg_render(&b, LANG_EN, o), "rendered '%s'", b.data);
	json_decref(o);
	CHECK("no args is not rendered", !msg_render(&b, LANG_EN, NULL), "rendered");
	o = json_loads("{\"zh\":\"规则\",\"en\":\"rule\"}", 0, NULL);
	CHECK("a rule set's message in zh", msg_render(&b, LANG_ZH, o) && strcmp(b.data, "规则") == 0, "got '%s'", b.data);
	CHECK("a rule set's message in en", msg_render(&b, LANG_EN, o) && strcmp(b.data, "rule") == 0, "got '%s'", b.data);
	json_decref(o);
	o = json_loads("{\"msg\":\"range.min\",\"column\":\"PM2.5\",\"value\":\"-2\",\"min\":\"0\"}", 0, NULL);
	CHECK("known message in zh", msg_render(&b, LANG_ZH, o) &&
	      strcmp(b.data, "「PM2.5」的值 -2 超出范围：应不小于 0") == 0, "got '%s'", b.data);
	json_decref(o);
	buf_free(&b);
}

/* qy-diagnostics(7) names every id, with its keys on the line after. */
static void test_manual(void)
{
	char *page = slurp("man/qy-diagnostics.7");
	int missing = 0;
	for (size_t i = 0; page && i < MSG_COUNT; i++) {
		const struct msg_def *d = &msg_defs[i];
		char head[80];
		snprintf(head, sizeof head, "\n.It Li %s\n", d->id);
		const char *at = strstr(page, head);
		if (!at) {
			missing++, printf("FAIL qy-diagnostics(7) lacks %s\n", d->id);
			continue;
		}
		at += strlen(head);
		const char *end = strchr(at, '\n');
		const char *keys[16];
		size_t lens[16], n = 0;
		bool ok = true;
		n = template_keys(d->zh, keys, lens, n, 16, &ok);
		n = template_keys(d->en, keys, lens, n, 16, &ok);
		for (size_t k = 0; k < n; k++) {
			char word[40];
			snprintf(word, sizeof word, "Sy %.*s", (int)lens[k], keys[k]);
			const char *w = strstr(at, word);
			if (!w || w > end)
				missing++, printf("FAIL qy-diagnostics(7): %s lacks key %s\n", d->id, word + 3);
		}
	}
	CHECK("the manual lists every message id and its keys", page && missing == 0, "%d missing", missing);
	free(page);
}

/* Checks the findings with args in one golden output; counts them. */
static void check_output(const char *path, int *checked, int *wrong)
{
	char *text = slurp(path);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, "{\"type\":\"diagnostic\"", 20) != 0 || !strstr(line, "\"args\":"))
			continue;
		json_t *o = json_loads(line, 0, NULL);
		const char *message = json_string_value(json_object_get(o, "message"));
		if (!o || !message)
			goto next_line;
		struct buf b = {0};
		bool zh_ok = msg_render(&b, LANG_ZH, json_object_get(o, "args")) && strcmp(b.data, message) == 0;
		bool en_ok = msg_render(&b, LANG_EN, json_object_get(o, "args")) && strcmp(b.data, message) == 0;
		buf_free(&b);
		++*checked;
		if (!zh_ok && !en_ok && (*wrong)++ < 5)
			printf("FAIL %s: args do not render as the message: %.300s\n", path, line);
	next_line:
		json_decref(o);
	}
	free(text);
}

/* Every finding qy wrote in the golden and hostile outputs renders back to its message from its args. */
static void test_goldens(void)
{
	static const char *const dirs[] = {"tests/golden", "tests/hostile"};
	int checked = 0, wrong = 0;
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		for (struct dirent *e; d && (e = readdir(d));) {
			char path[512];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s/expected", dirs[i], e->d_name);
			check_output(path, &checked, &wrong);
		}
		if (d)
			closedir(d);
	}
	CHECK("golden findings render again from their args", checked > 300 && wrong == 0,
	      "%d of %d do not", wrong, checked);
}

int main(void)
{
	test_round_trip();
	test_fallback();
	test_manual();
	test_goldens();
	return test_status();
}
