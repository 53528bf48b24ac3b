/*
 * relay.h — hands work items, in order, from the calling thread to one
 * helper thread.  The caller owns a fixed set of items: it takes a free one,
 * fills it and sends it; the helper consumes items in the order they were
 * sent and gives each back.  Used to run the order-bound part of a check
 * (unique keys, written rules, output) beside the reading and cell checks.
 */
#ifndef QY_RELAY_H
#define QY_RELAY_H

#include <stddef.h>

struct relay;

/*
 * Starts the helper thread, which calls consume(ctx, item) for every item
 * sent.  items[0..n) start out free.  Returns NULL if no thread can be made.
 */
struct relay *relay_start(void *const *items, size_t n, void (*consume)(void *ctx, void *item), void *ctx);

/* Waits for a free item (one never sent, or one consumed) and returns it. */
void *relay_free_item(struct relay *r);

/* Queues a filled item for the helper. */
void relay_send(struct relay *r, void *item);

/* Waits until the helper has consumed every item sent: after it, the caller may touch what the helper does. */
void relay_drain(struct relay *r);

/* Drains, stops the helper thread and frees the relay (not the items). */
void relay_stop(struct relay *r);

#endif
