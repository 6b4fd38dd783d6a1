/* json.h - cJSON helpers shared by the responder and the worker. */
#ifndef BAKERY_JSON_H
#define BAKERY_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Adds cents as an exact JSON number with two decimals ("3.50"), never a
 * binary double. Returns the item or NULL. */
cJSON *json_add_money(cJSON *obj, const char *name, long long cents);

/* Prints root compactly. Returns malloc'd text (caller frees) and its length
 * in *len, or NULL. Does not free root. */
char *json_print(const cJSON *root, size_t *len);

/* Formats cents as "12.34" into buf (at least 24 bytes). */
void json_format_money(char *buf, size_t buflen, long long cents);

/* Whether a JSON text holds a string with an escaped NUL (\u0000), which
 * cJSON decodes and C then cuts short: "bob@example.com\u0000@evil" would
 * read as bob@example.com. 1 found, with the name of the member it is in
 * (the key itself, or the key of the value holding it; "" at the top)
 * copied into field; 0 none. text need not be NUL-terminated. */
int json_find_nul(const char *text, size_t len, char *field, size_t fieldlen);

#endif
