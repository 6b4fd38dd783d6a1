/* worker.h - one worker process: the consume loop (SPEC §7.3-7.6). */
#ifndef BAKERY_WORKER_WORKER_H
#define BAKERY_WORKER_WORKER_H

struct config;

/* Runs one single-threaded worker, with up to BAKERY_WORKER_INFLIGHT orders
 * in payment at once, until SIGTERM or SIGINT, which the caller must have
 * blocked (they are taken with sigtimedwait in the event loop, so the
 * orders in flight are settled and acked first).
 * Returns the process exit status: 0 after a graceful stop, 1 when it could
 * not start. */
int worker_run(const struct config *cfg);

#endif
