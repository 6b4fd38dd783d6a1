/* tap.h - a minimal Test Anything Protocol emitter for the C unit tests. */
#ifndef BAKERY_TAP_H
#define BAKERY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, name)
#define is_str(got, want, name) tap_is_str(got, want, __FILE__, __LINE__, name)

__attribute__((format(printf, 4, 5)))
static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s line %d\n", file, line);
	}
	return cond;
}

static inline int tap_is_int(long long got, long long want, const char *file, int line,
			     const char *name)
{
	if (!tap_ok(got == want, file, line, "%s", name))
		printf("#   got %lld, expected %lld\n", got, want);
	return got == want;
}

static inline int tap_is_str(const char *got, const char *want, const char *file, int line,
			     const char *name)
{
	int same = got && want ? strcmp(got, want) == 0 : got == want;

	if (!tap_ok(same, file, line, "%s", name))
		printf("#   got \"%s\", expected \"%s\"\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

/* Prints the plan and returns the exit status. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
