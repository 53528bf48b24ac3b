/* relay_test — items reach the helper in the order sent, and drain waits for all of them. */
#include "relay.h"
#include "test.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#define ITEMS 3
#define SENDS 10000

struct item {
	int value;
};

struct seen {
	int next;             /* the value the helper expects next */
	bool in_order;
	atomic_int consumed;
};

/* The helper's work: checks the order, now and then slowly (always just before a drain). */
static void consume(void *ctx, void *p)
{
	struct seen *s = ctx;
	struct item *it = p;
	if (it->value != s->next)
		s->in_order = false;
	s->next++;
	if (it->value % 1000 == 0 || it->value % 2500 == 1234)
		nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
	atomic_fetch_add(&s->consumed, 1);
}

int main(void)
{
	struct item items[ITEMS];
	void *ptrs[ITEMS];
	for (int i = 0; i < ITEMS; i++)
		ptrs[i] = &items[i];
	struct seen s = {.in_order = true};
	atomic_init(&s.consumed, 0);
	struct relay *r = relay_start(ptrs, ITEMS, consume, &s);
	CHECK("relay starts", r != NULL, "no thread");
	if (!r)
		return test_status();
	bool drained = true;
	for (int v = 0; v < SENDS; v++) {
		struct item *it = relay_free_item(r);
		it->value = v;
		relay_send(r, it);
		if (v % 2500 == 1234) {
			relay_drain(r);
			drained = drained && atomic_load(&s.consumed) == v + 1;
		}
	}
	relay_stop(r);
	CHECK("relay keeps the order", s.in_order, "an item came out of turn");
	CHECK("relay drain waits for every item sent", drained, "drain returned early");
	CHECK("relay stop consumes what is left", atomic_load(&s.consumed) == SENDS, "consumed %d of %d",
	      atomic_load(&s.consumed), SENDS);
	return test_status();
}
