/* Unit tests of lib/log.c: one line per event, escaping, levels. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

/* Runs fn with stderr redirected into buf. */
static void capture(void (*fn)(void), char *buf, size_t len)
{
	char path[] = "/tmp/bakery-logtest-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	close(fd);
	unlink(path);
}

static void emit_hostile(void)
{
	log_msg(LL_INFO, 42, "name=%s", "evil\nfake line\x1b[31m\\");
}

static void emit_levels(void)
{
	log_debug("hidden %d", 1);
	log_info("shown %d", 2);
	log_error("error %d", 3);
}

int main(void)
{
	char buf[4096], esc[16];
	enum log_level lvl;

	log_init("unit", LL_INFO);
	capture(emit_hostile, buf, sizeof(buf));
	ok(strchr(buf, '\n') == buf + strlen(buf) - 1, "one event is exactly one line");
	ok(strstr(buf, " info unit[") != NULL, "line carries level and component");
	ok(strstr(buf, "order=42 ") != NULL, "line carries the order id");
	ok(strstr(buf, "evil\\nfake line\\x1b[31m\\\\") != NULL, "control characters escaped: %s", buf);

	capture(emit_levels, buf, sizeof(buf));
	ok(strstr(buf, "hidden") == NULL, "debug not written at level info");
	ok(strstr(buf, "shown 2") && strstr(buf, "error 3"), "info and error written");

	ok(log_level_parse("WARN", &lvl) == 0 && lvl == LL_WARN, "level names parse");
	ok(log_level_parse("verbose", &lvl) == -1, "unknown level refused");
	log_escape(esc, sizeof(esc), "abcdefghijklmnopqrstuvwxyz");
	is_int(strlen(esc), 15, "escape truncates to the buffer");
	log_escape(esc, 4, "\n\n");
	is_str(esc, "\\n", "escape never splits an escape sequence");
	return done_testing();
}
