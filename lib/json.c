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
