/* stream.c — the diagnostic stream, read back line by line. */
#include "stream.h"
#include "msgcat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void stream_open(struct stream *s, char **inputs, int n, bool lenient)
{
	static char *stdin_only[] = {"-"};
	memset(s, 0, sizeof *s);
	s->inputs = n ? inputs : stdin_only;
	s->ninputs = n ? n : 1;
	s->lenient = lenient;
}

void stream_close(struct stream *s)
{
	if (s->f && s->f != stdin)
		fclose(s->f);
	s->f = NULL;
	json_decref(s->obj);
	s->obj = NULL;
	buf_free(&s->line);
}

/* Opens the next input; false when there is none left or it cannot be read. */
static int open_next(struct stream *s)
{
	if (s->f && s->f != stdin)
		fclose(s->f);
	s->f = NULL;
	if (s->next >= s->ninputs)
		return 0;
	s->name = s->inputs[s->next++];
	s->lineno = 0;
	if (strcmp(s->name, "-") == 0) {
		s->f = stdin;
		s->name = "(stdin)";
		return 1;
	}
	if (!(s->f = fopen(s->name, "r"))) {
		warnmsg("%s: %s", s->name, strerror(errno));
		return -1;
	}
	return 1;
}

/* Reads one line into s->line; false at the end of the input. */
static bool read_line(struct stream *s)
{
	buf_reset(&s->line);
	int c;
	while ((c = getc(s->f)) != EOF && c != '\n')
		buf_addc(&s->line, (char)c);
	if (c == EOF && s->line.len == 0)
		return false;
	s->lineno++;
	return true;
}

/*
 * A string member of o, or NULL.  A cell with a NUL byte in it (qy-check
 * reports it and writes it \u0000) is given as qy-check's text shows it,
 * with \u0000 in the NUL's place, so that it is not cut short there.
 */
static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return NULL;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) == n)
		return s;
	struct buf shown = {0};
	for (size_t i = 0; i < n; i++) {
		if (s[i])
			buf_addc(&shown, s[i]);
		else
			buf_add(&shown, "\\u0000", 6);
	}
	json_string_setn(v, shown.data, shown.len);
	buf_free(&shown);
	return json_string_value(v);
}

static uint64_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/*
 * Reads a count of a file record into *out: a whole number >= 0, or absent
 * when optional.  Returns false for anything else (-5, 1.5, "3").
 */
static bool count_ok(json_t *o, const char *key, bool optional, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v)
		return optional;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Fills a file record; returns a reason when it cannot be trusted. */
static const char *fill_file(struct record *r, json_t *o)
{
	static const char *const severities[] = {"info", "warning", "error"};
	static const char *const bad_count[] = {
		"\"counts\".\"info\" must be a whole number from 0",
		"\"counts\".\"warning\" must be a whole number from 0",
		"\"counts\".\"error\" must be a whole number from 0",
	};
	json_t *counts = json_object_get(o, "counts");
	if (!(r->file = str(o, "file")))
		return "file";
	if (!json_is_object(counts))
		return "counts";
	for (int s = SEV_ERROR; s >= SEV_INFO; s--)
		if (!count_ok(counts, severities[s], false, &r->counts[s]))
			return bad_count[s];
	if (!count_ok(o, "records", true, &r->records))
		return "\"records\" must be a whole number from 0";
	if (!count_ok(o, "bytes", true, &r->bytes))
		return "\"bytes\" must be a whole number from 0";
	if (!count_ok(o, "suppressed", true, &r->suppressed))
		return "\"suppressed\" must be a whole number from 0";
	r->ruleset = str(o, "ruleset");
	r->county = str(o, "county");
	r->sheet = str(o, "sheet");
	r->status = str(o, "status");
	if (!r->status || (strcmp(r->status, "pass") && strcmp(r->status, "fail") && strcmp(r->status, "error")))
		return "\"status\" must be \"pass\", \"fail\" or \"error\"";
	return NULL;
}

/* Fills a record from its parsed object; returns a reason when the record is unusable. */
static const char *fill(struct record *r, json_t *o)
{
	const char *type = str(o, "type");
	memset(r, 0, sizeof *r);
	r->obj = o;
	if (!type)
		return "no \"type\"";
	if (strcmp(type, "diagnostic") == 0) {
		r->type = REC_DIAGNOSTIC;
		const char *sev = str(o, "severity");
		if (!sev || !severity_from_name(sev, &r->severity, false))
			return "no valid \"severity\"";
		static const char *const need[] = {"code", "rule", "file", "message"};
		const char **slots[] = {&r->code, &r->rule, &r->file, &r->message};
		for (int i = 0; i < 4; i++)
			if (!(*slots[i] = str(o, need[i])))
				return need[i];
		r->column = str(o, "column");
		r->cell = str(o, "cell");
		r->value = str(o, "value");
		r->expected = str(o, "expected");
		r->county = str(o, "county");
		r->plan = str(o, "plan");
		r->args = json_object_get(o, "args");
		r->line = num(o, "line");
		r->row = num(o, "row");
		r->sheet = str(o, "sheet");
		return NULL;
	}
	if (strcmp(type, "file") == 0) {
		r->type = REC_FILE;
		return fill_file(r, o);
	}
	if (strcmp(type, "facts") == 0) { /* the rest is qy-reconcile's to check */
		r->type = REC_FACTS;
		r->ruleset = str(o, "ruleset");
		r->sheet = str(o, "sheet");
		return (r->file = str(o, "file")) ? NULL : "file";
	}
	if (strcmp(type, "reconcile") == 0) {
		r->type = REC_RECONCILE;
		return NULL;
	}
	r->type = REC_OTHER; /* a record type from a newer version: passed through */
	r->file = str(o, "file");
	return NULL;
}

int stream_next(struct stream *s, struct record *r)
{
	for (;;) {
		if (!s->f) {
			int opened = open_next(s);
			if (opened <= 0)
				return opened;
		}
		if (!read_line(s)) {
			if (ferror(s->f)) {
				warnmsg("%s: read error", s->name);
				return -1;
			}
			if (s->f != stdin)
				fclose(s->f);
			s->f = NULL;
			continue;
		}
		json_decref(s->obj);
		json_error_t err;
		s->obj = json_loadb(s->line.data ? s->line.data : "", s->line.len, JSON_ALLOW_NUL, &err);
		const char *why = !s->obj ? err.text : !json_is_object(s->obj) ? "not a JSON object" : fill(r, s->obj);
		if (!why) {
			r->text = s->line.data;
			r->len = s->line.len;
			return 1;
		}
		warnmsg("%s:%llu: not a diagnostic record (%s%s)%s", s->name, (unsigned long long)s->lineno,
			why, s->obj && json_is_object(s->obj) && !strchr(why, ' ') ? " missing" : "",
			s->lenient ? "; skipped" : "");
		if (!s->lenient)
			return -1;
		s->skipped++;
	}
}

const char *record_message(const struct record *r, enum lang lang, struct buf *out)
{
	return msg_render(out, lang, r->args) ? out->data : r->message;
}

const char *record_ruleset(const struct record *r, char *out, size_t size)
{
	const char *slash = r->rule ? strchr(r->rule, '/') : NULL;
	snprintf(out, size, "%.*s", slash ? (int)(slash - r->rule) : 0, slash ? r->rule : "");
	return out;
}
