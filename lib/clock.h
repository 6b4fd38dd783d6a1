/* clock.h - monotonic milliseconds, for retry intervals and deadlines. */
#ifndef BAKERY_CLOCK_H
#define BAKERY_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
long long clock_ms(void);

#endif
