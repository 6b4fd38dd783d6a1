/* db.h - one PostgreSQL connection per process, kept open, reconnected on
 * failure, with statements prepared once per connection. Only the db layer
 * (db.c and the entity modules such as product.c) sees PGresult. */
#ifndef BAKERY_DB_H
#define BAKERY_DB_H

#include <libpq-fe.h>

struct db;

/* A named, parameterised statement. Entity modules define them as static
 * tables at their top; db.c prepares each lazily on every new connection. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	int readonly;      /* safe to retry once after a lost connection */
	unsigned prepared; /* connection generation it was prepared on */
};

/* Allocates a handle; does not connect yet. Caller frees with db_free(). */
struct db *db_new(const char *conninfo, const char *app_name, int timeout_ms);
void db_free(struct db *db);

/* Connects when not connected (at most once per retry interval). 0 or -1. */
int db_connect(struct db *db);

/* Which connection is open: an id unique in the process, 0 when none.
 * Session state (advisory locks) lives as long as the id stays the same. */
unsigned db_session(const struct db *db);

/* Round trip to the server: 0 when reachable. */
int db_ping(struct db *db);

/* Executes stmt with text parameters (NULL = SQL NULL). Returns a result
 * with status TUPLES_OK or COMMAND_OK, owned by the caller (PQclear), or
 * NULL after logging the cause. *sqlstate, when non-NULL, receives the
 * 5-character SQLSTATE of a server error ("" otherwise). */
PGresult *db_exec(struct db *db, struct db_stmt *stmt, const char *const *params,
		  char sqlstate[6]);

/* Plain transaction control on the kept connection: 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

#endif
