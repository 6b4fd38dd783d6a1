/* cmd_staff.c - creating a staff account from the command line.
 *
 * The password never appears on the command line (ps would show it), in a
 * log line, or in the database other than as its yescrypt hash. From a
 * terminal it is read without echo; from a pipe it is the first line of
 * stdin unless BAKERY_STAFF_PASSWORD is set (for scripts and containers). */
#include "cmd_staff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "database.h"
#include "order_input.h"
#include "staff.h"
#include "text.h"

#define PASSWORD_MAX 1024

/* One line of stdin without its newline; echo off on a terminal. 0 or -1. */
static int read_line(char *buf, size_t len, int tty)
{
	struct termios old, quiet;
	int rc;

	if (tty) {
		fputs("Password: ", stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	rc = fgets(buf, (int)len, stdin) ? 0 : -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return rc;
}

static int read_password(char *buf, size_t len)
{
	int tty = isatty(STDIN_FILENO);
	const char *env = getenv("BAKERY_STAFF_PASSWORD");

	buf[0] = '\0';
	if (!tty && env) {
		if (strlen(env) >= len)
			return -1;
		snprintf(buf, len, "%s", env);
		return 0;
	}
	return read_line(buf, len, tty);
}

int cmd_create_staff(const struct config *cfg, const char *name)
{
	char password[PASSWORD_MAX];
	struct db *db;
	enum staff_create_result rc = STAFF_CREATE_ERROR;

	/* The name is shown in the audit log: plain visible text only. */
	if (!utf8_valid(name, strlen(name)) || text_control_char(name, 0) || text_hidden_char(name)) {
		fprintf(stderr, "bakery-api: the name must be UTF-8 without control, invisible or "
			"direction-changing characters\n");
		return 1;
	}
	if (read_password(password, sizeof(password)) < 0 ||
	    !utf8_valid(password, strlen(password)) ||
	    utf8_length(password) < STAFF_PASSWORD_MIN) {
		fprintf(stderr, "bakery-api: the password must be at least %d characters\n",
			STAFF_PASSWORD_MIN);
		goto out;
	}
	db = database_new(cfg->database_url, "bakery-api", cfg->connect_timeout_ms);
	if (db)
		rc = staff_create(db, name, password);
	database_free(db);
	switch (rc) {
	case STAFF_CREATED:
		printf("staff account \"%s\" created\n", name);
		break;
	case STAFF_NAME_TAKEN:
		fprintf(stderr, "bakery-api: a staff account named \"%s\" exists already\n", name);
		break;
	case STAFF_NAME_INVALID:
		fprintf(stderr, "bakery-api: the name must be 1 to %d bytes\n", STAFF_USERNAME_MAX);
		break;
	case STAFF_CREATE_ERROR:
		fprintf(stderr, "bakery-api: the account could not be stored (is PostgreSQL up?)\n");
		break;
	}
out:
	explicit_bzero(password, sizeof(password));
	return rc == STAFF_CREATED ? 0 : 1;
}
