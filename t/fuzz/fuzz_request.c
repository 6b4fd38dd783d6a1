/* libFuzzer harness for everything that parses request bytes: the order
 * body validators (both shapes), staff branch and stock bodies, allergen
 * lists and pickup instants, query-string decoding and route matching.
 * Built and run by `make fuzz` (clang, ASan, UBSan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "order_input.h"
#include "staff_input.h"
#include "tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Route matching and query decoding: PATCH is on no route, so dispatch
 * never reaches a handler (which would need the database). */
static void fuzz_routing(const char *text)
{
	size_t n = strlen(text);
	char *path = malloc(n + 16), *query = malloc(n + 16);
	char *envp[4];
	struct request req;
	struct response res;
	struct app app = { 0 };
	char out[256];

	if (path == NULL || query == NULL)
		goto out;
	snprintf(path, n + 16, "PATH_INFO=%s", text);
	snprintf(query, n + 16, "QUERY_STRING=%s", text);
	envp[0] = "REQUEST_METHOD=PATCH";
	envp[1] = path;
	envp[2] = query;
	envp[3] = NULL;
	response_init(&res);
	if (request_init(&req, NULL, envp) == 0) {
		router_dispatch(&app, &req, &res);
		request_query(&req, "category", out, sizeof(out));
		request_query(&req, "token", out, sizeof(out));
	}
	request_release(&req);
	response_release(&res);
out:
	free(path);
	free(query);
}

/* Staff branch bodies: accepted hours are HH:MM with open before close. */
static void fuzz_branch(const char *data, size_t size)
{
	struct branch_edit e;
	struct input_error err;
	struct cJSON *root;
	long long stock;

	if (staff_branch_parse(data, size, 0, &e, &root, &err) == 0) {
		for (int d = 0; d < BRANCH_DAYS; d++)
			if (e.week[d].open && (strlen(e.week[d].opens) != 5 ||
					       strcmp(e.week[d].opens, e.week[d].closes) >= 0))
				abort();
		cJSON_Delete(root);
	}
	staff_stock_parse(data, size, &stock, &err);
}

/* Allergen lists and pickup instants from query-sized text. */
static void fuzz_names(const char *text)
{
	char lit[TAGS_LITERAL_MAX];
	unsigned set = 0;

	if (tags_parse_list(TAGS_ALLERGENS, text, &set) == 0)
		tags_literal(TAGS_ALLERGENS, set, lit);
	order_instant_valid(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct order_input in;
	struct input_error err;
	char *text;

	log_init("fuzz", LL_ERROR);
	if (order_input_parse((const char *)data, size, &in, &err) == 0) {
		/* Whatever was accepted must hold the documented limits. */
		if (in.nitems < 1 || in.nitems > ORDER_MAX_ITEMS || !email_plausible(in.email))
			abort();
		for (int i = 0; i < in.nitems; i++)
			if (in.items[i].quantity < 1 || in.items[i].quantity > ORDER_MAX_QUANTITY ||
			    in.items[i].product_id < 1 || (i && in.items[i].product_id <= in.items[i - 1].product_id))
				abort();
	} else if (err.status != 400 && err.status != 422) {
		abort();
	}
	order_input_parse_seed((const char *)data, size, &in, &err);
	fuzz_branch((const char *)data, size);
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_routing(text);
	fuzz_names(text);
	free(text);
	return 0;
}
