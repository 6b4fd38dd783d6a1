/* json.c - exact money and compact printing on top of cJSON. */
#include "json.h"

#include <stdio.h>
#include <string.h>

void json_format_money(char *buf, size_t buflen, long long cents)
{
	const char *sign = cents < 0 ? "-" : "";
	unsigned long long abs = cents < 0 ? 0ULL - (unsigned long long)cents
					   : (unsigned long long)cents;

	snprintf(buf, buflen, "%s%llu.%02llu", sign, abs / 100, abs % 100);
}

cJSON *json_add_money(cJSON *obj, const char *name, long long cents)
{
	char buf[32];

	json_format_money(buf, sizeof(buf), cents);
	return cJSON_AddRawToObject(obj, name, buf);
}

char *json_print(const cJSON *root, size_t *len)
{
	char *text = cJSON_PrintUnformatted(root);

	if (text && len)
		*len = strlen(text);
	return text;
}

/* Whether the escape at p (a backslash) is \u0000. */
static int nul_escape(const char *p, const char *end)
{
	return end - p >= 6 && p[1] == 'u' && memcmp(p + 2, "0000", 4) == 0;
}

int json_find_nul(const char *text, size_t len, char *field, size_t fieldlen)
{
	const char *end = text + len, *key = "", *start = NULL;
	int keylen = 0, nul = 0;

	for (const char *p = text; p < end; p++) {
		if (start == NULL) {
			if (*p == '"')
				start = p + 1;
		} else if (*p == '\\') {
			nul |= nul_escape(p, end);
			p++;
		} else if (*p == '"') {
			const char *q = p + 1;
			int is_key;

			while (q < end && strchr(" \t\r\n", *q))
				q++;
			is_key = q < end && *q == ':';
			if (is_key) {
				key = start;
				keylen = (int)(p - start);
			}
			if (nul) {
				snprintf(field, fieldlen, "%.*s", keylen, key);
				return 1;
			}
			start = NULL;
		}
	}
	return 0;
}
