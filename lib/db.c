/* db.c - the process's PostgreSQL connections (database.h) and the
 * statement layer the entity modules build on (db.h).
 *
 * Connections are opened after fork and kept. A lost connection is noticed
 * on the next failing call, dropped, and reopened on the call after that,
 * but no more than once per retry interval so a dead server costs each
 * request one quick failure instead of a connect timeout. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

#define DB_RETRY_INTERVAL_MS 500

struct db {
	PGconn *conn;
	char *conninfo;
	char *app_name;
	int timeout_ms;
	unsigned generation;   /* bumped on every new connection */
	struct clock_gate reconnect;
};

/* Generations are unique in the process, so a statement prepared on one
 * connection is never mistaken as prepared on another. */
static unsigned db_generations;

struct db *database_new(const char *conninfo, const char *app_name, int timeout_ms)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->conninfo = strdup(conninfo);
	db->app_name = strdup(app_name);
	if (db->conninfo == NULL || db->app_name == NULL) {
		database_free(db);
		return NULL;
	}
	db->timeout_ms = timeout_ms;
	db->reconnect = CLOCK_GATE(DB_RETRY_INTERVAL_MS);
	return db;
}

void database_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->app_name);
	free(db);
}

/* GnuTLS comes into every program only as libldap's, which libpq links
 * for its LDAP service lookup (never used here), yet GnuTLS's constructor
 * initialises it at load time: it loads the p11-kit trust modules and
 * touches some 800 kB of library pages in each process. Defining this
 * symbol is GnuTLS's documented way for a program to skip that
 * (GNUTLS_SKIP_GLOBAL_INIT in gnutls.h); a library that does use GnuTLS
 * calls gnutls_global_init() itself before it does (libldap does). */
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
	return 1;
}

static void db_drop(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
}

int database_connect(struct db *db)
{
	char timeout_s[16], user_timeout[16], options[64];
	/* Before dbname, so the URL's own setting wins: no GSSAPI encryption
	 * unless asked for (the default "prefer" initialises Kerberos, 650 kB
	 * of library pages per process, to look for credentials no bakery
	 * has). Later keywords override the URL's. */
	const char *keys[] = { "gssencmode", "dbname", "application_name", "connect_timeout",
			       "tcp_user_timeout", "keepalives_idle", "options", NULL };
	const char *values[8];

	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn)
		db_drop(db);
	if (!clock_gate_pass(&db->reconnect))
		return -1;

	/* connect_timeout is whole seconds, at least 2 per libpq. */
	snprintf(timeout_s, sizeof(timeout_s), "%d", db->timeout_ms < 2000 ? 2 : db->timeout_ms / 1000);
	snprintf(user_timeout, sizeof(user_timeout), "%d", db->timeout_ms);
	snprintf(options, sizeof(options), "-c statement_timeout=%d", db->timeout_ms * 5);
	values[0] = "disable";
	values[1] = db->conninfo;
	values[2] = db->app_name;
	values[3] = timeout_s;
	values[4] = user_timeout;
	values[5] = "10";
	values[6] = options;
	values[7] = NULL;
	/* expand_dbname: the URL/conninfo in dbname is expanded in its place. */
	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("postgres connect failed: %s",
			 db->conn ? PQerrorMessage(db->conn) : "out of memory");
		if (db->conn)
			db_drop(db);
		return -1;
	}
	db->generation = ++db_generations;
	log_debug("postgres connected");
	return 0;
}

unsigned db_session(const struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK ? db->generation : 0;
}

int db_ping(struct db *db)
{
	static struct db_stmt ping = { "db_ping", "SELECT 1", 0, 1, 0 };
	PGresult *res = db_exec(db, &ping, NULL, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int db_prepare(struct db *db, struct db_stmt *stmt)
{
	PGresult *res;
	int ok;

	if (stmt->prepared == db->generation)
		return 0;
	res = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* 42P05: already prepared on this connection by another handle. */
		ok = state && strcmp(state, "42P05") == 0;
		if (!ok)
			log_error("postgres prepare %s failed: %s", stmt->name,
				  PQerrorMessage(db->conn));
	}
	PQclear(res);
	if (ok)
		stmt->prepared = db->generation;
	return ok ? 0 : -1;
}

/* Constraint violations (class 23) and the application's own conditions
 * (class BK, raised by the schema's functions) are the caller's business
 * when it asked for the SQLSTATE, not an error to log here. */
static int left_to_caller(const char *sqlstate)
{
	return sqlstate && ((sqlstate[0] == '2' && sqlstate[1] == '3') ||
			    (sqlstate[0] == 'B' && sqlstate[1] == 'K'));
}

/* One attempt; *lost is set when the connection died under the call. */
static PGresult *db_exec_once(struct db *db, struct db_stmt *stmt,
			      const char *const *params, char sqlstate[6], int *lost)
{
	PGresult *res;
	ExecStatusType st;

	*lost = 0;
	if (database_connect(db) < 0)
		return NULL;
	if (db_prepare(db, stmt) < 0) {
		*lost = PQstatus(db->conn) != CONNECTION_OK;
		return NULL;
	}
	res = PQexecPrepared(db->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	if (sqlstate) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", state ? state : "");
	}
	*lost = PQstatus(db->conn) != CONNECTION_OK;
	if (!left_to_caller(sqlstate))
		log_error("postgres %s failed: %s", stmt->name, PQerrorMessage(db->conn));
	PQclear(res);
	return NULL;
}

PGresult *db_exec(struct db *db, struct db_stmt *stmt, const char *const *params,
		  char sqlstate[6])
{
	PGresult *res;
	int lost;

	if (sqlstate)
		sqlstate[0] = '\0';
	res = db_exec_once(db, stmt, params, sqlstate, &lost);
	if (res == NULL && lost) {
		db_drop(db);
		/* A read can be repeated on a fresh connection at once; a write
		 * might have committed, so its caller decides. */
		if (stmt->readonly) {
			clock_gate_open(&db->reconnect);
			res = db_exec_once(db, stmt, params, sqlstate, &lost);
		}
	}
	return res;
}

PGresult *db_exec_id(struct db *db, struct db_stmt *stmt, long long id, char sqlstate[6])
{
	char idbuf[24];
	const char *params[] = { idbuf };

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	return db_exec(db, stmt, params, sqlstate);
}

struct db_stmt db_begin_stmt = { "db_begin", "BEGIN", 0, 0, 0 };

/* Sends the steps and one sync. 0 or -1. */
static int steps_send(struct db *db, const struct db_step *steps, int n)
{
	for (int i = 0; i < n; i++)
		if (db_prepare(db, steps[i].stmt) < 0)
			return -1;
	if (PQenterPipelineMode(db->conn) != 1)
		return -1;
	for (int i = 0; i < n; i++)
		if (PQsendQueryPrepared(db->conn, steps[i].stmt->name, steps[i].stmt->nparams,
					steps[i].params, NULL, NULL, 0) != 1)
			return -1;
	return PQpipelineSync(db->conn) == 1 ? 0 : -1;
}

/* The first failure of a step: its SQLSTATE kept, logged as db_exec()
 * logs. */
static void steps_failed(struct db *db, const struct db_stmt *stmt, const PGresult *r,
			 char sqlstate[6])
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (sqlstate)
		snprintf(sqlstate, 6, "%s", state ? state : "");
	if (!left_to_caller(sqlstate))
		log_error("postgres %s failed: %s", stmt->name,
			  PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
						     : PQerrorMessage(db->conn));
}

/* Takes every step's result (each followed by a NULL) and the sync.
 * 0 when all succeeded; -1 with out[] partly filled, and *lost when the
 * connection is out of step or gone. */
static int steps_collect(struct db *db, const struct db_step *steps, int n, PGresult **out,
			 char sqlstate[6], int *lost)
{
	PGresult *r;
	int rc = 0;

	for (int i = 0; i < n; i++) {
		ExecStatusType st;

		if ((r = PQgetResult(db->conn)) == NULL) {
			*lost = 1;
			return -1;
		}
		st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			out[i] = r;
		} else {
			if (rc == 0 && st != PGRES_PIPELINE_ABORTED)
				steps_failed(db, steps[i].stmt, r, sqlstate);
			PQclear(r);
			rc = -1;
		}
		if ((r = PQgetResult(db->conn)) != NULL) {
			/* not the end of this statement's results: out of step */
			PQclear(r);
			*lost = 1;
			return -1;
		}
	}
	r = PQgetResult(db->conn);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		*lost = 1;
	PQclear(r);
	return *lost ? -1 : rc;
}

static int exec_steps_once(struct db *db, const struct db_step *steps, int n, PGresult **out,
			   char sqlstate[6])
{
	int lost = 0, rc;

	memset(out, 0, sizeof(*out) * (size_t)n);
	if (sqlstate)
		sqlstate[0] = '\0';
	if (database_connect(db) < 0)
		return -1;
	rc = steps_send(db, steps, n);
	if (rc < 0)
		lost = 1;
	else
		rc = steps_collect(db, steps, n, out, sqlstate, &lost);
	if (!lost && PQexitPipelineMode(db->conn) != 1)
		lost = 1;
	if (rc == 0 && !lost)
		return 0;
	if (lost || PQstatus(db->conn) != CONNECTION_OK) {
		for (int i = 0; i < n; i++)
			PQclear(out[i]);
		memset(out, 0, sizeof(*out) * (size_t)n);
		/* A half-read pipeline cannot be resumed: a new connection next time. */
		if (PQstatus(db->conn) == CONNECTION_OK)
			log_error("postgres steps %s failed: %s", steps[0].stmt->name,
				  PQerrorMessage(db->conn));
		db_drop(db);
	}
	return -1;
}

int db_exec_steps(struct db *db, const struct db_step *steps, int n, int fresh, PGresult **out,
		  char sqlstate[6])
{
	int reused = db->conn != NULL;

	if (exec_steps_once(db, steps, n, out, sqlstate) == 0)
		return 0;
	if (!fresh || !reused || db->conn != NULL)
		return -1;
	clock_gate_open(&db->reconnect);
	return exec_steps_once(db, steps, n, out, sqlstate);
}

long long db_ll(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void *db_rows_calloc(PGresult *res, size_t size, int *n)
{
	void *rows = calloc((size_t)PQntuples(res) + 1, size);

	*n = rows ? PQntuples(res) : 0;
	if (rows == NULL) {
		log_error("out of memory");
		PQclear(res);
	}
	return rows;
}

char *db_array_literal(const long long *v, int n)
{
	size_t len = (size_t)n * 21 + 3, off = 0;
	char *arr = malloc(len);

	if (arr == NULL) {
		log_error("out of memory");
		return NULL;
	}
	arr[off++] = '{';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(arr + off, len - off, "%s%lld", i ? "," : "", v[i]);
	snprintf(arr + off, len - off, "}");
	return arr;
}

static int db_command(struct db *db, const char *sql)
{
	PGresult *res;
	int ok;

	if (database_connect(db) < 0)
		return -1;
	res = PQexec(db->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("postgres %s failed: %s", sql, PQerrorMessage(db->conn));
	PQclear(res);
	if (!ok && PQstatus(db->conn) != CONNECTION_OK)
		db_drop(db);
	return ok ? 0 : -1;
}

int db_begin(struct db *db)
{
	/* Nothing has happened yet, so a connection found dead (server
	 * restarted while we idled) is replaced and BEGIN sent once more. */
	if (db_command(db, "BEGIN") == 0)
		return 0;
	if (db->conn != NULL)
		return -1;
	clock_gate_open(&db->reconnect);
	return db_command(db, "BEGIN");
}

int db_commit(struct db *db)
{
	return db_command(db, "COMMIT");
}

void db_rollback(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_command(db, "ROLLBACK");
}
