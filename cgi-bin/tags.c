/* tags.c - allergen and dietary names: one table, in the order the
 * schema's CHECK lists them. */
#include "tags.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define TAGS_MAX 6

static const char *const names[TAG_KIND_COUNT][TAGS_MAX + 1] = {
	[TAGS_ALLERGENS] = { "gluten", "milk", "eggs", "nuts", "sesame", "soy", NULL },
	[TAGS_DIETARY] = { "vegan", "vegetarian", NULL },
};

static const char *const lists[TAG_KIND_COUNT] = {
	[TAGS_ALLERGENS] = "gluten, milk, eggs, nuts, sesame, soy",
	[TAGS_DIETARY] = "vegan, vegetarian",
};

int tags_add(enum tag_kind kind, const char *name, size_t len, unsigned *set)
{
	for (int i = 0; names[kind][i]; i++) {
		if (strlen(names[kind][i]) == len && strncmp(names[kind][i], name, len) == 0) {
			*set |= 1u << i;
			return 0;
		}
	}
	return -1;
}

int tags_parse_list(enum tag_kind kind, const char *list, unsigned *set)
{
	while (*list) {
		size_t len = strcspn(list, ",");

		if (len && tags_add(kind, list, len, set) < 0)
			return -1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

void tags_literal(enum tag_kind kind, unsigned set, char out[TAGS_LITERAL_MAX])
{
	size_t off = 1;

	out[0] = '{';
	for (int i = 0; names[kind][i]; i++) {
		if (!(set & (1u << i)))
			continue;
		off += (size_t)snprintf(out + off, TAGS_LITERAL_MAX - off, "%s%s",
					off > 1 ? "," : "", names[kind][i]);
	}
	snprintf(out + off, TAGS_LITERAL_MAX - off, "}");
}

int tags_add_json(cJSON *o, const char *name, const char *csv)
{
	cJSON *arr = cJSON_AddArrayToObject(o, name);
	char item[32];

	while (arr && *csv) {
		size_t len = strcspn(csv, ",");
		cJSON *s;

		snprintf(item, sizeof(item), "%.*s", (int)len, csv);
		s = cJSON_CreateString(item);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return 0;
		}
		csv += len;
		if (*csv == ',')
			csv++;
	}
	return arr != NULL;
}

const char *tags_names(enum tag_kind kind)
{
	return lists[kind];
}
