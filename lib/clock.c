/* clock.c - the one monotonic clock of both binaries, and what is built on
 * it. */
#include "clock.h"

#include <time.h>

long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timeval clock_timeval(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return tv;
}

int clock_gate_pass(struct clock_gate *g)
{
	long long now = clock_ms();

	if (now < g->next_ms)
		return 0;
	g->next_ms = now + g->interval_ms;
	return 1;
}

void clock_gate_open(struct clock_gate *g)
{
	g->next_ms = 0;
}
