/*
 * msgcat_test — the message catalogue: every message made from its parameters
 * renders again from its args in both languages, and is made exactly as a
 * plain expansion of its template makes it (hostile values in its
 * parameters, in any order, one missing or one extra); the manual lists every id
 * with its keys, a newer or older stream falls back to its own message, and
 * every finding with args in the golden outputs renders back to its message.
 */
#include "jsonw.h"
#include "msgcat.h"
#include "test.h"

#include <dirent.h>
#include <stdint.h>
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

/*
 * A message as the plain way makes it, for msg_say to match: the template
 * read a brace at a time, each {key} replaced by its value (the text stops
 * at a key without one), and the args written a value at a time.
 */
static void reference_say(struct buf *text, struct buf *args, enum lang lang, const struct msg_def *d,
			  const struct msg_arg *a, size_t n)
{
	const char *t = lang == LANG_ZH ? d->zh : d->en;
	bool stopped = false;
	for (const char *open; !stopped && (open = strchr(t, '{')); t = strchr(open, '}') + 1) {
		buf_add(text, t, (size_t)(open - t));
		const char *close = strchr(open, '}');
		size_t len = close ? (size_t)(close - open - 1) : 0, k = 0;
		while (close && k < n && !(strlen(a[k].key) == len && strncmp(a[k].key, open + 1, len) == 0))
			k++;
		if (!close || k == n) {
			stopped = true;
			break;
		}
		if (a[k].text)
			buf_add(text, a[k].text, strnlen(a[k].text, a[k].len));
		else if (a[k].zh)
			buf_adds(text, lang == LANG_ZH ? a[k].zh : a[k].en);
		else
			buf_addf(text, "%llu", a[k].number);
	}
	if (!stopped)
		buf_adds(text, t);
	buf_adds(args, "{\"msg\":");
	jsonw_string(args, d->id, strlen(d->id));
	for (size_t k = 0; k < n; k++) {
		buf_addf(args, ",\"%s\":", a[k].key);
		if (a[k].text) {
			jsonw_string(args, a[k].text, strnlen(a[k].text, a[k].len));
		} else if (a[k].zh) {
			buf_adds(args, "{\"zh\":");
			jsonw_string(args, a[k].zh, strlen(a[k].zh));
			buf_adds(args, ",\"en\":");
			jsonw_string(args, a[k].en, strlen(a[k].en));
			buf_adds(args, "}");
		} else {
			buf_addf(args, "%llu", a[k].number);
		}
	}
	buf_adds(args, "}");
}

/* Values that escaping and template expansion must carry exactly; the last ones are not valid UTF-8. */
static const char *const hostile[] = {
	"plain", "", "a \"quoted\" word", "back\\slash", "ctl\x01\x1f\n\r\t", "{column}", "}{", "{", "}",
	"二氧化硫（SO₂）“引号”", "PM2.5", "0123456789abcdefghijklmnop", "超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标超标",
	"\xE4\xB8", "\xFF", "a\xC0\xAFz", "\xE4",
};
#define HOSTILE_CLEAN 13 /* the values before this index are valid UTF-8 */

/*
 * Every message of the catalogue in both languages, made by msg_say from
 * text, number and phrase parameters holding quotes, backslashes, control
 * bytes, braces, CJK, a NUL and invalid UTF-8, in template order and
 * reversed, with an extra parameter and with one missing: its text, args and
 * JSON text are what the plain way makes, and the JSON text is there
 * whenever the values are valid UTF-8.
 */
static void test_compiled_templates(void)
{
	int wrong = 0, missing_json = 0, made = 0;
	char first[600] = "";
	for (size_t i = 0; i < MSG_COUNT; i++) {
		const struct msg_def *d = &msg_defs[i];
		const char *keys[16];
		size_t lens[16], nkeys = 0;
		bool ok = true;
		nkeys = template_keys(d->zh, keys, lens, nkeys, 15, &ok);
		nkeys = template_keys(d->en, keys, lens, nkeys, 15, &ok);
		char names[16][32];
		for (size_t k = 0; k < nkeys; k++)
			snprintf(names[k], sizeof names[k], "%.*s", (int)lens[k], keys[k]);
		size_t nvalues = sizeof hostile / sizeof *hostile;
		for (size_t round = 0; round < 4 * nvalues; round++) {
			struct msg_arg args[16];
			size_t n = 0;
			bool clean = true;
			for (size_t k = 0; k < nkeys; k++) {
				size_t v = (round + 3 * k) % nvalues, w = (round + 5 * k + 1) % nvalues;
				switch ((round + k) % 4) {
				case 0: args[n] = ARG_TEXT(names[k], hostile[v]); clean &= v < HOSTILE_CLEAN; break;
				case 1: args[n] = ARG_NUM(names[k], round % 3 ? round * 99991u * (k + 1) : UINT64_MAX - k); break;
				case 2:
					args[n] = ARG_PHRASE(names[k], hostile[v], hostile[w]);
					clean &= v < HOSTILE_CLEAN && w < HOSTILE_CLEAN;
					break;
				default: args[n] = ARG_TEXTN(names[k], "be\0fore a NUL", 13); break; /* the text ends at the NUL */
				}
				n++;
			}
			if (round % 5 == 1 && n) /* one parameter missing: the text stops at it */
				n--;
			if (round % 7 == 2)
				args[n++] = ARG_TEXT("unused", hostile[round % nvalues]), clean &= round % nvalues < HOSTILE_CLEAN;
			if (round % 2) /* the callers' order is theirs */
				for (size_t k = 0; k < n / 2; k++) {
					struct msg_arg t = args[k];
					args[k] = args[n - 1 - k], args[n - 1 - k] = t;
				}
			for (int lang = LANG_EN; lang <= LANG_ZH; lang++) {
				struct msgbuf m = {0};
				struct buf text = {0}, want_args = {0}, json = {0};
				struct message said = msg_say(&m, (enum lang)lang, (enum msg_id)i, args, n);
				reference_say(&text, &want_args, (enum lang)lang, d, args, n);
				jsonw_string(&json, text.data ? text.data : "", text.len);
				made++;
				bool same = strcmp(said.text, text.data ? text.data : "") == 0 &&
					    strcmp(said.args, want_args.data) == 0 && said.args_len == want_args.len &&
					    (!said.json || (said.json_len == json.len && memcmp(said.json, json.data, json.len) == 0));
				if (!same && !wrong++)
					snprintf(first, sizeof first, "%s: text '%s' args %s json %s; want '%s' %s %s", d->id,
						 said.text, said.args, said.json ? said.json : "(none)", text.data, want_args.data,
						 json.data);
				if (clean && !said.json)
					missing_json++;
				msgbuf_free(&m), buf_free(&text), buf_free(&want_args), buf_free(&json);
			}
		}
	}
	CHECK("msg_say makes what a plain expansion makes", wrong == 0, "%d of %d differ; first: %s", wrong, made, first);
	CHECK("a message of valid UTF-8 carries its JSON text", missing_json == 0, "%d lack it", missing_json);
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
	test_compiled_templates();
	test_fallback();
	test_manual();
	test_goldens();
	return test_status();
}
