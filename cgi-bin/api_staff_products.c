/* api_staff_products.c - the catalogue as staff see and change it (SPEC
 * §6.2): every product with "active", create, edit. Each change drops the
 * customers' cached listing once committed, so their next GET /api/products
 * reads the change and gets a new ETag. */
#include <stdio.h>

#include "api.h"
#include "backoffice.h"
#include "cache.h"
#include "log.h"
#include "product.h"
#include "staff_input.h"

/* GET /api/staff/products: 200 every product with "active"; 401; 503. */
void api_staff_products_list(struct app *app, const struct request *req, struct response *res,
			     const struct route_args *args)
{
	const struct product_filter all = { 1, "", 0, NULL, NULL };
	struct product_list list;
	cJSON *root;

	(void)req;
	(void)args;
	if (product_list(app->db, &all, &list) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	root = cJSON_CreateArray();
	for (size_t i = 0; root && i < list.n; i++) {
		cJSON *it = api_product_json(&list.items[i], 1);

		if (it == NULL || !cJSON_AddItemToArray(root, it)) {
			cJSON_Delete(it);
			cJSON_Delete(root);
			root = NULL;
		}
	}
	product_list_release(&list);
	api_send_json(res, 200, root);
}

/* Answers status with product id as read back after a change. */
static void send_product(struct app *app, struct response *res, int status, long long id)
{
	struct product_list list;
	enum lookup found = product_get(app->db, id, 0, &list);

	cache_listing_invalidate(app->cache);
	switch (found) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return;
	case LOOKUP_NONE:
		/* Deleted under us; product_get has released the list. */
		api_send_json(res, status, NULL);
		return;
	case LOOKUP_FOUND:
		break;
	}
	api_send_json(res, status, api_product_json(&list.items[0], 1));
	product_list_release(&list);
}

/* POST /api/staff/products: 201 the product with Location; 400 malformed,
 * wrong type or missing field; 401; 403 cross-site; 415; 422 invalid value
 * (with field); 503 PostgreSQL down. */
void api_staff_products_create(struct app *app, const struct request *req, struct response *res,
			       const struct route_args *args)
{
	struct backoffice_product p;
	struct input_error err;
	char location[48];
	cJSON *root;
	long long id;

	if (staff_product_parse(req->body, req->body_len, 1, &p, &root, &err) < 0) {
		api_input_error(res, &err);
		return;
	}
	id = backoffice_product_create(app->db, &args->access.session, &p);
	cJSON_Delete(root);
	if (id < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	log_info("product %lld created by %s", id, args->access.session.username);
	snprintf(location, sizeof(location), "/api/staff/products/%lld", id);
	response_header(res, "Location", location);
	send_product(app, res, 201, id);
}

/* PATCH /api/staff/products/{id}: 200 the product; 400; 401; 403; 404
 * unknown product; 415; 422 (with field); 503 PostgreSQL down. */
void api_staff_products_update(struct app *app, const struct request *req, struct response *res,
			       const struct route_args *args)
{
	struct backoffice_product p;
	struct input_error err;
	cJSON *root;
	int rc;

	if (staff_product_parse(req->body, req->body_len, 0, &p, &root, &err) < 0) {
		api_input_error(res, &err);
		return;
	}
	rc = backoffice_product_update(app->db, &args->access.session, args->id[0], &p);
	cJSON_Delete(root);
	switch (rc) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		break;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such product.");
		break;
	case LOOKUP_FOUND:
		log_info("product %lld changed by %s", args->id[0], args->access.session.username);
		send_product(app, res, 200, args->id[0]);
		break;
	}
}
