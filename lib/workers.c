/*
 * workers.c — worker processes, their output framed through pipes and written
 * in order.  How a worker is started, waited for and read from is the
 * system's business (platform.h); what goes through the pipes and in what
 * order the parent writes it is this file's.
 */
#include "workers.h"
#include "platform.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_DATA (64u << 10)   /* a worker sends an item's output in frames of about this much */
#define READ_SIZE PLATFORM_PIPE_ROOM /* all a pipe may hold at once */
#define MORE (-1)                /* the status in a frame that is not its item's last */

/* What comes before a frame's records, and its stderr text after them, in a pipe. */
struct frame_head {
	int32_t item, status;    /* status: the item's exit status in its last frame, else MORE */
	uint64_t len;            /* bytes of records that follow */
	uint64_t errlen;         /* bytes of stderr text after the records */
	uint64_t counts[3];      /* the item's findings so far, by severity */
};

struct workers_out {
	int fd;
	int item;
	struct buf frame;        /* room for a frame_head, then records not sent yet (and stderr text) */
	uint64_t counts[3];
};

/*
 * The counter the workers take items from, in memory they share with the
 * parent, and the item each worker slot took last (-1: none), so that the
 * parent knows what a worker was doing when it died before sending anything.
 */
struct queue {
	atomic_int next;
	atomic_int doing[];
};

/* A worker as the parent sees it. */
struct worker {
	struct platform_worker *proc; /* the process and its pipe, or NULL once it ended */
	int slot;                /* its place in queue->doing */
	struct buf in;           /* bytes read that do not make a whole frame yet */
	int last_item;           /* the item of its last frame, or -1 */
};

/* An item as the parent sees it. */
struct item {
	struct buf waiting;      /* output that waits for an earlier item */
	struct buf waiting_err;  /* stderr text that waits for an earlier item */
	uint64_t counts[3];
	int status;
	bool done;               /* its last frame came (or it was lost) */
};

struct run {
	const struct workers_job *job;
	struct queue *queue;
	size_t shared;           /* the size of queue */
	struct worker *workers;
	int nworkers, respawns;
	struct item *items;
	int head;                /* the item being written; every one before it is written */
	size_t waiting;          /* bytes in the items' waiting buffers, stderr text too */
	int worst;
	bool write_failed;
};

/* ---- in a worker ---- */

/* Writes all of p to the parent; a worker whose parent is gone ends quietly. */
static void send_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(EXIT_TROUBLE);
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/*
 * Sends the records gathered for the item, and the errlen bytes of stderr
 * text after them, as one frame, its last when status is not MORE.
 */
static void send_frame(struct workers_out *w, int status, size_t errlen)
{
	struct frame_head h = {.item = w->item, .status = status, .errlen = errlen};
	h.len = w->frame.len - sizeof h - errlen;
	memcpy(h.counts, w->counts, sizeof h.counts);
	memcpy(w->frame.data, &h, sizeof h);
	send_all(w->fd, w->frame.data, w->frame.len);
	w->frame.len = sizeof h;
}

void workers_send(struct workers_out *w, const char *data, size_t len, const uint64_t counts[3])
{
	buf_add(&w->frame, data, len);
	memcpy(w->counts, counts, sizeof w->counts);
	if (w->frame.len - sizeof(struct frame_head) >= FRAME_DATA)
		send_frame(w, MORE, 0);
}

void workers_send_err(struct workers_out *w, const char *text, size_t len)
{
	buf_add(&w->frame, text, len);
	send_frame(w, MORE, len);
}

static void free_run(struct run *r);

/*
 * A worker's life: takes items from the shared counter until none is left,
 * sending each one's output and status on fd.  It dies with the parent.
 */
static void __attribute__((noreturn)) work(struct run *r, int slot, int fd)
{
	platform_worker_bind();
	for (int w = 0; w < r->nworkers; w++) /* the other workers' pipes are not its business */
		if (r->workers[w].proc) {
			platform_worker_forget(r->workers[w].proc);
			r->workers[w].proc = NULL;
		}
	struct workers_out out = {.fd = fd};
	struct frame_head blank = {0};
	buf_add(&out.frame, &blank, sizeof blank);
	int i;
	/* a parent that is gone stops the work, where the system does not end the worker with it */
	while (platform_parent_alive() && (i = atomic_fetch_add(&r->queue->next, 1)) < r->job->nitems) {
		atomic_store(&r->queue->doing[slot], i);
		out.item = i;
		memset(out.counts, 0, sizeof out.counts);
		send_frame(&out, r->job->run(r->job->ctx, i, &out), 0);
	}
	buf_free(&out.frame);
	close(fd);
	free_run(r);
	if (r->job->cleanup)
		r->job->cleanup(r->job->ctx);
	platform_worker_unbind();
	_exit(EXIT_PASS);
}

/* A forked worker's start: its work. */
static void forked(void *ctx, int slot, int fd)
{
	work(ctx, slot, fd);
}

/* ---- in the parent ---- */

/* Starts a worker in a slot with a pipe of its own; false (said on stderr) when it cannot. */
static bool spawn(struct run *r, int slot)
{
	atomic_store(&r->queue->doing[slot], -1);
	struct platform_worker *proc = platform_worker_start(slot, r->job->restart_args, forked, r);
	if (!proc)
		return false;
	r->workers = xrealloc(r->workers, (size_t)(r->nworkers + 1) * sizeof *r->workers);
	r->workers[r->nworkers++] = (struct worker){.proc = proc, .slot = slot, .last_item = -1};
	return true;
}

/* Writes output of the head item; after a failed write nothing more is written. */
static void write_out(struct run *r, const char *data, size_t len)
{
	if (len && !r->write_failed && !r->job->write(r->job->ctx, data, len))
		r->write_failed = true;
}

/* Writes stderr text of the head item; after a failed write of output nothing more is written. */
static void write_err(struct run *r, const char *text, size_t len)
{
	if (len && !r->write_failed)
		r->job->write_err(r->job->ctx, text, len);
}

/* Writes out what waited for item i, which is now the head: its records, then its stderr text. */
static void flush_waiting(struct run *r, int i)
{
	struct item *it = &r->items[i];
	write_out(r, it->waiting.data, it->waiting.len);
	write_err(r, it->waiting_err.data, it->waiting_err.len);
	r->waiting -= it->waiting.len + it->waiting_err.len;
	buf_free(&it->waiting);
	buf_free(&it->waiting_err);
}

/*
 * Takes records and stderr text of item i: written when it is the head,
 * kept until then otherwise.
 */
static void put(struct run *r, int i, const char *data, size_t len, const char *err, size_t errlen)
{
	if (i == r->head) {
		write_out(r, data, len);
		write_err(r, err, errlen);
		return;
	}
	buf_add(&r->items[i].waiting, data, len);
	if (errlen) /* most items say nothing on stderr */
		buf_add(&r->items[i].waiting_err, err, errlen);
	r->waiting += len + errlen;
}

/* Marks item i done with its status and writes every item that was waiting for it. */
static void finish_item(struct run *r, int i, int status)
{
	r->items[i].done = true;
	r->items[i].status = status;
	if (status > r->worst)
		r->worst = status;
	while (r->head < r->job->nitems && r->items[r->head].done) {
		if (r->job->done)
			r->job->done(r->job->ctx, r->head);
		if (++r->head < r->job->nitems)
			flush_waiting(r, r->head);
	}
}

/* Closes an item whose worker died: the job's callback says what stands for the rest. */
static void lose(struct run *r, int i, int how)
{
	struct buf out = {0}, err = {0};
	int status = r->job->lost(r->job->ctx, i, r->items[i].counts, how, &out, &err);
	put(r, i, out.data, out.len, err.data, err.len);
	buf_free(&out);
	buf_free(&err);
	finish_item(r, i, status);
}

/* True while items are left that no worker took. */
static bool items_left(const struct run *r)
{
	return atomic_load(&r->queue->next) < r->job->nitems;
}

/*
 * Reaps a worker whose pipe closed.  The item it was doing, if any, is lost;
 * a worker that died is replaced while items are left.
 */
static void worker_ended(struct run *r, struct worker *w)
{
	int how = platform_worker_end(w->proc), status, sig;
	const char *name;
	w->proc = NULL;
	buf_free(&w->in);
	bool clean = platform_exited(how, &status) && status == 0;
	int doing = atomic_load(&r->queue->doing[w->slot]);
	if (doing >= 0 && doing < r->job->nitems && !r->items[doing].done)
		lose(r, doing, how);
	else if (!clean && !r->write_failed) {
		if (platform_signalled(how, &sig, &name))
			warnmsg("a worker was killed by signal %d (%s)", sig, name);
		else
			warnmsg("a worker ended with status %d", platform_exited(how, &status) ? status : -1);
	}
	if (!clean && items_left(r) && r->respawns < r->job->nitems && !r->write_failed && spawn(r, w->slot))
		r->respawns++;
}

/*
 * Takes one frame from worker w, its records at data and its stderr text
 * after them; false when it makes no sense (the worker is then ended).
 */
static bool take_frame(struct run *r, struct worker *w, const struct frame_head *h, const char *data)
{
	if (h->item < w->last_item || h->item >= r->job->nitems || h->item < 0 || r->items[h->item].done ||
	    (h->status != MORE && (h->status < 0 || h->status > EXIT_BADRULES)))
		return false;
	w->last_item = h->item;
	memcpy(r->items[h->item].counts, h->counts, sizeof h->counts);
	put(r, h->item, data, (size_t)h->len, data + h->len, (size_t)h->errlen);
	if (h->status != MORE)
		finish_item(r, h->item, h->status);
	return true;
}

/* Reads what worker w sent and takes every whole frame in it. */
static void read_worker(struct run *r, struct worker *w)
{
	buf_grow(&w->in, READ_SIZE);
	long got = platform_worker_read(w->proc, w->in.data + w->in.len, READ_SIZE);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		worker_ended(r, w);
		return;
	}
	w->in.len += (size_t)got;
	size_t at = 0;
	struct frame_head h;
	while (w->in.len - at >= sizeof h) {
		memcpy(&h, w->in.data + at, sizeof h);
		size_t have = w->in.len - at - sizeof h;
		if (have < h.len || have - h.len < h.errlen)
			break;
		if (!take_frame(r, w, &h, w->in.data + at + sizeof h)) {
			warnmsg("a worker sent output that makes no sense; it is stopped");
			platform_worker_kill(w->proc);
			worker_ended(r, w);
			return;
		}
		at += sizeof h + h.len + h.errlen;
	}
	w->in.len -= at;
	memmove(w->in.data, w->in.data + at, w->in.len);
}

/* True if a running worker may be doing item i: it sent nothing of a later one. */
static bool may_be_doing(const struct worker *w, int i)
{
	return w->proc && w->last_item <= i;
}

/*
 * Settles a head item that no running worker can be doing: it was taken by
 * a worker that died before sending a frame (lost), or no worker is left to
 * take it (a new one is started, or it is lost when none can be).
 */
static void settle_head(struct run *r)
{
	int i = r->head;
	if (i >= r->job->nitems || r->items[i].done)
		return;
	for (int w = 0; w < r->nworkers; w++)
		if (may_be_doing(&r->workers[w], i))
			return;
	/* no worker runs now: slot 0 is free */
	if (atomic_load(&r->queue->next) > i || r->respawns >= r->job->nitems || !spawn(r, 0))
		lose(r, i, -1);
	else
		r->respawns++;
}

/* Waits for output from the workers that matter now and takes it. */
static void gather(struct run *r)
{
	struct platform_worker **procs = xcalloc((size_t)r->nworkers + 1, sizeof *procs);
	bool *ready = xcalloc((size_t)r->nworkers + 1, sizeof *ready);
	int *who = xcalloc((size_t)r->nworkers + 1, sizeof *who);
	/* with too much waiting, only the worker of the head item is read; the others wait */
	bool throttled = r->waiting > WORKERS_WAITING_MAX;
	int n = 0;
	for (int w = 0; w < r->nworkers; w++)
		if (r->workers[w].proc && (!throttled || may_be_doing(&r->workers[w], r->head))) {
			procs[n] = r->workers[w].proc;
			who[n++] = w;
		}
	int nready = platform_worker_poll(procs, n, ready);
	if (nready < 0 && errno != EINTR)
		die(EXIT_TROUBLE, "waiting for the workers: %s", strerror(errno));
	for (int k = 0; nready > 0 && k < n; k++)
		if (ready[k] && r->workers[who[k]].proc)
			read_worker(r, &r->workers[who[k]]);
	free(procs);
	free(ready);
	free(who);
	settle_head(r);
}

/* Frees what the parent keeps of the run (not the shared counter). */
static void free_run(struct run *r)
{
	for (int w = 0; w < r->nworkers; w++)
		buf_free(&r->workers[w].in);
	free(r->workers);
	for (int i = 0; i < r->job->nitems; i++) {
		buf_free(&r->items[i].waiting);
		buf_free(&r->items[i].waiting_err);
	}
	free(r->items);
}

int workers_run(const struct workers_job *job)
{
	struct run r = {.job = job};
	r.shared = sizeof *r.queue + (size_t)job->nworkers * sizeof r.queue->doing[0];
	r.items = xcalloc((size_t)job->nitems + 1, sizeof *r.items);
	int slot, fd;
	void *queue;
	if (platform_worker_child(&slot, &fd, &queue, r.shared)) { /* a worker started as a new program */
		r.queue = queue;
		work(&r, slot, fd);
	}
	if (!(r.queue = platform_shared_new(r.shared)))
		die(EXIT_TROUBLE, "cannot share the list of files with workers: %s", strerror(errno));
	atomic_init(&r.queue->next, 0);
	for (int w = 0; w < job->nworkers && spawn(&r, w); w++)
		;
	if (!r.nworkers)
		die(EXIT_TROUBLE, "no worker could be started");
	while (r.head < job->nitems && !r.write_failed)
		gather(&r);
	for (int w = 0; w < r.nworkers; w++) {
		struct worker *wk = &r.workers[w];
		if (!wk->proc)
			continue;
		if (r.write_failed)
			platform_worker_kill(wk->proc);
		platform_worker_end(wk->proc);
		wk->proc = NULL;
	}
	platform_shared_free(r.queue, r.shared);
	int worst = r.write_failed ? -1 : r.worst;
	free_run(&r);
	return worst;
}

int workers_processors(void) { return platform_usable_processors(); }
