/* relay.c — two queues of items (sent, free) under one lock, and the helper thread's loop. */
#include "relay.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/*
 * How long a thread that waits keeps looking before it sleeps: waking a
 * sleeping thread costs a system call on each side (and, in a virtual
 * machine, an interrupt between processors), more than a short wait.  A batch
 * of records takes well under this to fill or to check.
 */
#define SPIN_NS INT64_C(2000000)

/* The helper's stack: its work recurses no deeper than an expression (a few hundred levels). */
#define HELPER_STACK (1024 * 1024)

/* A ring of item pointers; it never holds more than the relay's item count. */
struct ring {
	void **items;
	size_t head, count, cap;
};

struct relay {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t sent_cond;   /* an item was sent, or the relay is stopping */
	pthread_cond_t free_cond;   /* an item came back, or the helper went idle */
	struct ring sent, free;
	atomic_size_t nsent, nfree; /* the rings' counts, for looking without the lock */
	bool busy;                  /* the helper is consuming an item */
	atomic_bool stopping;
	void (*consume)(void *ctx, void *item);
	void *ctx;
};

/* Puts an item at the back of a ring (never full: there are only so many items). */
static void ring_push(struct ring *q, void *item)
{
	q->items[(q->head + q->count++) % q->cap] = item;
}

/* Takes the item at the front of a non-empty ring. */
static void *ring_pop(struct ring *q)
{
	void *item = q->items[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	return item;
}

/* The monotonic clock in nanoseconds. */
static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Waits a little, without the lock, for a count to become non-zero or the relay to stop. */
static void spin_for(const struct relay *r, const atomic_size_t *count)
{
	int64_t until = 0;
	for (unsigned i = 1; !atomic_load_explicit(count, memory_order_relaxed) &&
			     !atomic_load_explicit(&r->stopping, memory_order_relaxed); i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if (i % 256 == 0) {
			int64_t t = now_ns();
			if (!until)
				until = t + SPIN_NS;
			else if (t > until)
				return;
		}
	}
}

/* The helper: consumes sent items in order until stopped with nothing left. */
static void *helper(void *arg)
{
	struct relay *r = arg;
	for (;;) {
		spin_for(r, &r->nsent);
		pthread_mutex_lock(&r->lock);
		while (r->sent.count == 0 && !r->stopping)
			pthread_cond_wait(&r->sent_cond, &r->lock);
		if (r->sent.count == 0) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		void *item = ring_pop(&r->sent);
		atomic_store(&r->nsent, r->sent.count);
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		r->consume(r->ctx, item);
		pthread_mutex_lock(&r->lock);
		r->busy = false;
		ring_push(&r->free, item);
		atomic_store(&r->nfree, r->free.count);
		pthread_cond_signal(&r->free_cond);
		pthread_mutex_unlock(&r->lock);
	}
}

struct relay *relay_start(void *const *items, size_t n, void (*consume)(void *ctx, void *item), void *ctx)
{
	struct relay *r = xcalloc(1, sizeof *r);
	r->consume = consume;
	r->ctx = ctx;
	r->sent = (struct ring){.items = xcalloc(n, sizeof *items), .cap = n};
	r->free = (struct ring){.items = xcalloc(n, sizeof *items), .cap = n};
	for (size_t i = 0; i < n; i++)
		ring_push(&r->free, items[i]);
	atomic_init(&r->nsent, 0);
	atomic_init(&r->nfree, n);
	atomic_init(&r->stopping, false);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->sent_cond, NULL);
	pthread_cond_init(&r->free_cond, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, HELPER_STACK);
	int failed = pthread_create(&r->thread, &attr, helper, r);
	pthread_attr_destroy(&attr);
	if (failed) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->sent_cond);
		pthread_cond_destroy(&r->free_cond);
		free(r->sent.items), free(r->free.items), free(r);
		return NULL;
	}
	return r;
}

void *relay_free_item(struct relay *r)
{
	spin_for(r, &r->nfree);
	pthread_mutex_lock(&r->lock);
	while (r->free.count == 0)
		pthread_cond_wait(&r->free_cond, &r->lock);
	void *item = ring_pop(&r->free);
	atomic_store(&r->nfree, r->free.count);
	pthread_mutex_unlock(&r->lock);
	return item;
}

void relay_send(struct relay *r, void *item)
{
	pthread_mutex_lock(&r->lock);
	ring_push(&r->sent, item);
	atomic_store(&r->nsent, r->sent.count);
	pthread_cond_signal(&r->sent_cond);
	pthread_mutex_unlock(&r->lock);
}

void relay_drain(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->sent.count || r->busy)
		pthread_cond_wait(&r->free_cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void relay_stop(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->sent_cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->sent_cond);
	pthread_cond_destroy(&r->free_cond);
	free(r->sent.items), free(r->free.items), free(r);
}
