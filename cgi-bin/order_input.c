/* order_input.c - turns an order body into a validated struct order_input.
 *
 * Order of checks: bytes (UTF-8), syntax (JSON), types (400), then values
 * (422), so the status tells a client which kind of mistake it made. Numbers
 * are accepted only when their double value is an exact integer in range:
 * 1.5 and 99999999999999999999 are refused, 1e3 is exactly 1000. */
#include "order_input.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "text.h"

/* Largest integer a double holds exactly: bigger ids cannot be told apart. */
#define MAX_EXACT_ID 9007199254740991.0

int input_fail(struct input_error *err, int status, const char *code, const char *field,
	       const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n >= len - i)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int email_plausible(const char *s)
{
	const char *at = strrchr(s, '@');
	const char *domain, *dot;
	size_t len = strlen(s);

	if (len < 3 || len > ORDER_EMAIL_MAX || at == NULL || at == s || at - s > 64)
		return 0;
	for (const char *p = s; p < at; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("()<>,;:\\\"[]@", *p))
			return 0;
	domain = at + 1;
	dot = strrchr(domain, '.');
	if (dot == NULL || dot == domain || dot[1] == '\0' || strlen(dot + 1) < 2)
		return 0;
	for (const char *p = domain; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || (unsigned char)c >= 0x80))
			return 0;
		if (c == '.' && (p == domain || p[1] == '.' || p[1] == '\0'))
			return 0;
	}
	return 1;
}

/* Parses body as one JSON object. NULL with err filled. */
cJSON *input_parse_object(const char *body, size_t len, struct input_error *err)
{
	const char *end = NULL;
	char field[sizeof(err->field)];
	cJSON *root;

	if (body == NULL || len == 0) {
		input_fail(err, 400, "malformed_json", NULL, "The request body is empty; a JSON object is expected.");
		return NULL;
	}
	if (memchr(body, '\0', len) || !utf8_valid(body, len)) {
		input_fail(err, 400, "invalid_utf8", NULL, "The request body is not valid UTF-8.");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL) {
		input_fail(err, 400, "malformed_json", NULL, "The request body is not valid JSON.");
		return NULL;
	}
	/* cJSON decodes \u0000, and every C string would then end there. */
	if (json_find_nul(body, len, field, sizeof(field))) {
		cJSON_Delete(root);
		input_fail(err, 400, "nul_character", field, "Text must not contain the NUL character (\\u0000).");
		return NULL;
	}
	while (end && end < body + len && strchr(" \t\r\n", *end))
		end++;
	if (end != body + len) {
		cJSON_Delete(root);
		input_fail(err, 400, "malformed_json", NULL, "The request body has data after the JSON value.");
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		input_fail(err, 400, "invalid_type", NULL, "The request body must be a JSON object.");
		return NULL;
	}
	return root;
}

/* An exact integer from a JSON number (or, when strings_ok, a string of
 * digits). 1 ok, 0 wrong type (400), -1 not an exact integer in
 * [min, max] (422). */
static int get_integer(const cJSON *item, int strings_ok, double min, double max, long long *out)
{
	double v;

	if (cJSON_IsNumber(item)) {
		v = item->valuedouble;
	} else if (strings_ok && cJSON_IsString(item)) {
		const char *s = item->valuestring;
		size_t n = strspn(s, "0123456789");

		if (n == 0 || s[n] != '\0')
			return -1;
		if (n > 16)
			return -1;
		v = strtod(s, NULL);
	} else {
		return 0;
	}
	if (!isfinite(v) || v != floor(v) || v < min || v > max)
		return -1;
	*out = (long long)v;
	return 1;
}

static int cmp_item(const void *a, const void *b)
{
	const struct order_item_input *x = a, *y = b;

	return (x->product_id > y->product_id) - (x->product_id < y->product_id);
}

/* Adds an item, merging a repeated product; then checks the merged quantity. */
static int add_item(struct order_input *out, long long pid, long long qty, int index,
		    const char *field, struct input_error *err)
{
	for (int i = 0; i < out->nitems; i++) {
		if (out->items[i].product_id != pid)
			continue;
		if (out->items[i].quantity + qty > ORDER_MAX_QUANTITY)
			return input_fail(err, 422, "invalid_quantity", field,
				    "The total quantity of one product must be at most %d.",
				    ORDER_MAX_QUANTITY);
		out->items[i].quantity += (int)qty;
		return 0;
	}
	out->items[out->nitems].product_id = pid;
	out->items[out->nitems].quantity = (int)qty;
	out->items[out->nitems].index = index < 0 ? 0 : index;
	out->nitems++;
	return 0;
}

static int parse_line(const cJSON *item, int strings_ok, int index, int qty_optional,
		      struct order_input *out, struct input_error *err)
{
	char field[40];
	const char *prefix = index < 0 ? "" : "items[";
	char where[16] = "";
	const cJSON *pid_item, *qty_item;
	long long pid, qty = 1;
	int rc;

	if (index >= 0)
		snprintf(where, sizeof(where), "%d].", index);
	if (!cJSON_IsObject(item)) {
		snprintf(field, sizeof(field), "items[%d]", index);
		return input_fail(err, 400, "invalid_type", field,
			    "Each item must be an object with product_id and quantity.");
	}
	pid_item = cJSON_GetObjectItemCaseSensitive(item, "product_id");
	snprintf(field, sizeof(field), "%s%sproduct_id", prefix, where);
	if (pid_item == NULL)
		return input_fail(err, 400, "missing_field", field, "product_id is required.");
	rc = get_integer(pid_item, strings_ok, 1, MAX_EXACT_ID, &pid);
	if (rc == 0)
		return input_fail(err, 400, "invalid_type", field, "product_id must be a number.");
	if (rc < 0)
		return input_fail(err, 422, "unknown_product", field, "There is no such product.");

	qty_item = cJSON_GetObjectItemCaseSensitive(item, "quantity");
	snprintf(field, sizeof(field), "%s%squantity", prefix, where);
	if (qty_item == NULL && !qty_optional)
		return input_fail(err, 400, "missing_field", field, "quantity is required.");
	if (qty_item != NULL) {
		rc = get_integer(qty_item, strings_ok, 1, ORDER_MAX_QUANTITY, &qty);
		if (rc == 0)
			return input_fail(err, 400, "invalid_type", field, "quantity must be a number.");
		if (rc < 0)
			return input_fail(err, 422, "invalid_quantity", field,
				    "quantity must be a whole number from 1 to %d.", ORDER_MAX_QUANTITY);
	}
	return add_item(out, pid, qty, index, field, err);
}

static int parse_customer(const cJSON *root, struct order_input *out, struct input_error *err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "customer_name");
	const cJSON *email = cJSON_GetObjectItemCaseSensitive(root, "customer_email");
	size_t nlen;

	if (name == NULL)
		return input_fail(err, 400, "missing_field", "customer_name", "customer_name is required.");
	if (!cJSON_IsString(name))
		return input_fail(err, 400, "invalid_type", "customer_name", "customer_name must be a string.");
	nlen = utf8_length(name->valuestring);
	if (nlen < 1 || nlen > ORDER_NAME_MAX || strspn(name->valuestring, " ") == strlen(name->valuestring))
		return input_fail(err, 422, "invalid_name", "customer_name",
			    "Please give a name of 1 to %d characters.", ORDER_NAME_MAX);
	if (text_control_char(name->valuestring, 0) || text_hidden_char(name->valuestring))
		return input_fail(err, 422, "invalid_name", "customer_name",
			    "The name must not contain control, invisible or direction-changing characters.");
	if (email == NULL)
		return input_fail(err, 400, "missing_field", "customer_email", "customer_email is required.");
	if (!cJSON_IsString(email))
		return input_fail(err, 400, "invalid_type", "customer_email", "customer_email must be a string.");
	if (!email_plausible(email->valuestring) || text_hidden_char(email->valuestring))
		return input_fail(err, 422, "invalid_email", "customer_email",
			    "Please give a valid email address, like name@example.com.");
	snprintf(out->name, sizeof(out->name), "%s", name->valuestring);
	snprintf(out->email, sizeof(out->email), "%s", email->valuestring);
	return 0;
}

static int parse_items(const cJSON *root, struct order_input *out, struct input_error *err)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
	int n, i = 0;
	const cJSON *it;

	if (items == NULL)
		return input_fail(err, 400, "missing_field", "items", "items is required.");
	if (!cJSON_IsArray(items))
		return input_fail(err, 400, "invalid_type", "items", "items must be an array.");
	n = cJSON_GetArraySize(items);
	if (n < 1 || n > ORDER_MAX_ITEMS)
		return input_fail(err, 422, "invalid_items", "items",
			    "An order must have from 1 to %d items.", ORDER_MAX_ITEMS);
	cJSON_ArrayForEach(it, items) {
		if (parse_line(it, 0, i++, 0, out, err) < 0)
			return -1;
	}
	return 0;
}

/* ISO 8601 with seconds optional and an offset or Z, naming a real
 * instant: "2026-12-03T09:00:00+00:00". */
int order_instant_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, n = 0;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16 ||
	    strspn(s, "0123456789") != 4)
		return 0;
	p = s + n;
	if (p[0] == ':') {
		if (strspn(p + 1, "0123456789") != 2)
			return 0;
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
	}
	if (strcmp(p, "Z") != 0) {
		if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':' ||
		    strspn(p + 1, "0123456789") != 2 || strspn(p + 4, "0123456789") != 2)
			return 0;
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		om = (p[4] - '0') * 10 + (p[5] - '0');
	}
	if (y < 2000 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) || h > 23 || mi > 59 ||
	    sec > 59 || oh > 15 || om > 59)
		return 0;
	return 1;
}

/* The optional "branch_id" and "pickup_at". 0 or -1. */
static int parse_pickup(const cJSON *root, struct order_input *out, struct input_error *err)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "branch_id");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "pickup_at");
	int rc;

	if (b && !cJSON_IsNull(b)) {
		rc = get_integer(b, 0, 1, MAX_EXACT_ID, &out->branch_id);
		if (rc == 0)
			return input_fail(err, 400, "invalid_type", "branch_id", "branch_id must be a number.");
		if (rc < 0)
			return input_fail(err, 422, "unknown_branch", "branch_id", "There is no such branch.");
	}
	if (at == NULL || cJSON_IsNull(at))
		return 0;
	if (!cJSON_IsString(at) || !order_instant_valid(at->valuestring))
		return input_fail(err, 400, "invalid_type", "pickup_at",
				  "pickup_at must be a slot start in ISO 8601 with an offset,"
				  " like 2026-12-03T09:00:00+00:00.");
	snprintf(out->pickup_at, sizeof(out->pickup_at), "%s", at->valuestring);
	return 0;
}

/* Parses body as a JSON object and hands it to read_fields, with out
 * zeroed first; the one place a body becomes a cJSON tree and is freed. */
static int parse_body(const char *body, size_t len, struct order_input *out,
		      struct input_error *err,
		      int (*read_fields)(const cJSON *, struct order_input *, struct input_error *))
{
	cJSON *root = input_parse_object(body, len, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return -1;
	rc = read_fields(root, out, err);
	cJSON_Delete(root);
	return rc;
}

static int read_order(const cJSON *root, struct order_input *out, struct input_error *err)
{
	int rc = parse_customer(root, out, err);

	if (rc == 0)
		rc = parse_items(root, out, err);
	if (rc == 0)
		rc = parse_pickup(root, out, err);
	if (rc == 0)
		qsort(out->items, (size_t)out->nitems, sizeof(out->items[0]), cmp_item);
	return rc;
}

/* Seed 1's {"product_id", "quantity"?}: one line, quantity 1 by default. */
static int read_seed(const cJSON *root, struct order_input *out, struct input_error *err)
{
	return parse_line(root, 1, -1, 1, out, err);
}

int order_input_parse(const char *body, size_t len, struct order_input *out,
		      struct input_error *err)
{
	return parse_body(body, len, out, err, read_order);
}

int order_input_parse_seed(const char *body, size_t len, struct order_input *out,
			   struct input_error *err)
{
	return parse_body(body, len, out, err, read_seed);
}
