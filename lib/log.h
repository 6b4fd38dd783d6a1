/* log.h - one line per event on stderr: time, level, component, then text. */
#ifndef BAKERY_LOG_H
#define BAKERY_LOG_H

#include <stdio.h>

enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG, LL_COUNT };

/* Sets the component name (borrowed: must outlive all logging) and level. */
void log_init(const char *component, enum log_level level);

/* Parses "error", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *name, enum log_level *out);

int log_enabled(enum log_level level);

/* Formats into one line; control characters in the result are escaped so a
 * hostile value can never forge a second line. order_id <= 0 means none. */
void log_msg(enum log_level level, long long order_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Escapes control characters and backslash of src into dst (always
 * NUL-terminated, truncated to fit). Returns the length written. */
size_t log_escape(char *dst, size_t dstlen, const char *src);

#define log_error(...) log_msg(LL_ERROR, 0, __VA_ARGS__)
#define log_warn(...)  do { if (log_enabled(LL_WARN)) log_msg(LL_WARN, 0, __VA_ARGS__); } while (0)
#define log_info(...)  do { if (log_enabled(LL_INFO)) log_msg(LL_INFO, 0, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_enabled(LL_DEBUG)) log_msg(LL_DEBUG, 0, __VA_ARGS__); } while (0)

#endif
