/*
 * workers.h — items of work (files to check) done by worker processes, their
 * output written in item order.  Workers take items in order from a counter
 * they share; each sends its output to the parent through a pipe of its own,
 * in frames of whole records, and the parent writes an item's output as soon
 * as every item before it is written.  Only output that waits for an earlier
 * item is held, in memory, and at most WORKERS_WAITING_MAX bytes of it: past
 * that, the parent reads only from the worker of the item it is writing, and
 * the others wait.  No temporary file is made.
 *
 * What a worker has to say on stderr about an item goes the same way, in
 * the same frames (each carries records, then stderr text), and the parent
 * writes it when it writes the item's records: the stderr of a run is in
 * item order too, the same as one process would write it.
 *
 * A worker that dies (killed, out of memory) leaves its item to a callback
 * that says what stands for the rest of its output and its stderr; the other
 * items are done by the other workers (or a new one).  The workers die with
 * the parent (PR_SET_PDEATHSIG where the system has it, a thread that waits
 * for it on Windows, and a check of the parent between items), so killing a
 * run leaves nothing running.
 *
 * Where processes fork, a worker is a copy of the parent.  On Windows it is
 * the same program started again with the same arguments (and the job's
 * restart_args before them): it must reach workers_run with the same job,
 * and there it works instead of starting workers.
 */
#ifndef QY_WORKERS_H
#define QY_WORKERS_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Output waiting for an earlier item, at most: beyond it the workers ahead wait. */
#define WORKERS_WAITING_MAX (16u << 20)

/* A worker's way to the parent. */
struct workers_out;

/*
 * Sends whole records of the item being done to the parent, and its counts
 * of findings so far by severity (info, warning, error).
 */
void workers_send(struct workers_out *w, const char *data, size_t len, const uint64_t counts[3]);

/*
 * Sends text for stderr about the item being done (whole lines) to the
 * parent at once, so that it is not lost if the worker dies afterwards.
 */
void workers_send_err(struct workers_out *w, const char *text, size_t len);

struct workers_job {
	int nitems, nworkers;
	/*
	 * Options that make a worker started as a new program see the run as
	 * the parent does (such as a date the parent took from its clock), or
	 * NULL; put before the parent's own arguments.
	 */
	char *const *restart_args;
	void *ctx;
	/* In a worker: does an item, its output through workers_send; returns its exit status. */
	int (*run)(void *ctx, int item, struct workers_out *out);
	/* In a worker, before it exits: frees what it inherited. */
	void (*cleanup)(void *ctx);
	/*
	 * In the parent: the worker doing item died after sending the records
	 * counted in counts; how says how it ended (platform_exited,
	 * platform_signalled), -1 when unknown.  Appends the records that close
	 * the item to out, what to say of it on stderr to err, and returns its
	 * exit status.
	 */
	int (*lost)(void *ctx, int item, const uint64_t counts[3], int how, struct buf *out, struct buf *err);
	/* In the parent: writes whole records of an item; false when that failed. */
	bool (*write)(void *ctx, const char *data, size_t len);
	/* In the parent: writes an item's stderr text, in its place among the items. */
	void (*write_err)(void *ctx, const char *text, size_t len);
	/* In the parent: an item's output is all written. */
	void (*done)(void *ctx, int item);
};

/*
 * Does the job; returns the worst exit status of the items.  When output
 * cannot be written, stops the workers and returns -1.  Exits 2 with a
 * message when no worker can be started.
 */
int workers_run(const struct workers_job *job);

/* The processors this process may run on: more workers than that only take turns. */
int workers_processors(void);

#endif
