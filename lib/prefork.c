/* prefork.c - the supervisor of a pre-forked pool, shared by bakery-api
 * (--listen/--processes) and bakery-worker (--concurrency).
 *
 * The supervisor only forks, reaps and signals: it holds no connection, so
 * a child's crash never harms it, and it takes its signals synchronously
 * with sigtimedwait, so no handler runs while it walks the slots. A reload
 * (SIGHUP) re-executes the binary in the same pid, which keeps the old
 * children as its own: the new image starts its children first, then asks
 * the old ones to finish, so a listening socket handed over is never left
 * without an accepting process. */
#include "prefork.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Environment variables a re-executing supervisor sets for its new image. */
#define FD_VAR       "BAKERY_LISTEN_FD"
#define OLD_PIDS_VAR "BAKERY_OLD_PIDS"
#define STOP_POLL_MS 50
#define KILL_WAIT_S  5 /* after SIGKILL, before it is sent again */

extern char **environ;

struct pool {
	const struct prefork *spec;
	pid_t self;
	sigset_t signals; /* taken by sigtimedwait, blocked otherwise */
	pid_t pids[PREFORK_MAX];
	time_t started[PREFORK_MAX];
};

static int pool_spawn(struct pool *pool, int slot)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, pool->spec->child_mask ? pool->spec->child_mask : &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != pool->self) /* the supervisor died before prctl */
			_exit(0);
		_exit(pool->spec->child(pool->spec->arg));
	}
	pool->pids[slot] = pid;
	pool->started[slot] = time(NULL);
	return 0;
}

/* Collects exited children; returns how many are still alive. An exit is
 * logged unless it is the clean one a stop asked for. */
static int pool_reap(struct pool *pool, int stopping)
{
	int status, alive = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < pool->spec->nprocs; i++) {
			if (pool->pids[i] != pid)
				continue;
			pool->pids[i] = 0;
			if (!stopping || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				log_warn("%s %ld exited (%s %d)%s", pool->spec->name, (long)pid,
					 WIFSIGNALED(status) ? "signal" : "status",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
					 stopping ? "" : "; restarting");
		}
	}
	for (int i = 0; i < pool->spec->nprocs; i++)
		alive += pool->pids[i] != 0;
	return alive;
}

/* Starts children for empty slots; a slot whose child died within a second
 * of its start waits a second, so a crash loop does not spin. */
static void pool_fill(struct pool *pool)
{
	time_t now = time(NULL);

	for (int i = 0; i < pool->spec->nprocs; i++)
		if (pool->pids[i] == 0 && now - pool->started[i] >= 1)
			pool_spawn(pool, i);
}

static void pool_signal(const struct pool *pool, int sig)
{
	for (int i = 0; i < pool->spec->nprocs; i++)
		if (pool->pids[i])
			kill(pool->pids[i], sig);
}

static void pool_stop(struct pool *pool)
{
	time_t deadline = time(NULL) + pool->spec->grace_s;

	log_info("stopping %d %s processes", pool_reap(pool, 1), pool->spec->name);
	pool_signal(pool, SIGTERM);
	while (pool_reap(pool, 1) > 0) {
		struct timespec tick = { 0, STOP_POLL_MS * 1000L * 1000L };

		if (time(NULL) >= deadline) {
			log_error("%s processes still busy after %ds; killing them",
				  pool->spec->name, pool->spec->grace_s);
			pool_signal(pool, SIGKILL);
			deadline = time(NULL) + KILL_WAIT_S;
		}
		/* Wakes on SIGCHLD; a second SIGTERM is taken here, not obeyed. */
		sigtimedwait(&pool->signals, NULL, &tick);
	}
	log_info("%s pool stopped", pool->spec->name);
}

/* The environment of the re-executed image: ours, with the handed-over fd
 * and the pids of the children it is to retire. NULL when out of memory. */
static char **reexec_env(const struct pool *pool)
{
	static char fdvar[32], oldvar[PREFORK_MAX * 12 + 32];
	size_t n = 0, off;
	char **envp;

	for (char **e = environ; *e; e++)
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, FD_VAR "=", sizeof(FD_VAR)) &&
		    strncmp(*e, OLD_PIDS_VAR "=", sizeof(OLD_PIDS_VAR)))
			envp[n++] = *e;
	if (pool->spec->handover_fd >= 0) {
		snprintf(fdvar, sizeof(fdvar), FD_VAR "=%d", pool->spec->handover_fd);
		envp[n++] = fdvar;
	}
	off = (size_t)snprintf(oldvar, sizeof(oldvar), OLD_PIDS_VAR "=");
	for (int i = 0; i < pool->spec->nprocs; i++)
		if (pool->pids[i])
			off += (size_t)snprintf(oldvar + off, sizeof(oldvar) - off, "%ld,",
						(long)pool->pids[i]);
	envp[n++] = oldvar;
	return envp;
}

/* SIGHUP: exec a fresh copy of the (possibly upgraded) binary, by the name
 * it was started with: an upgrade installs a new file there, while
 * /proc/self/exe stays the old, unlinked one, which is only the fallback.
 * The signal mask survives execve, so no stop signal is lost on the way. */
static void pool_reexec(const struct pool *pool)
{
	char **argv = pool->spec->reexec_argv, **envp = reexec_env(pool);

	if (envp == NULL) {
		log_error("out of memory; keeping the running pool");
		return;
	}
	log_info("reloading: re-executing %s", argv[0]);
	execvpe(argv[0], argv, envp);
	log_warn("re-exec of %s failed (%s); re-executing the running binary", argv[0],
		 strerror(errno));
	execve("/proc/self/exe", argv, envp);
	log_error("re-exec failed (%s); keeping the running pool", strerror(errno));
	free(envp);
}

/* After a reload: the previous image's children finish and stop. */
static void retire_old(void)
{
	const char *old = getenv(OLD_PIDS_VAR);

	for (const char *p = old; p && *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 1)
			kill((pid_t)pid, SIGTERM);
		p = *end == ',' ? end + 1 : end;
	}
}

int prefork_run(const struct prefork *spec)
{
	struct pool pool = { .spec = spec, .self = getpid() };

	sigemptyset(&pool.signals);
	sigaddset(&pool.signals, SIGTERM);
	sigaddset(&pool.signals, SIGINT);
	sigaddset(&pool.signals, SIGCHLD);
	if (spec->reexec_argv)
		sigaddset(&pool.signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &pool.signals, NULL);
	if (spec->reexec_argv && spec->handover_fd >= 0) {
		int fl = fcntl(spec->handover_fd, F_GETFD);

		fcntl(spec->handover_fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	for (int i = 0; i < spec->nprocs; i++)
		pool_spawn(&pool, i);
	if (spec->reexec_argv)
		retire_old();
	log_info("%s pool started with %d processes", spec->name, spec->nprocs);
	for (;;) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(&pool.signals, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			pool_stop(&pool);
			return 0;
		}
		if (sig == SIGHUP)
			pool_reexec(&pool);
		pool_reap(&pool, 0);
		pool_fill(&pool);
	}
}

int prefork_inherited_fd(int *fd)
{
	const char *inherited = getenv(FD_VAR);
	struct stat st;

	*fd = -1;
	if (inherited == NULL)
		return 0;
	*fd = atoi(inherited);
	if (*fd > 2 && fstat(*fd, &st) == 0 && S_ISSOCK(st.st_mode))
		return 0;
	log_error(FD_VAR "=%s is not a socket", inherited);
	*fd = -1;
	return -1;
}
