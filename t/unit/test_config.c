/* Unit tests of lib/config.c: defaults, bounds, bad values and URLs,
 * masking, the Markdown table. */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

/* Each URL is checked as its client library will read it; a refusal names
 * the variable and never shows the password. */
static void urls_checked(void)
{
	static const char *const good[][2] = {
		{ "REDIS_URL", "redis://127.0.0.1:6380/0" }, { "REDIS_URL", "redis://h" },
		{ "REDIS_URL", "redis://:pw@h:1/" }, { "REDIS_URL", "redis://user:pw@h:65535/255" },
		{ "REDIS_URL", "unix:/tmp/redis.sock" }, { "AMQP_URL", "amqp://u:p@h:1/v" },
		{ "AMQP_URL", "amqp://h" }, { "DATABASE_URL", "" },
		{ "DATABASE_URL", "host=/tmp dbname=bakery password='a b'" },
		{ "DATABASE_URL", "postgresql://u:p@h:5/db?connect_timeout=3" },
	};
	static const char *const bad[][2] = {
		{ "REDIS_URL", "redis://:s3cret@h:port/0" }, { "REDIS_URL", "redis://:s3cret@h:0/0" },
		{ "REDIS_URL", "redis://:s3cret@h:6379/x" }, { "REDIS_URL", "redis://:s3cret@h:6379/256" },
		{ "REDIS_URL", "redis://:s3cret@:6379/0" }, { "REDIS_URL", "redis//:s3cret@h:6379/0" },
		{ "REDIS_URL", "redis://:s3cret@h:6379/0/1" }, { "REDIS_URL", "redis://:s3cret@h: 6379/0" },
		{ "REDIS_URL", "unix:" }, { "AMQP_URL", "amqp://u:s3cret@h:port/v" },
		{ "AMQP_URL", "amqps://u:s3cret@h:5671/v" }, { "AMQP_URL", "amqp:/u:s3cret@h" },
		{ "AMQP_URL", "http://u:s3cret@h/v" },
		{ "DATABASE_URL", "postgresql://u:s3cret@h:5433/db?nosuch=1" },
		{ "DATABASE_URL", "host=h password=s3cret bogus" },
		{ "DATABASE_URL", "postgresql://u:s3cret@[::1/db" },
		{ "DATABASE_URL", "mysql://u:s3cret@h/db" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		setenv(good[i][0], good[i][1], 1);
		ok(config_load(err, sizeof(err)) == 0, "%s=\"%s\" accepted", good[i][0], good[i][1]);
		unsetenv(good[i][0]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i][0], bad[i][1], 1);
		ok(config_load(err, sizeof(err)) == -1 && strstr(err, bad[i][0]) == err &&
		   strstr(err, "s3cret") == NULL,
		   "%s=\"%s\" refused naming the variable, not the password: %s", bad[i][0],
		   bad[i][1], err);
		unsetenv(bad[i][0]);
	}
	setenv("AMQP_URL", "amqp://u:s3cret@h:1/v", 1);
	ok(config_load(err, sizeof(err)) == 0, "good values load again");
}

/* Passwords of every form a URL or conninfo holds them in. */
static void secrets_masked(void)
{
	char out[4096] = "";
	char err[256];
	FILE *f;

	setenv("DATABASE_URL", "host=/tmp password = 'pw s3cret' dbname=x", 1);
	setenv("REDIS_URL", "redis://s3cret@h:1/0", 1);
	ok(config_load(err, sizeof(err)) == 0, "a conninfo with a password loads");
	f = fmemopen(out, sizeof(out) - 1, "w");
	config_print(f);
	fclose(f);
	ok(strstr(out, "s3cret") == NULL, "no password shown: conninfo nor redis://pass@");
	ok(strstr(out, "host=/tmp password = *** dbname=x") != NULL, "conninfo password=***");
	ok(strstr(out, "redis://***@h:1/0") != NULL, "redis://***@");

	setenv("DATABASE_URL", "postgresql://u@h/db?password=s3cret&sslmode=disable", 1);
	ok(config_load(err, sizeof(err)) == 0, "a URI with ?password= loads");
	f = fmemopen(out, sizeof(out) - 1, "w");
	config_print(f);
	fclose(f);
	ok(strstr(out, "postgresql://u@h/db?password=***&sslmode=disable") != NULL,
	   "URI query password=***");
	unsetenv("DATABASE_URL");
	unsetenv("REDIS_URL");
}

static void markdown(void)
{
	char out[8192] = "";
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	config_print_markdown(f);
	fclose(f);
	ok(strncmp(out, "| variable | default | meaning |\n|---|---|---|\n", 44) == 0,
	   "Markdown table header");
	ok(strstr(out, "| `BAKERY_PROCESSES` | `8` | responder processes in the pre-fork pool"
		       " (1\xe2\x80\x93" "256) |\n") != NULL, "a row: name, default, help and bounds");
	ok(strstr(out, "| `BAKERY_HEARTBEAT_FILE` | `\"\"` |") != NULL, "an empty default as \"\"");
}

int main(void)
{
	char err[256];
	char out[4096] = "";
	FILE *f;

	unsetenv("BAKERY_PROCESSES");
	unsetenv("BAKERY_CACHE_TTL");
	unsetenv("BAKERY_LOG_LEVEL");
	setenv("AMQP_URL", "amqp://u:s3cret@h:1/v", 1);
	ok(config_load(err, sizeof(err)) == 0, "defaults load");
	is_int(config_get()->processes, 8, "BAKERY_PROCESSES default");
	is_int(config_get()->cache_ttl, 300, "BAKERY_CACHE_TTL default is 300 s");
	is_int(config_get()->log_level, LL_INFO, "log level default info");
	is_str(config_get()->amqp_url, "amqp://u:s3cret@h:1/v", "string taken from environment");

	setenv("BAKERY_PROCESSES", "12", 1);
	setenv("BAKERY_LOG_LEVEL", "debug", 1);
	ok(config_load(err, sizeof(err)) == 0, "valid values load");
	is_int(config_get()->processes, 12, "BAKERY_PROCESSES read");
	is_int(config_get()->log_level, LL_DEBUG, "log level read");

	const char *bad[] = { "0", "257", "4x", "", " 4", "99999999999999999999", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("BAKERY_PROCESSES", bad[i], 1);
		int rc = config_load(err, sizeof(err));
		/* An empty value means "use the default". */
		if (bad[i][0] == '\0')
			ok(rc == 0 && config_get()->processes == 8, "empty BAKERY_PROCESSES uses default");
		else
			ok(rc == -1 && strstr(err, "BAKERY_PROCESSES") != NULL,
			   "BAKERY_PROCESSES=\"%s\" refused with a message naming it", bad[i]);
	}
	setenv("BAKERY_PROCESSES", "2", 1);
	setenv("BAKERY_LOG_LEVEL", "loud", 1);
	ok(config_load(err, sizeof(err)) == -1 && strstr(err, "BAKERY_LOG_LEVEL"),
	   "unknown log level refused");
	setenv("BAKERY_LOG_LEVEL", "warn", 1);

	urls_checked();

	const char *zones[] = { "Europe/London", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5" };
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		setenv("BAKERY_TZ", zones[i], 1);
		ok(config_load(err, sizeof(err)) == 0 && strcmp(config_get()->tz, zones[i]) == 0,
		   "BAKERY_TZ=%s accepted", zones[i]);
	}
	const char *nozones[] = { "../../etc/passwd", "/etc/localtime", "Europe/London'; --", "",
				  "Mars/Olympus_Mons" };
	for (size_t i = 0; i < sizeof(nozones) / sizeof(nozones[0]); i++) {
		setenv("BAKERY_TZ", nozones[i], 1);
		if (i == 4 && access("/usr/share/zoneinfo/UTC", F_OK) != 0)
			continue; /* no zone database to check a name against */
		ok(config_load(err, sizeof(err)) == -1 && strstr(err, "BAKERY_TZ") == err,
		   "BAKERY_TZ=\"%s\" refused: %s", nozones[i], err);
	}
	unsetenv("BAKERY_TZ");
	ok(config_load(err, sizeof(err)) == 0 && strcmp(config_get()->tz, "Europe/London") == 0,
	   "BAKERY_TZ defaults to Europe/London");
	is_int(config_get()->slot_minutes, 30, "BAKERY_SLOT_MINUTES default 30");
	is_int(config_get()->slot_capacity, 10, "BAKERY_SLOT_CAPACITY default 10");
	is_int(config_get()->lead_minutes, 120, "BAKERY_LEAD_MINUTES default 120");
	is_int(config_get()->book_days, 14, "BAKERY_BOOK_DAYS default 14");
	setenv("BAKERY_SLOT_MINUTES", "0", 1);
	ok(config_load(err, sizeof(err)) == -1, "BAKERY_SLOT_MINUTES=0 refused");
	unsetenv("BAKERY_SLOT_MINUTES");

	f = fmemopen(out, sizeof(out) - 1, "w");
	config_print(f);
	fclose(f);
	ok(strstr(out, "s3cret") == NULL, "config_print never shows the AMQP password");
	ok(strstr(out, "amqp://u:***@h:1/v") != NULL, "config_print masks it as ***");
	ok(strstr(out, "BAKERY_CACHE_TTL") != NULL, "config_print lists every variable");
	ok(strstr(out, "(default 300)") != NULL, "config_print shows each default");
	ok(strstr(out, "(default amqp://bakery:***@127.0.0.1:5673/bakery)") != NULL,
	   "a default's password masked too");

	secrets_masked();
	markdown();
	return done_testing();
}
