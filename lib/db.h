/* db.h - private to lib/: statements, execution and transactions on the
 * handle of database.h. Only db.c and the entity modules (product.c,
 * order.c, fulfil.c) include it, so only they see libpq and PGresult;
 * cgi-bin/ and worker/ get typed structs from those modules. */
#ifndef BAKERY_DB_H
#define BAKERY_DB_H

#include <libpq-fe.h>

#include "database.h"

/* A named, parameterised statement. Entity modules define them as static
 * tables at their top; db.c prepares each lazily on every new connection. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	int readonly;      /* safe to retry once after a lost connection */
	unsigned prepared; /* connection generation it was prepared on */
};

/* Which connection is open: an id unique in the process, 0 when none.
 * Session state (advisory locks) lives as long as the id stays the same. */
unsigned db_session(const struct db *db);

/* Round trip to the server: 0 when reachable. */
int db_ping(struct db *db);

/* Executes stmt with text parameters (NULL = SQL NULL). Returns a result
 * with status TUPLES_OK or COMMAND_OK, owned by the caller (PQclear), or
 * NULL after logging the cause. *sqlstate, when non-NULL, receives the
 * 5-character SQLSTATE of a server error ("" otherwise); then constraint
 * violations (class 23) and the schema's own conditions (class BK) are
 * left to the caller, not logged. */
PGresult *db_exec(struct db *db, struct db_stmt *stmt, const char *const *params,
		  char sqlstate[6]);

/* db_exec() of a statement whose one parameter is an id. */
PGresult *db_exec_id(struct db *db, struct db_stmt *stmt, long long id, char sqlstate[6]);

/* One statement of db_exec_steps(): stmt with its text parameters. */
struct db_step {
	struct db_stmt *stmt;
	const char *const *params;
};

/* Statements steps[0..n) in one round trip (libpq's pipeline mode, one
 * sync after the last), for writes and statements inside a transaction:
 * all of them run in one implicit transaction unless the first is BEGIN
 * (db_begin_stmt) or the caller's transaction is open. 0 with out[0..n)
 * filled, or -1 after logging the cause, with *sqlstate (when non-NULL)
 * that of the first failure, which cancels the statements after it: then
 * out[i] holds the results of the statements that ran before it while the
 * connection stays open (NULL for the others, all NULL once it is lost).
 * Either way the caller owns out[] (PQclear each). Never repeated on a new
 * connection, except when fresh is set (the batch opens a transaction, so
 * nothing of it can have happened on a connection found lost). */
int db_exec_steps(struct db *db, const struct db_step *steps, int n, int fresh, PGresult **out,
		  char sqlstate[6]);

/* BEGIN as a statement, for the first step of db_exec_steps(). */
extern struct db_stmt db_begin_stmt;

/* The integer in row, col of res (0 for NULL or garbage). */
long long db_ll(const PGresult *res, int row, int col);

/* A zeroed array of one size-byte element per row of res, plus one, with
 * *n the rows: the caller frees it. NULL (res cleared, logged) when out of
 * memory. */
void *db_rows_calloc(PGresult *res, size_t size, int *n);

/* v[0..n) as a PostgreSQL array literal "{1,2,3}": malloc'd (caller
 * frees), or NULL when out of memory (logged). */
char *db_array_literal(const long long *v, int n);

/* Plain transaction control on the kept connection: 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

#endif
