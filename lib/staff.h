/* staff.h - staff accounts, sessions, login throttling and the audit log
 * (SPEC §6.2). Passwords are yescrypt hashes; session tokens are stored only
 * as SHA-256 hex, so neither a leaked table nor a log holds a credential. */
#ifndef BAKERY_STAFF_H
#define BAKERY_STAFF_H

#include <stddef.h>

#include "database.h"

struct db;

#define STAFF_PASSWORD_MIN 10  /* characters (bytes of UTF-8 count as one each) */
#define STAFF_USERNAME_MAX 64
#define STAFF_TOKEN_LEN 32     /* hex characters of a 128-bit session token */

/* Who is signed in: what the dispatcher hands a staff handler. */
struct staff_session {
	long long staff_id;
	char username[STAFF_USERNAME_MAX * 4 + 1];
	char expires_at[32]; /* ISO 8601 UTC */
};

enum staff_create_result {
	STAFF_CREATED,
	STAFF_NAME_TAKEN,
	STAFF_NAME_INVALID, /* not 1..STAFF_USERNAME_MAX bytes */
	STAFF_CREATE_ERROR, /* hashing or the database failed (logged) */
};

/* Creates an account with a yescrypt hash of password. The password is
 * never logged. */
enum staff_create_result staff_create(struct db *db, const char *username, const char *password);

enum staff_login_result {
	STAFF_LOGIN_OK,
	STAFF_LOGIN_INVALID,   /* unknown user or wrong password: one answer */
	STAFF_LOGIN_THROTTLED, /* too many recent failures: *retry_after set */
	STAFF_LOGIN_ERROR,     /* database or hashing failed (logged) */
	STAFF_LOGIN_RESULT_COUNT
};

/* What one login attempt is: credentials, the client's address, and how
 * long the session it opens lasts. */
struct staff_login {
	const char *username;
	const char *password;
	const char *addr; /* REMOTE_ADDR, "" when unknown */
	int session_s;
};

/* Checks throttling, then the password (a dummy hash for unknown users, so
 * both cost the same), records a failure or opens a session. On OK, token
 * (STAFF_TOKEN_LEN + 1 bytes) gets the fresh token and out the session. */
enum staff_login_result staff_login(struct db *db, const struct staff_login *in,
				    char *token, struct staff_session *out, int *retry_after);

/* The session a presented token names: LOOKUP_FOUND (out filled),
 * LOOKUP_NONE (none, or expired) or LOOKUP_ERROR (database down). */
enum lookup staff_session_find(struct db *db, const char *token, struct staff_session *out);

/* Ends the session of token. 0 or -1. */
int staff_logout(struct db *db, const char *token);

/* One audit entry as read back. Strings point into storage the list owns. */
struct staff_audit_entry {
	long long id;
	const char *at;
	const char *username;
	const char *action;
	const char *entity;
	long long entity_id; /* 0 when none */
	const char *before;  /* JSON text, "null" when none */
	const char *after;
};

struct staff_audit_list {
	struct staff_audit_entry *items;
	int n;
	void *owned;
};

/* Entries newest first with id < before_id (0 = from the newest), at most
 * limit. 0 or -1; release with staff_audit_list_release(). */
int staff_audit_list(struct db *db, long long before_id, int limit, struct staff_audit_list *out);
void staff_audit_list_release(struct staff_audit_list *list);

#endif
