/* staff.c - staff accounts, sessions, failed-login throttling, audit reads.
 *
 * Login slows guessing two ways: per account (a few failures in the window
 * lock that name) and per client address (more, since an address may serve
 * several people). An attempt while slowed is refused before the password is
 * checked, and does not count as a failure. Unknown names are checked
 * against a dummy hash, so the answer time does not tell which names exist. */
#include "staff.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "log.h"
#include "sha256.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

#define THROTTLE_WINDOW_S 900 /* failures older than this are forgotten */
#define THROTTLE_USER_MAX 5   /* failures per account within the window */
#define THROTTLE_ADDR_MAX 20  /* failures per client address within the window */

static struct db_stmt insert_user = {
	"staff_insert_user",
	"INSERT INTO staff_users (username, password_hash) VALUES ($1, $2)"
	" ON CONFLICT (username) DO NOTHING RETURNING id",
	2, 0, 0
};

/* The account a login names, active ones only. */
static struct db_stmt select_user = {
	"staff_select_user",
	"SELECT id, password_hash FROM staff_users WHERE username = $1 AND active",
	1, 1, 0
};

/* Seconds until the account ($1, limit $2) and the address ($3, limit $4)
 * are both below their limits again: the limit-th newest failure of a key
 * leaving the window is what frees it. 0 when neither is slowed. */
static struct db_stmt throttle_check = {
	"staff_throttle_check",
	"SELECT coalesce(max(ceil(extract(epoch FROM f.failed_at + make_interval(secs => $5)"
	"  - clock_timestamp()))), 0)::int FROM (SELECT key, failed_at,"
	"  row_number() OVER (PARTITION BY key ORDER BY failed_at DESC) AS n"
	"  FROM staff_login_failures WHERE key IN ($1, $3)"
	"  AND failed_at > clock_timestamp() - make_interval(secs => $5)) f"
	" WHERE (f.key = $1 AND f.n = $2::bigint) OR (f.key = $3 AND f.n = $4::bigint)",
	5, 1, 0
};

/* A failure for the account and the address; forgets expired ones. */
static struct db_stmt record_failure = {
	"staff_record_failure",
	"WITH d AS (DELETE FROM staff_login_failures"
	"  WHERE failed_at < clock_timestamp() - make_interval(secs => $3))"
	" INSERT INTO staff_login_failures (key, failed_at)"
	" VALUES ($1, clock_timestamp()), ($2, clock_timestamp())",
	3, 0, 0
};

static struct db_stmt clear_failures = {
	"staff_clear_failures",
	"DELETE FROM staff_login_failures WHERE key = $1",
	1, 0, 0
};

/* A new session; sessions expired a day ago go at the same time. */
static struct db_stmt insert_session = {
	"staff_insert_session",
	"WITH d AS (DELETE FROM staff_sessions WHERE expires_at < now() - interval '1 day')"
	" INSERT INTO staff_sessions (token_hash, staff_id, expires_at)"
	" VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING " TS("expires_at"),
	3, 0, 0
};

static struct db_stmt select_session = {
	"staff_select_session",
	"SELECT s.staff_id, u.username, " TS("s.expires_at")
	" FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_id"
	" WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active",
	1, 1, 0
};

static struct db_stmt delete_session = {
	"staff_delete_session",
	"DELETE FROM staff_sessions WHERE token_hash = $1",
	1, 0, 0
};

static struct db_stmt select_audit = {
	"staff_select_audit",
	"SELECT id, " TS("created_at") ", username, action, entity, coalesce(entity_id, 0),"
	" coalesce(before::text, 'null'), coalesce(after::text, 'null') FROM staff_audit"
	" WHERE ($1::bigint = 0 OR id < $1::bigint) ORDER BY id DESC LIMIT $2",
	2, 1, 0
};

/* yescrypt of password with a fresh salt: malloc'd (caller frees) or NULL. */
static char *hash_password(const char *password)
{
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	void *data = NULL;
	int size = 0;
	char *hash = NULL, *out = NULL;

	if (salt)
		hash = crypt_ra(password, salt, &data, &size);
	if (hash && hash[0] != '*')
		out = strdup(hash);
	if (out == NULL)
		log_error("staff: password hashing failed");
	free(salt);
	free(data);
	return out;
}

/* 1 when password matches hash. Compared in constant time. */
static int password_matches(const char *password, const char *hash)
{
	void *data = NULL;
	int size = 0;
	const char *got = crypt_ra(password, hash, &data, &size);
	size_t len = strlen(hash);
	unsigned char diff = 1;

	if (got && got[0] != '*' && strlen(got) == len) {
		diff = 0;
		for (size_t i = 0; i < len; i++)
			diff |= (unsigned char)(got[i] ^ hash[i]);
	}
	free(data);
	return diff == 0;
}

/* A yescrypt hash no password matches in practice, made once per process,
 * for names that do not exist. NULL when hashing failed. */
static const char *dummy_hash(void)
{
	static char *dummy;
	unsigned char raw[16];
	char phrase[33];

	if (dummy)
		return dummy;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return NULL;
	for (int i = 0; i < 16; i++)
		snprintf(phrase + 2 * i, 3, "%02x", raw[i]);
	dummy = hash_password(phrase);
	return dummy;
}

enum staff_create_result staff_create(struct db *db, const char *username, const char *password)
{
	size_t len = strlen(username);
	char *hash;
	PGresult *res;
	enum staff_create_result rc;

	if (len == 0 || len > STAFF_USERNAME_MAX)
		return STAFF_NAME_INVALID;
	hash = hash_password(password);
	if (hash == NULL)
		return STAFF_CREATE_ERROR;
	{
		const char *params[] = { username, hash };

		res = db_exec(db, &insert_user, params, NULL);
	}
	free(hash);
	if (res == NULL)
		return STAFF_CREATE_ERROR;
	rc = PQntuples(res) == 1 ? STAFF_CREATED : STAFF_NAME_TAKEN;
	PQclear(res);
	return rc;
}

/* Hex of 16 random bytes from the kernel. 0 or -1. */
static int new_token(char *out)
{
	unsigned char raw[STAFF_TOKEN_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		log_error("staff: getrandom failed");
		return -1;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Seconds the attempt must wait (0: none), or -1 when the database is down. */
static int throttled_for(struct db *db, const char *ukey, const char *akey)
{
	char umax[8], amax[8], win[12];
	const char *params[] = { ukey, umax, akey, amax, win };
	PGresult *res;
	int s;

	snprintf(umax, sizeof(umax), "%d", THROTTLE_USER_MAX);
	snprintf(amax, sizeof(amax), "%d", THROTTLE_ADDR_MAX);
	snprintf(win, sizeof(win), "%d", THROTTLE_WINDOW_S);
	res = db_exec(db, &throttle_check, params, NULL);
	if (res == NULL)
		return -1;
	s = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return s;
}

/* Runs a statement whose rows do not matter. 0 or -1. */
static int exec_only(struct db *db, struct db_stmt *stmt, const char *const *params)
{
	PGresult *res = db_exec(db, stmt, params, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The account's id when name and password match it, 0 when not, -1 when
 * the database is down. Costs one hash either way. */
static long long check_password(struct db *db, const char *name, const char *password)
{
	const char *params[] = { name };
	PGresult *res = db_exec(db, &select_user, params, NULL);
	long long id = 0;
	const char *hash;

	if (res == NULL)
		return -1;
	hash = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : dummy_hash();
	if (hash && password_matches(password, hash) && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

/* Stores the session of a fresh token for staff_id; fills token and out. */
static int open_session(struct db *db, long long staff_id, int session_s, char *token,
			struct staff_session *out)
{
	char hash[SHA256_HEX_LEN + 1], idbuf[24], secs[12];
	const char *params[] = { hash, idbuf, secs };
	PGresult *res;

	if (new_token(token) < 0)
		return -1;
	sha256_hex(token, STAFF_TOKEN_LEN, hash);
	snprintf(idbuf, sizeof(idbuf), "%lld", staff_id);
	snprintf(secs, sizeof(secs), "%d", session_s);
	res = db_exec(db, &insert_session, params, NULL);
	if (res == NULL)
		return -1;
	out->staff_id = staff_id;
	snprintf(out->expires_at, sizeof(out->expires_at), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

enum staff_login_result staff_login(struct db *db, const struct staff_login *in,
				    char *token, struct staff_session *out, int *retry_after)
{
	char ukey[STAFF_USERNAME_MAX * 4 + 8], akey[80];
	const char *params[] = { ukey, akey, NULL };
	char win[12];
	long long id;

	memset(out, 0, sizeof(*out));
	*retry_after = 0;
	snprintf(ukey, sizeof(ukey), "user:%.256s", in->username);
	snprintf(akey, sizeof(akey), "addr:%.64s", in->addr);
	*retry_after = throttled_for(db, ukey, akey);
	if (*retry_after < 0)
		return STAFF_LOGIN_ERROR;
	if (*retry_after > 0)
		return STAFF_LOGIN_THROTTLED;
	id = check_password(db, in->username, in->password);
	if (id < 0)
		return STAFF_LOGIN_ERROR;
	if (id == 0) {
		snprintf(win, sizeof(win), "%d", THROTTLE_WINDOW_S);
		params[2] = win;
		return exec_only(db, &record_failure, params) < 0 ? STAFF_LOGIN_ERROR
								  : STAFF_LOGIN_INVALID;
	}
	if (exec_only(db, &clear_failures, params) < 0 ||
	    open_session(db, id, in->session_s, token, out) < 0)
		return STAFF_LOGIN_ERROR;
	snprintf(out->username, sizeof(out->username), "%s", in->username);
	return STAFF_LOGIN_OK;
}

enum lookup staff_session_find(struct db *db, const char *token, struct staff_session *out)
{
	char hash[SHA256_HEX_LEN + 1];
	const char *params[] = { hash };
	PGresult *res;
	enum lookup found;

	memset(out, 0, sizeof(*out));
	sha256_hex(token, strlen(token), hash);
	res = db_exec(db, &select_session, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	found = PQntuples(res) == 1 ? LOOKUP_FOUND : LOOKUP_NONE;
	if (found == LOOKUP_FOUND) {
		out->staff_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(out->username, sizeof(out->username), "%s", PQgetvalue(res, 0, 1));
		snprintf(out->expires_at, sizeof(out->expires_at), "%s", PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return found;
}

int staff_logout(struct db *db, const char *token)
{
	char hash[SHA256_HEX_LEN + 1];
	const char *params[] = { hash };

	sha256_hex(token, strlen(token), hash);
	return exec_only(db, &delete_session, params);
}

int staff_audit_list(struct db *db, long long before_id, int limit, struct staff_audit_list *out)
{
	char idbuf[24], lim[12];
	const char *params[] = { idbuf, lim };
	PGresult *res;

	memset(out, 0, sizeof(*out));
	snprintf(idbuf, sizeof(idbuf), "%lld", before_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	res = db_exec(db, &select_audit, params, NULL);
	if (res == NULL)
		return -1;
	out->owned = res;
	out->n = PQntuples(res);
	out->items = calloc((size_t)out->n + 1, sizeof(*out->items));
	if (out->items == NULL) {
		staff_audit_list_release(out);
		return -1;
	}
	for (int i = 0; i < out->n; i++) {
		struct staff_audit_entry *e = &out->items[i];

		e->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		e->at = PQgetvalue(res, i, 1);
		e->username = PQgetvalue(res, i, 2);
		e->action = PQgetvalue(res, i, 3);
		e->entity = PQgetvalue(res, i, 4);
		e->entity_id = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		e->before = PQgetvalue(res, i, 6);
		e->after = PQgetvalue(res, i, 7);
	}
	return 0;
}

void staff_audit_list_release(struct staff_audit_list *list)
{
	PQclear(list->owned);
	free(list->items);
	memset(list, 0, sizeof(*list));
}
