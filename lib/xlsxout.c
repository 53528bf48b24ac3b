/* xlsxout.c — a libxlsxwriter workbook made in a temporary file, then sent to stdout. */
#include "xlsxout.h"
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xlsxout_start(struct xlsxout *o, bool rows_in_order)
{
	if (isatty(STDOUT_FILENO))
		die(EXIT_TROUBLE, "refusing to write a workbook to a terminal; redirect it to a file (> name.xlsx)");
	const char *dir = platform_temp_dir();
	struct buf path = {0};
	buf_addf(&path, "%s/qy-xlsx-XXXXXX", dir);
	int fd = mkstemp(path.data);
	if (fd < 0)
		die(EXIT_TROUBLE, "cannot create a temporary file in %s: %s", dir, strerror(errno));
	close(fd);
	o->path = path.data;
	lxw_workbook_options opt = {.constant_memory = rows_in_order, .tmpdir = (char *)dir};
	o->book = workbook_new_opt(o->path, &opt);
	if (!o->book) {
		unlink(o->path);
		die(EXIT_TROUBLE, "cannot start a workbook in %s", o->path);
	}
}

void xlsxout_finish(struct xlsxout *o)
{
	lxw_error err = workbook_close(o->book);
	o->book = NULL;
	FILE *f = err == LXW_NO_ERROR ? fopen(o->path, "rb") : NULL;
	if (!f) {
		int why = errno;
		unlink(o->path);
		die(EXIT_TROUBLE, "cannot write the workbook: %s", err != LXW_NO_ERROR ? lxw_strerror(err) : strerror(why));
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, stdout);
	fclose(f);
	unlink(o->path); /* once closed: Windows removes no file that is open */
	free(o->path);
	o->path = NULL;
}
