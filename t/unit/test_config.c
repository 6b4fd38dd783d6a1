/* Unit tests of lib/config.c: defaults, bounds, bad values, masking. */
#include <stdlib.h>

#include "config.h"
#include "tap.h"

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
	is_int(config_get()->processes, 4, "BAKERY_PROCESSES default");
	is_int(config_get()->cache_ttl, 300, "BAKERY_CACHE_TTL default is 300 s");
	is_int(config_get()->log_level, LOG_INFO, "log level default info");
	is_str(config_get()->amqp_url, "amqp://u:s3cret@h:1/v", "string taken from environment");

	setenv("BAKERY_PROCESSES", "12", 1);
	setenv("BAKERY_LOG_LEVEL", "debug", 1);
	ok(config_load(err, sizeof(err)) == 0, "valid values load");
	is_int(config_get()->processes, 12, "BAKERY_PROCESSES read");
	is_int(config_get()->log_level, LOG_DEBUG, "log level read");

	const char *bad[] = { "0", "257", "4x", "", " 4", "99999999999999999999", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("BAKERY_PROCESSES", bad[i], 1);
		int rc = config_load(err, sizeof(err));
		/* An empty value means "use the default". */
		if (bad[i][0] == '\0')
			ok(rc == 0 && config_get()->processes == 4, "empty BAKERY_PROCESSES uses default");
		else
			ok(rc == -1 && strstr(err, "BAKERY_PROCESSES") != NULL,
			   "BAKERY_PROCESSES=\"%s\" refused with a message naming it", bad[i]);
	}
	setenv("BAKERY_PROCESSES", "2", 1);
	setenv("BAKERY_LOG_LEVEL", "loud", 1);
	ok(config_load(err, sizeof(err)) == -1 && strstr(err, "BAKERY_LOG_LEVEL"),
	   "unknown log level refused");
	setenv("BAKERY_LOG_LEVEL", "warn", 1);

	f = fmemopen(out, sizeof(out) - 1, "w");
	config_print(f);
	fclose(f);
	ok(strstr(out, "s3cret") == NULL, "config_print never shows the AMQP password");
	ok(strstr(out, "amqp://u:***@h:1/v") != NULL, "config_print masks it as ***");
	ok(strstr(out, "BAKERY_CACHE_TTL") != NULL, "config_print lists every variable");
	return done_testing();
}
