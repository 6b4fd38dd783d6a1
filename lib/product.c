/* product.c - catalogue queries. Statements first, then the row mapping. */
#include "product.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

#define PRODUCT_COLUMNS "id, name, description, category, price_cents, stock, active"

/* Listing for the storefront: every active product, or one category. */
static struct db_stmt list_active = {
	"product_list_active",
	"SELECT " PRODUCT_COLUMNS " FROM products"
	" WHERE active AND ($1 = '' OR category = $1) ORDER BY category, name, id",
	1, 1, 0
};

/* One product by id, whatever its state. */
static struct db_stmt get_one = {
	"product_get",
	"SELECT " PRODUCT_COLUMNS " FROM products WHERE id = $1",
	1, 1, 0
};

static int parse_ll(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s && *end == '\0' ? 0 : -1;
}

/* Copies every row of res into list: one array, one block of strings. */
static int map_rows(PGresult *res, struct product_list *list)
{
	int rows = PQntuples(res);
	size_t bytes = 0, off = 0;

	memset(list, 0, sizeof(*list));
	if (PQnfields(res) != 7)
		return -1;
	for (int i = 0; i < rows; i++)
		for (int f = 1; f <= 3; f++)
			bytes += (size_t)PQgetlength(res, i, f) + 1;
	list->items = calloc((size_t)rows + 1, sizeof(*list->items));
	list->strings = malloc(bytes + 1);
	if (list->items == NULL || list->strings == NULL)
		goto fail;
	for (int i = 0; i < rows; i++) {
		struct product *p = &list->items[i];
		char **dst[] = { &p->name, &p->description, &p->category };

		if (parse_ll(PQgetvalue(res, i, 0), &p->id) < 0 ||
		    parse_ll(PQgetvalue(res, i, 4), &p->price_cents) < 0 ||
		    parse_ll(PQgetvalue(res, i, 5), &p->stock) < 0)
			goto fail;
		for (int f = 0; f < 3; f++) {
			size_t len = (size_t)PQgetlength(res, i, f + 1);

			memcpy(list->strings + off, PQgetvalue(res, i, f + 1), len + 1);
			*dst[f] = list->strings + off;
			off += len + 1;
		}
		p->active = PQgetvalue(res, i, 6)[0] == 't';
	}
	list->n = (size_t)rows;
	return 0;
fail:
	log_error("products: unexpected row shape");
	product_list_release(list);
	return -1;
}

int product_list_active(struct db *db, const char *category, struct product_list *list)
{
	const char *params[] = { category };
	PGresult *res = db_exec(db, &list_active, params, NULL);
	int rc;

	if (res == NULL)
		return -1;
	rc = map_rows(res, list);
	PQclear(res);
	return rc;
}

int product_get(struct db *db, long long id, struct product_list *list)
{
	char idbuf[24];
	const char *params[] = { idbuf };
	PGresult *res;
	int rc;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	res = db_exec(db, &get_one, params, NULL);
	if (res == NULL)
		return -1;
	rc = map_rows(res, list);
	PQclear(res);
	if (rc < 0)
		return -1;
	return list->n > 0 ? 1 : 0;
}

void product_list_release(struct product_list *list)
{
	free(list->items);
	free(list->strings);
	memset(list, 0, sizeof(*list));
}

/* Every product, inactive ones too, for staff. */
static struct db_stmt list_all = {
	"product_list_all",
	"SELECT " PRODUCT_COLUMNS " FROM products ORDER BY category, name, id",
	0, 1, 0
};

int product_list_all(struct db *db, struct product_list *list)
{
	PGresult *res = db_exec(db, &list_all, NULL, NULL);
	int rc;

	if (res == NULL)
		return -1;
	rc = map_rows(res, list);
	PQclear(res);
	return rc;
}
