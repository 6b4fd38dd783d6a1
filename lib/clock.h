/* clock.h - monotonic time: milliseconds for deadlines, timeouts as the
 * struct timeval the client libraries take, and the retry gate that spaces
 * out reconnect attempts. */
#ifndef BAKERY_CLOCK_H
#define BAKERY_CLOCK_H

#include <sys/time.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
long long clock_ms(void);

/* ms as a struct timeval (a timeout, not a point in time). */
struct timeval clock_timeval(int ms);

/* Lets at most one attempt through per interval: a dead server then costs
 * each caller one quick failure instead of a connect timeout. Initialise
 * with CLOCK_GATE(interval_ms). */
struct clock_gate {
	int interval_ms;
	long long next_ms; /* earliest time of the next attempt */
};

#define CLOCK_GATE(interval_ms) ((struct clock_gate){ (interval_ms), 0 })

/* 1 when an attempt may be made now (the gate then stays shut for the
 * interval), 0 when the last one was too recent. */
int clock_gate_pass(struct clock_gate *g);

/* Lets the next attempt through at once: for a connection just found dead,
 * whose replacement is worth trying without waiting. */
void clock_gate_open(struct clock_gate *g);

#endif
