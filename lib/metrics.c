/* metrics.c - the shared counters behind GET /api/metrics (metrics.h).
 *
 * Counters are plain 64-bit words in a MAP_SHARED mapping, changed only with
 * relaxed __atomic adds: lock-free on every platform Bakery builds for, and
 * correct between unrelated processes mapping the same file. A reader sees
 * each counter exactly; two counters read a moment apart may differ by the
 * requests in progress between the reads.
 *
 * The layout depends on the route table: a file's name carries a hash of it
 * (from the router), so an upgraded binary with other routes never reads an
 * older binary's counters as its own. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define PROC_SLOTS    256 /* responders with a per-process count: PREFORK_MAX */
#define WORKER_SLOTS  128
#define WORKER_LIVE_S 10  /* a worker slot not beaten this long counts no flights */
#define WORKER_FILE   "worker-metrics-v1"

/* The statuses counted exactly; any other is counted as "other". */
static const int statuses[] = { 200, 201, 204, 304, 400, 401, 403, 404, 405,
				409, 413, 415, 422, 429, 500, 503 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Upper bounds of the latency buckets, microseconds; one more for +Inf. */
static const long long bucket_us[] = { 500, 1000, 2500, 5000, 10000, 25000,
				       50000, 100000, 250000, 500000, 1000000, 2500000 };
#define NBUCKET (sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

struct route_counters {
	uint64_t status[NSTATUS];
	uint64_t bucket[NBUCKET]; /* per bucket, not cumulative: one add per request */
	uint64_t sum_us;
};

struct proc_slot {
	int64_t pid; /* 0: free */
	uint64_t requests;
};

struct http_shm {
	uint64_t cache_hits, cache_misses;
	uint64_t retired; /* requests of processes whose slot was taken over */
	struct proc_slot proc[PROC_SLOTS];
	struct route_counters route[METRICS_ROUTES_MAX];
};

struct worker_slot {
	int64_t pid;    /* 0: free */
	int64_t beat_s; /* wall-clock seconds of its last beat */
	int64_t in_flight;
};

/* The file's layout must not change with the code: a fixed number of
 * status counters, whatever statuses come. */
#define WORKER_STATUSES 16
_Static_assert(ORDER_STATUS_COUNT <= WORKER_STATUSES, "raise WORKER_STATUSES and the file's version");

struct worker_shm {
	uint64_t moved[WORKER_STATUSES];
	struct worker_slot slot[WORKER_SLOTS];
};

static struct {
	enum metrics_scope scope;
	struct http_shm *http;
	struct proc_slot *proc; /* this process's slot, NULL none */
	struct worker_shm *worker;
	struct worker_slot *wslot;
} m;

static const char *const scope_names[METRICS_SCOPE_COUNT] = {
	[METRICS_NONE] = "none", [METRICS_POOL] = "pool",
	[METRICS_FILE] = "file", [METRICS_PROCESS] = "process",
};

#define ADD(p, n) __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define LOAD(p)   __atomic_load_n((p), __ATOMIC_RELAXED)

static void *map_anonymous(size_t size, int flags)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		log_error("metrics: mmap of %zu bytes failed: %s", size, strerror(errno));
		return NULL;
	}
	return p;
}

/* dir/name mapped shared and writable, created (zeroed) when missing. */
static void *map_file(const char *dir, const char *name, size_t size)
{
	char path[4096];
	struct stat st;
	void *p = MAP_FAILED;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		log_error("metrics: BAKERY_METRICS_DIR is too long");
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0 && fstat(fd, &st) == 0 &&
	    ((size_t)st.st_size >= size || ftruncate(fd, (off_t)size) == 0))
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		log_error("metrics: cannot map %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int metrics_share(void)
{
	m.http = map_anonymous(sizeof(*m.http), MAP_SHARED);
	m.scope = m.http ? METRICS_POOL : METRICS_NONE;
	return m.http ? 0 : -1;
}

static int pid_gone(int64_t pid)
{
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* A slot of our own: one whose process is gone (its requests move to
 * retired, so the total stays whole, and the list stays as long as the
 * pool), else a free one. */
static struct proc_slot *proc_claim(struct http_shm *h)
{
	int64_t self = getpid();

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < PROC_SLOTS; i++) {
			int64_t old = LOAD(&h->proc[i].pid);

			if (pass == 0 ? !pid_gone(old) : old != 0)
				continue;
			if (!__atomic_compare_exchange_n(&h->proc[i].pid, &old, self, 0,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			ADD(&h->retired, __atomic_exchange_n(&h->proc[i].requests, 0,
							     __ATOMIC_RELAXED));
			return &h->proc[i];
		}
	}
	return NULL;
}

int metrics_open(const char *dir, unsigned long layout, int track_process)
{
	char name[64];

	if (m.http == NULL && dir[0]) {
		snprintf(name, sizeof(name), "api-metrics-%08lx", layout & 0xffffffffUL);
		m.http = map_file(dir, name, sizeof(*m.http));
		m.scope = m.http ? METRICS_FILE : METRICS_NONE;
	} else if (m.http == NULL) {
		m.http = map_anonymous(sizeof(*m.http), MAP_PRIVATE);
		m.scope = m.http ? METRICS_PROCESS : METRICS_NONE;
	}
	if (m.http == NULL)
		return -1;
	if (track_process)
		m.proc = proc_claim(m.http);
	return 0;
}

static size_t status_index(int status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void metrics_request(size_t route, int status, long long ns)
{
	struct route_counters *r;
	long long us = ns / 1000;
	size_t b = 0;

	if (m.http == NULL || route >= METRICS_ROUTES_MAX)
		return;
	r = &m.http->route[route];
	while (b < NBUCKET - 1 && us > bucket_us[b])
		b++;
	ADD(&r->status[status_index(status)], 1);
	ADD(&r->bucket[b], 1);
	ADD(&r->sum_us, (uint64_t)(us > 0 ? us : 0));
	if (m.proc)
		ADD(&m.proc->requests, 1);
}

void metrics_cache(int hit)
{
	if (m.http)
		ADD(hit ? &m.http->cache_hits : &m.http->cache_misses, 1);
}

/* The route's counters, or 0 when it has served none. */
static uint64_t route_total(const struct route_counters *r)
{
	uint64_t n = 0;

	for (size_t b = 0; b < NBUCKET; b++)
		n += LOAD(&r->bucket[b]);
	return n;
}

static void write_statuses(FILE *out, const char *method, const char *route,
			   const struct route_counters *r)
{
	for (size_t s = 0; s < NSTATUS; s++) {
		uint64_t n = LOAD(&r->status[s]);

		if (n == 0)
			continue;
		if (s < NSTATUS - 1)
			fprintf(out, "bakery_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"}"
				" %llu\n", method, route, statuses[s], (unsigned long long)n);
		else
			fprintf(out, "bakery_http_requests_total{method=\"%s\",route=\"%s\","
				"status=\"other\"} %llu\n", method, route, (unsigned long long)n);
	}
}

/* Buckets cumulative, as the text format wants; _count is the +Inf bucket. */
static void write_histogram(FILE *out, const char *method, const char *route,
			    const struct route_counters *r)
{
	const char *series = "bakery_http_request_duration_seconds";
	uint64_t cum = 0;

	for (size_t b = 0; b < NBUCKET; b++) {
		cum += LOAD(&r->bucket[b]);
		if (b < NBUCKET - 1)
			fprintf(out, "%s_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n", series,
				method, route, (double)bucket_us[b] / 1e6, (unsigned long long)cum);
		else
			fprintf(out, "%s_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
				series, method, route, (unsigned long long)cum);
	}
	fprintf(out, "%s_sum{method=\"%s\",route=\"%s\"} %.6f\n", series, method, route,
		(double)LOAD(&r->sum_us) / 1e6);
	fprintf(out, "%s_count{method=\"%s\",route=\"%s\"} %llu\n", series, method, route,
		(unsigned long long)cum);
}

/* Each route that has served a request, with its labels; the last index
 * is the requests no row took. */
static void write_routes(FILE *out, metrics_route_label *label,
			 void (*write)(FILE *, const char *, const char *,
				       const struct route_counters *))
{
	for (size_t i = 0; i < METRICS_ROUTES_MAX; i++) {
		const char *method = "", *route = "unmatched";
		const struct route_counters *r = &m.http->route[i];

		if (route_total(r) == 0)
			continue;
		if (!label(i, &method, &route) && i != METRICS_ROUTES_MAX - 1)
			continue;
		write(out, method, route, r);
	}
}

static void write_processes(FILE *out)
{
	fprintf(out, "# HELP bakery_responder_requests_total Requests answered, by responder"
		" process; retired: of processes gone since.\n"
		"# TYPE bakery_responder_requests_total counter\n");
	for (int i = 0; i < PROC_SLOTS; i++) {
		int64_t pid = LOAD(&m.http->proc[i].pid);

		if (pid)
			fprintf(out, "bakery_responder_requests_total{pid=\"%lld\"} %llu\n",
				(long long)pid, (unsigned long long)LOAD(&m.http->proc[i].requests));
	}
	fprintf(out, "bakery_responder_requests_total{pid=\"retired\"} %llu\n",
		(unsigned long long)LOAD(&m.http->retired));
}

int metrics_write_http(FILE *out, metrics_route_label *label)
{
	fprintf(out, "# HELP bakery_metrics_scope How the responder counters are shared: pool,"
		" file or process (this process only).\n# TYPE bakery_metrics_scope gauge\n"
		"bakery_metrics_scope{scope=\"%s\"} 1\n", scope_names[m.scope]);
	if (m.http == NULL)
		return ferror(out) ? -1 : 0;
	fprintf(out, "# HELP bakery_http_requests_total Requests answered, by route and status.\n"
		"# TYPE bakery_http_requests_total counter\n");
	write_routes(out, label, write_statuses);
	fprintf(out, "# HELP bakery_http_request_duration_seconds Time to answer, by route.\n"
		"# TYPE bakery_http_request_duration_seconds histogram\n");
	write_routes(out, label, write_histogram);
	write_processes(out);
	fprintf(out, "# HELP bakery_cache_requests_total Product listings answered from Redis"
		" (hit) or not (miss).\n# TYPE bakery_cache_requests_total counter\n"
		"bakery_cache_requests_total{result=\"hit\"} %llu\n"
		"bakery_cache_requests_total{result=\"miss\"} %llu\n",
		(unsigned long long)LOAD(&m.http->cache_hits),
		(unsigned long long)LOAD(&m.http->cache_misses));
	return ferror(out) ? -1 : 0;
}

/* A worker slot: a free one, else one not beaten for WORKER_LIVE_S (its
 * process is gone, maybe in another container: pids are not comparable). */
static struct worker_slot *worker_claim(struct worker_shm *w)
{
	int64_t self = getpid(), now = time(NULL);

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < WORKER_SLOTS; i++) {
			int64_t old = LOAD(&w->slot[i].pid);

			if (pass == 0 ? old != 0 : now - LOAD(&w->slot[i].beat_s) <= WORKER_LIVE_S)
				continue;
			__atomic_store_n(&w->slot[i].beat_s, now, __ATOMIC_RELAXED);
			if (__atomic_compare_exchange_n(&w->slot[i].pid, &old, self, 0,
							__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return &w->slot[i];
		}
	}
	log_warn("metrics: every worker slot of %s is taken", WORKER_FILE);
	return NULL;
}

int metrics_worker_open(const char *dir)
{
	if (dir[0] == '\0')
		return 0;
	m.worker = map_file(dir, WORKER_FILE, sizeof(*m.worker));
	if (m.worker == NULL)
		return -1;
	m.wslot = worker_claim(m.worker);
	metrics_worker_beat(0);
	return 0;
}

void metrics_worker_beat(int in_flight)
{
	if (m.wslot == NULL)
		return;
	__atomic_store_n(&m.wslot->in_flight, (int64_t)in_flight, __ATOMIC_RELAXED);
	__atomic_store_n(&m.wslot->beat_s, (int64_t)time(NULL), __ATOMIC_RELAXED);
}

void metrics_worker_moved(enum order_status to)
{
	if (m.worker && (unsigned)to < ORDER_STATUS_COUNT)
		ADD(&m.worker->moved[to], 1);
}

static void write_worker_shm(FILE *out, const struct worker_shm *w)
{
	static const enum order_status settled[] = { ORDER_COMPLETED, ORDER_FAILED };
	int64_t now = time(NULL), flights = 0, live = 0;

	for (int i = 0; i < WORKER_SLOTS; i++) {
		if (LOAD(&w->slot[i].pid) == 0 || now - LOAD(&w->slot[i].beat_s) > WORKER_LIVE_S)
			continue;
		live++;
		flights += LOAD(&w->slot[i].in_flight);
	}
	fprintf(out, "# HELP bakery_worker_processes Worker processes alive (beat within %ds).\n"
		"# TYPE bakery_worker_processes gauge\nbakery_worker_processes %lld\n"
		"# HELP bakery_worker_orders_in_flight Orders the workers hold in payment now.\n"
		"# TYPE bakery_worker_orders_in_flight gauge\nbakery_worker_orders_in_flight %lld\n"
		"# HELP bakery_worker_orders_total Orders the workers moved to a final status.\n"
		"# TYPE bakery_worker_orders_total counter\n", WORKER_LIVE_S, (long long)live,
		(long long)flights);
	for (size_t i = 0; i < sizeof(settled) / sizeof(settled[0]); i++)
		fprintf(out, "bakery_worker_orders_total{status=\"%s\"} %llu\n",
			order_status_name(settled[i]), (unsigned long long)LOAD(&w->moved[settled[i]]));
}

int metrics_write_worker(FILE *out, const char *dir)
{
	char path[4096];
	struct stat st;
	void *p = MAP_FAILED;
	int fd;

	if (dir[0] == '\0' ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, WORKER_FILE) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* no worker has run with this directory yet */
	if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(struct worker_shm))
		p = mmap(NULL, sizeof(struct worker_shm), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_warn("metrics: cannot read %s", path);
		return 0;
	}
	write_worker_shm(out, p);
	munmap(p, sizeof(struct worker_shm));
	return ferror(out) ? -1 : 0;
}
