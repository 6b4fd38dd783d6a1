/* product.c - catalogue queries. Statements first, then the row mapping. */
#include "product.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

#define SORTED(col) "array_to_string(ARRAY(SELECT unnest(" col ") ORDER BY 1), ',')"
#define PRODUCT_COLUMNS(stock) "p.id, p.name, p.description, p.category, p.price_cents, " \
	stock ", p.active, " SORTED("p.allergens") ", " SORTED("p.dietary")
#define NCOLUMNS 9
#define NSTRINGS 5 /* name, description, category, allergens, dietary */

/* Products with branch $2's stock (0 = the default branch). */
#define WITH_STOCK "SELECT " PRODUCT_COLUMNS("coalesce(s.stock, 0)") " FROM products p" \
	" LEFT JOIN branch_stock s ON s.product_id = p.id"                         \
	"  AND s.branch_id = coalesce(nullif($2::bigint, 0), bakery_default_branch())"

/* A listing: the storefront's (active products) or the staff's (all),
 * with one branch's stock, filtered by category, allergens and tags. */
static struct db_stmt list_products = {
	"product_list",
	WITH_STOCK
	" WHERE ($1::boolean OR p.active) AND ($3 = '' OR p.category = $3)"
	" AND NOT p.allergens && coalesce($4::text[], '{}') AND p.dietary @> coalesce($5::text[], '{}')"
	" ORDER BY p.category, p.name, p.id",
	5, 1, 0
};

/* One product by id, whatever its state, with a branch's stock. */
static struct db_stmt get_one = {
	"product_get",
	WITH_STOCK " WHERE p.id = $1",
	2, 1, 0
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
	static const int cols[NSTRINGS] = { 1, 2, 3, 7, 8 };

	if (PQnfields(res) != NCOLUMNS)
		return -1;
	for (int i = 0; i < rows; i++)
		for (int f = 0; f < NSTRINGS; f++)
			bytes += (size_t)PQgetlength(res, i, cols[f]) + 1;
	list->items = calloc((size_t)rows + 1, sizeof(*list->items));
	list->strings = malloc(bytes + 1);
	if (list->items == NULL || list->strings == NULL)
		goto fail;
	for (int i = 0; i < rows; i++) {
		struct product *p = &list->items[i];
		char **dst[NSTRINGS] = { &p->name, &p->description, &p->category, &p->allergens,
					 &p->dietary };

		if (parse_ll(PQgetvalue(res, i, 0), &p->id) < 0 ||
		    parse_ll(PQgetvalue(res, i, 4), &p->price_cents) < 0 ||
		    parse_ll(PQgetvalue(res, i, 5), &p->stock) < 0)
			goto fail;
		for (int f = 0; f < NSTRINGS; f++) {
			size_t len = (size_t)PQgetlength(res, i, cols[f]);

			memcpy(list->strings + off, PQgetvalue(res, i, cols[f]), len + 1);
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

int product_list(struct db *db, const struct product_filter *f, struct product_list *list)
{
	char branch[24];
	const char *params[] = { f->inactive_too ? "true" : "false", branch, f->category,
				 f->allergen_free, f->dietary };
	PGresult *res;
	int rc;

	snprintf(branch, sizeof(branch), "%lld", f->branch);
	res = db_exec(db, &list_products, params, NULL);
	if (res == NULL)
		return -1;
	rc = map_rows(res, list);
	PQclear(res);
	return rc;
}

enum lookup product_get(struct db *db, long long id, long long branch, struct product_list *list)
{
	char idbuf[24], bbuf[24];
	const char *params[] = { idbuf, bbuf };
	PGresult *res;
	int rc;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	snprintf(bbuf, sizeof(bbuf), "%lld", branch);
	res = db_exec(db, &get_one, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	rc = map_rows(res, list);
	PQclear(res);
	if (rc < 0)
		return LOOKUP_ERROR;
	if (list->n == 0) {
		product_list_release(list);
		return LOOKUP_NONE;
	}
	return LOOKUP_FOUND;
}

void product_list_release(struct product_list *list)
{
	free(list->items);
	free(list->strings);
	memset(list, 0, sizeof(*list));
}
