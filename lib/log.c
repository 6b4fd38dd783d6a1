/* log.c - one-line-per-event logging to stderr (SPEC §9, STYLE 8).
 *
 * Each event is formatted into a stack buffer and written with a single
 * write(2) so lines from the pre-forked processes sharing one log file never
 * interleave. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *log_component = "bakery";
static enum log_level log_threshold = LL_INFO;

static const char *const level_names[LL_COUNT] = {
	[LL_ERROR] = "error",
	[LL_WARN] = "warn",
	[LL_INFO] = "info",
	[LL_DEBUG] = "debug",
};

void log_init(const char *component, enum log_level level)
{
	log_component = component;
	log_threshold = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < LL_COUNT; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

size_t log_escape(char *dst, size_t dstlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (dstlen == 0)
		return 0;
	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;
		char buf[4];
		size_t len = 0;

		if (c == '\n') {
			buf[len++] = '\\';
			buf[len++] = 'n';
		} else if (c == '\\') {
			buf[len++] = '\\';
			buf[len++] = '\\';
		} else if (c < 0x20 || c == 0x7f) {
			buf[len++] = '\\';
			buf[len++] = 'x';
			buf[len++] = hex[c >> 4];
			buf[len++] = hex[c & 15];
		} else {
			buf[len++] = (char)c;
		}
		if (n + len >= dstlen)
			break;
		memcpy(dst + n, buf, len);
		n += len;
	}
	dst[n] = '\0';
	return n;
}

void log_msg(enum log_level level, long long order_id, const char *fmt, ...)
{
	char text[1024], line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Library messages (libpq) end in newlines: not part of the event. */
	for (n = n < 0 ? 0 : n >= (int)sizeof(text) ? (int)sizeof(text) - 1 : n;
	     n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '); n--)
		text[n - 1] = '\0';

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%ld] ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     level_names[level], log_component, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (order_id > 0) {
		int m = snprintf(line + n, sizeof(line) - (size_t)n,
				 "order=%lld ", order_id);
		if (m > 0 && (size_t)m < sizeof(line) - (size_t)n)
			n += m;
	}
	n += (int)log_escape(line + n, sizeof(line) - (size_t)n - 1, text);
	line[n++] = '\n';
	/* One write per line; a short write to stderr is not worth retrying. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
