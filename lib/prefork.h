/* prefork.h - a supervisor process and the N children it forks, restarts
 * and stops: the process model of bakery-api's pool and bakery-worker
 * --concurrency. */
#ifndef BAKERY_PREFORK_H
#define BAKERY_PREFORK_H

#include <signal.h>

#define PREFORK_MAX 256

struct prefork {
	const char *name;        /* what a child is, for log lines: "responder" */
	int nprocs;              /* children to keep running, 1..PREFORK_MAX */
	int grace_s;             /* stopping: how long children may finish before SIGKILL */
	int (*child)(const void *arg); /* runs in each child; returns its exit status */
	const void *arg;         /* borrowed, passed to child */
	const sigset_t *child_mask; /* signals blocked when child starts; NULL: none */
	/* Non-NULL: SIGHUP re-executes the binary with these arguments, which
	 * starts fresh children and lets the old ones finish. NULL: SIGHUP is
	 * left as the caller set it. */
	char **reexec_argv;
	int handover_fd;         /* with reexec_argv: kept open across the re-exec; -1 none */
};

/* Forks the children and supervises them until SIGTERM or SIGINT: a child
 * that dies is restarted, at most once a second per slot so a crash loop does
 * not spin. Stopping passes SIGTERM to every child and waits for them, up to
 * grace_s, then SIGKILLs the rest. Children get SIGTERM when the supervisor
 * dies, even by SIGKILL, so none outlives it. Returns 0 once every child has
 * exited. */
int prefork_run(const struct prefork *spec);

/* The handover_fd a re-executing supervisor passed on: 0 with *fd set, or
 * with *fd = -1 when this process was not started by a reload; -1 (logged)
 * when what was passed is not an open socket. */
int prefork_inherited_fd(int *fd);

#endif
