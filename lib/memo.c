/* memo.c - a responder's copies of what it read from Redis. Lives as long
 * as the process; slots are replaced in turn. A copy is also dropped at
 * the age of MEMO_MAX_AGE_MS: a bound for a Redis that hangs without
 * closing its sockets. */
#include "memo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define MEMO_SLOTS 16
#define MEMO_MAX_AGE_MS 1000

static struct memo {
	char field[MEMO_FIELD_MAX];
	char *body;
	size_t len;
	unsigned epoch;
	long long at_ms;
} memos[MEMO_SLOTS];
static unsigned memo_next;

char *memo_get(const char *field, unsigned epoch, size_t *len)
{
	for (int i = 0; epoch && i < MEMO_SLOTS; i++) {
		struct memo *m = &memos[i];
		char *copy;

		if (m->body == NULL || m->epoch != epoch || strcmp(m->field, field) != 0)
			continue;
		if (clock_ms() - m->at_ms > MEMO_MAX_AGE_MS || (copy = malloc(m->len + 1)) == NULL)
			return NULL;
		memcpy(copy, m->body, m->len + 1);
		*len = m->len;
		return copy;
	}
	return NULL;
}

void memo_put(const char *field, unsigned epoch, const char *body, size_t len)
{
	struct memo *m = NULL;
	char *copy;

	if (epoch == 0 || strlen(field) >= MEMO_FIELD_MAX || (copy = malloc(len + 1)) == NULL)
		return;
	for (int i = 0; m == NULL && i < MEMO_SLOTS; i++)
		if (memos[i].body && strcmp(memos[i].field, field) == 0)
			m = &memos[i];
	if (m == NULL)
		m = &memos[memo_next++ % MEMO_SLOTS];
	memcpy(copy, body, len);
	copy[len] = '\0';
	free(m->body);
	*m = (struct memo){ .body = copy, .len = len, .epoch = epoch, .at_ms = clock_ms() };
	snprintf(m->field, sizeof(m->field), "%s", field);
}
