/*
 * progress.h — a progress bar on standard error for long runs on a terminal:
 * bytes read of the total, the rate and files done of N, redrawn at most ten
 * times a second once a run has taken a second (QY_PROGRESS_AFTER sets that
 * delay in seconds).  Never drawn when standard error is not a terminal.
 */
#ifndef QY_PROGRESS_H
#define QY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled, shown;
	double start, last, after;
	uint64_t total, done;
	int files, nfiles;
};

/* Starts a bar over total bytes (0 if unknown) in nfiles files. */
void progress_init(struct progress *p, uint64_t total, int nfiles);
/* Counts bytes read and redraws when due. */
void progress_bytes(struct progress *p, uint64_t n);
/* Counts a finished file and redraws when due. */
void progress_file_done(struct progress *p);
/* Erases the bar so that other output starts on a clean line. */
void progress_clear(struct progress *p);

#endif
