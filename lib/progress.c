/* progress.c — drawing the progress bar. */
#include "progress.h"
#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, uint64_t total, int nfiles)
{
	const char *after = getenv("QY_PROGRESS_AFTER");
	*p = (struct progress){.enabled = platform_escapes(STDERR_FILENO), .total = total, .nfiles = nfiles};
	p->after = after ? atof(after) : 1.0;
	p->start = p->last = now();
}

/* The terminal's width, or 80. */
static int terminal_width(void)
{
	int width = platform_terminal_width(STDERR_FILENO);
	return width > 20 ? width : 80;
}

/* Redraws the bar when the run has lasted long enough and the last draw is old. */
static void draw(struct progress *p, bool force)
{
	double t = now();
	if (!p->enabled || t - p->start < p->after || (!force && t - p->last < 0.1))
		return;
	p->last = t;
	p->shown = true;
	char info[128];
	double mb = (double)p->done / 1e6, rate = mb / (t - p->start > 1e-6 ? t - p->start : 1e-6);
	int n = p->total ? snprintf(info, sizeof info, " %3d%% %.1f/%.1f MB %.1f MB/s %d/%d files",
				    (int)(100.0 * (double)p->done / (double)p->total), mb, (double)p->total / 1e6, rate,
				    p->files, p->nfiles)
			 : snprintf(info, sizeof info, " %.1f MB %.1f MB/s %d/%d files", mb, rate, p->files, p->nfiles);
	int bar = terminal_width() - n - 3;
	if (bar > 40)
		bar = 40;
	fputs("\r[", stderr);
	int filled = p->total && bar > 0 ? (int)((double)bar * (double)p->done / (double)p->total) : 0;
	for (int i = 0; i < bar; i++)
		fputc(i < filled ? '#' : '-', stderr);
	fputc(']', stderr);
	fputs(info, stderr);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void progress_bytes(struct progress *p, uint64_t n)
{
	p->done += n;
	draw(p, false);
}

void progress_file_done(struct progress *p)
{
	p->files++;
	draw(p, p->files == p->nfiles);
}

void progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
}
