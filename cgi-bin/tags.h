/* tags.h - the names products may carry (SPEC §10): allergens and dietary
 * tags. Pure functions: parsing a client's names into a set, the set as a
 * PostgreSQL array literal, a stored list as a JSON array. */
#ifndef BAKERY_TAGS_H
#define BAKERY_TAGS_H

#include <stddef.h>

struct cJSON;

enum tag_kind {
	TAGS_ALLERGENS, /* gluten, milk, eggs, nuts, sesame, soy */
	TAGS_DIETARY,   /* vegan, vegetarian */
	TAG_KIND_COUNT
};

#define TAGS_LITERAL_MAX 64 /* the longest array literal, with its NUL */

/* Adds name[0..len) to *set: 0, or -1 when it is not a name of kind. */
int tags_add(enum tag_kind kind, const char *name, size_t len, unsigned *set);

/* A comma-separated list ("gluten,nuts"; empty items skipped) into *set:
 * 0, or -1 on an unknown name. */
int tags_parse_list(enum tag_kind kind, const char *list, unsigned *set);

/* set as an array literal, "{gluten,nuts}" ("{}" when empty), into out
 * (TAGS_LITERAL_MAX bytes). */
void tags_literal(enum tag_kind kind, unsigned set, char out[TAGS_LITERAL_MAX]);

/* Adds csv ("gluten,milk" as product.c gives it) to o as an array member
 * called name. 1, or 0 out of memory. */
int tags_add_json(struct cJSON *o, const char *name, const char *csv);

/* "gluten, milk, eggs, nuts, sesame, soy": the names of kind, for messages. */
const char *tags_names(enum tag_kind kind);

#endif
