/* staff_input.c - turns a staff product body into a backoffice_product.
 *
 * Same order of checks as order_input: bytes and syntax, then types (400),
 * then values (422). A price is money, so it is read from the digits the
 * client wrote, never through a double: 3.4999999999999999 is refused, not
 * rounded to 3.50. cJSON keeps only the double, so the raw text of the
 * top-level "price" member is found by a small scan of the body. */
#include "staff_input.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tags.h"
#include "text.h"

int staff_price_cents(const char *s, size_t len, long long *out)
{
	char digits[32];
	size_t nd = 0, i = 0;
	long scale = 0, exp = 0;
	int exp_neg = 0;
	long long v = 0;

	if (i < len && s[i] == '-')
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (nd < sizeof(digits) && (nd || s[i] != '0'))
			digits[nd++] = s[i];
		else if (nd == sizeof(digits))
			return -1;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale--) {
			if (nd == sizeof(digits))
				return -1;
			if (nd || s[i] != '0')
				digits[nd++] = s[i];
		}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			exp_neg = s[i++] == '-';
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((exp = exp * 10 + (s[i] - '0')) > 100)
				return -1;
	}
	scale += (exp_neg ? -exp : exp) + 2; /* the value in cents is digits x 10^scale */
	while (scale < 0 && nd > 0 && digits[nd - 1] == '0') {
		nd--;
		scale++;
	}
	if (nd == 0) {
		*out = 0;
		return 1;
	}
	if (scale < 0)
		return 0;
	if ((long)nd + scale > 12)
		return -1;
	for (size_t k = 0; k < nd; k++)
		v = v * 10 + (digits[k] - '0');
	for (long k = 0; k < scale; k++)
		v *= 10;
	*out = v;
	return 1;
}

/* Past a JSON string starting at p ('"'); NULL when unterminated. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past one JSON value starting at p (the body is known to be valid JSON). */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p && p < end) {
		if (*p == '"') {
			p = skip_string(p, end);
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			depth--;
			p++;
		} else if (depth == 0 && (*p == ',' || strchr(" \t\r\n", *p))) {
			return p;
		} else {
			p++;
		}
		if (depth == 0 && p && p < end && strchr(",}] \t\r\n", *p))
			return p;
	}
	return p;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p && p < end && strchr(" \t\r\n", *p))
		p++;
	return p;
}

/* The raw text of the first top-level member named key (written without
 * escapes): 1 found, 0 not. */
static int raw_member(const char *body, size_t len, const char *key, const char **val, size_t *vlen)
{
	const char *end = body + len, *p = skip_ws(body, end), *k, *v;
	size_t klen = strlen(key);

	if (p == end || *p != '{')
		return 0;
	for (p = skip_ws(p + 1, end); p && p < end && *p == '"'; p = skip_ws(p + 1, end)) {
		k = p + 1;
		p = skip_string(p, end);
		if (p == NULL)
			return 0;
		v = skip_ws(skip_ws(p, end) + 1, end); /* past the ':' */
		p = skip_value(v, end);
		if (p == NULL)
			return 0;
		if ((size_t)(p - k) >= klen + 1 && (size_t)(p - k) && k[klen] == '"' &&
		    strncmp(k, key, klen) == 0) {
			*val = v;
			*vlen = (size_t)(p - v);
			return 1;
		}
		p = skip_ws(p, end);
		if (p == end || *p != ',')
			return 0;
	}
	return 0;
}

/* A string member of 1..max characters (0 allowed when min_zero). 1 set,
 * 0 absent, -1 err filled. */
static int get_text(const cJSON *root, const char *name, int min, int max, const char **out,
		    struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
	size_t n;

	if (it == NULL)
		return 0;
	if (!cJSON_IsString(it))
		return input_fail(err, 400, "invalid_type", name, "%s must be a string.", name);
	n = utf8_length(it->valuestring);
	if ((int)n < min || (int)n > max)
		return input_fail(err, 422, "invalid_value", name, "%s must be %d to %d characters.", name, min, max);
	if (text_control_char(it->valuestring, strcmp(name, "description") == 0))
		return input_fail(err, 422, "invalid_value", name, "%s must not contain control characters.", name);
	if (text_hidden_char(it->valuestring))
		return input_fail(err, 422, "invalid_value", name,
			    "%s must not contain invisible or direction-changing characters.", name);
	*out = it->valuestring;
	return 1;
}

static int get_price(const cJSON *root, const char *body, size_t len, long long *cents,
		     struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "price");
	const char *raw;
	size_t rlen;
	int rc;

	if (it == NULL)
		return 0;
	if (!cJSON_IsNumber(it))
		return input_fail(err, 400, "invalid_type", "price", "price must be a number.");
	if (!raw_member(body, len, "price", &raw, &rlen))
		return input_fail(err, 400, "invalid_type", "price", "price must be a plain JSON number.");
	rc = staff_price_cents(raw, rlen, cents);
	if (rc == 0)
		return input_fail(err, 422, "invalid_price", "price", "price must have at most two decimals.");
	if (rc < 0 || *cents <= 0 || *cents > PRODUCT_PRICE_MAX_CENTS)
		return input_fail(err, 422, "invalid_price", "price", "price must be above 0 and at most %lld.",
			    PRODUCT_PRICE_MAX_CENTS / 100);
	return 1;
}

static int get_stock(const cJSON *root, long long *stock, struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "stock");
	double v;

	if (it == NULL)
		return 0;
	if (!cJSON_IsNumber(it))
		return input_fail(err, 400, "invalid_type", "stock", "stock must be a number.");
	v = it->valuedouble;
	if (!isfinite(v) || v != floor(v) || v < 0 || v > PRODUCT_STOCK_MAX)
		return input_fail(err, 422, "invalid_stock", "stock", "stock must be a whole number from 0 to %d.",
			    PRODUCT_STOCK_MAX);
	*stock = (long long)v;
	return 1;
}

static int get_active(const cJSON *root, int *active, struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "active");

	if (it == NULL)
		return 0;
	if (!cJSON_IsBool(it))
		return input_fail(err, 400, "invalid_type", "active", "active must be true or false.");
	*active = cJSON_IsTrue(it);
	return 1;
}

/* An array of allergen or dietary names, into an array literal. */
static int get_tags(const cJSON *root, const char *name, enum tag_kind kind, char *out,
		    size_t outlen, struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name), *e;
	char literal[TAGS_LITERAL_MAX];
	unsigned set = 0;

	if (it == NULL)
		return 0;
	if (!cJSON_IsArray(it))
		return input_fail(err, 400, "invalid_type", name, "%s must be an array of strings.", name);
	cJSON_ArrayForEach(e, it) {
		if (!cJSON_IsString(e))
			return input_fail(err, 400, "invalid_type", name, "%s must be an array of strings.", name);
		if (tags_add(kind, e->valuestring, strlen(e->valuestring), &set) < 0)
			return input_fail(err, 422, kind == TAGS_ALLERGENS ? "invalid_allergens" : "invalid_dietary",
					  name, "%s may name only %s.", name, tags_names(kind));
	}
	tags_literal(kind, set, literal);
	snprintf(out, outlen, "%s", literal);
	return 1;
}

/* Reads every known member into out, setting its bit. 0 or -1. */
static int read_fields(const cJSON *root, const char *body, size_t len,
		       struct backoffice_product *out, struct input_error *err)
{
	int r[8];

	r[0] = get_text(root, "name", 1, PRODUCT_NAME_MAX, &out->name, err);
	r[1] = r[0] < 0 ? -1 : get_text(root, "description", 0, PRODUCT_DESCRIPTION_MAX, &out->description, err);
	r[2] = r[1] < 0 ? -1 : get_text(root, "category", 1, PRODUCT_CATEGORY_MAX, &out->category, err);
	r[3] = r[2] < 0 ? -1 : get_price(root, body, len, &out->price_cents, err);
	r[4] = r[3] < 0 ? -1 : get_stock(root, &out->stock, err);
	r[5] = r[4] < 0 ? -1 : get_active(root, &out->active, err);
	r[6] = r[5] < 0 ? -1 : get_tags(root, "allergens", TAGS_ALLERGENS, out->allergens,
					sizeof(out->allergens), err);
	r[7] = r[6] < 0 ? -1 : get_tags(root, "dietary", TAGS_DIETARY, out->dietary,
					sizeof(out->dietary), err);
	for (int i = 0; i < 8; i++) {
		if (r[i] < 0)
			return -1;
		if (r[i] > 0)
			out->set |= 1u << i;
	}
	return 0;
}

int staff_product_parse(const char *body, size_t len, int create, struct backoffice_product *out,
			struct cJSON **root, struct input_error *err)
{
	static const char *const required[] = { "name", NULL, "category", "price", "stock" };

	memset(out, 0, sizeof(*out));
	*root = input_parse_object(body, len, err);
	if (*root == NULL)
		return -1;
	if (read_fields(*root, body, len, out, err) < 0)
		goto fail;
	for (int i = 0; create && i < 5; i++) {
		if (required[i] && !(out->set & (1u << i))) {
			input_fail(err, 400, "missing_field", required[i], "%s is required.", required[i]);
			goto fail;
		}
	}
	if (out->set == 0) {
		input_fail(err, 422, "nothing_to_change", "", "Give at least one of name, description, "
		     "category, price, stock, active, allergens, dietary.");
		goto fail;
	}
	return 0;
fail:
	cJSON_Delete(*root);
	*root = NULL;
	return -1;
}

/* "HH:MM", 00:00 to 24:00 ("24:00" closes at midnight). */
static int valid_hhmm(const char *s)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5 ||
	    sscanf(s, "%2d:%2d", &h, &m) != 2)
		return 0;
	return (h < 24 && m < 60) || (h == 24 && m == 0);
}

/* One day of opening_hours: null (closed) or {"open","close"}. 0 or -1. */
static int get_day(const cJSON *it, const char *field, struct branch_day *d, struct input_error *err)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, "open");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "close");

	memset(d, 0, sizeof(*d));
	if (cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsObject(it) || !cJSON_IsString(o) || !cJSON_IsString(c) ||
	    !valid_hhmm(o->valuestring) || !valid_hhmm(c->valuestring) ||
	    strcmp(o->valuestring, c->valuestring) >= 0 || strcmp(o->valuestring, "24:00") == 0)
		return input_fail(err, 422, "invalid_hours", field,
				  "Each day is null (closed) or {\"open\":\"HH:MM\",\"close\":\"HH:MM\"}"
				  " with open before close.");
	d->open = 1;
	memcpy(d->opens, o->valuestring, 6);
	/* PostgreSQL's time takes 24:00:00; the slots end by it. */
	memcpy(d->closes, c->valuestring, 6);
	return 0;
}

static int get_hours(const cJSON *root, struct branch_edit *out, struct input_error *err)
{
	static const char *const days[BRANCH_DAYS] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "opening_hours"), *e;
	char field[32];

	if (it == NULL)
		return 0;
	if (!cJSON_IsObject(it))
		return input_fail(err, 400, "invalid_type", "opening_hours", "opening_hours must be an object.");
	cJSON_ArrayForEach(e, it) {
		int d = 0;

		while (d < BRANCH_DAYS && strcmp(e->string, days[d]) != 0)
			d++;
		snprintf(field, sizeof(field), "opening_hours.%.8s", e->string);
		if (d == BRANCH_DAYS)
			return input_fail(err, 422, "invalid_hours", field, "Days are mon, tue, wed, thu, fri, sat, sun.");
		if (get_day(e, field, &out->week[d], err) < 0)
			return -1;
		out->days_set |= 1u << d;
	}
	return 1;
}

static int get_capacity(const cJSON *root, int *cap, struct input_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "slot_capacity");
	double v;

	if (it == NULL)
		return 0;
	*cap = -1;
	if (cJSON_IsNull(it))
		return 1;
	if (!cJSON_IsNumber(it))
		return input_fail(err, 400, "invalid_type", "slot_capacity", "slot_capacity must be a number or null.");
	v = it->valuedouble;
	if (!isfinite(v) || v != floor(v) || v < 0 || v > BRANCH_CAPACITY_MAX)
		return input_fail(err, 422, "invalid_capacity", "slot_capacity",
				  "slot_capacity must be a whole number from 0 to %d, or null.", BRANCH_CAPACITY_MAX);
	*cap = (int)v;
	return 1;
}

int staff_branch_parse(const char *body, size_t len, int create, struct branch_edit *out,
		       struct cJSON **root, struct input_error *err)
{
	int r[4];

	memset(out, 0, sizeof(*out));
	*root = input_parse_object(body, len, err);
	if (*root == NULL)
		return -1;
	r[0] = get_text(*root, "name", 1, BRANCH_NAME_MAX, &out->name, err);
	r[1] = r[0] < 0 ? -1 : get_text(*root, "address", 1, BRANCH_ADDRESS_MAX, &out->address, err);
	r[2] = r[1] < 0 ? -1 : get_capacity(*root, &out->slot_capacity, err);
	r[3] = r[2] < 0 ? -1 : get_hours(*root, out, err);
	for (int i = 0; i < 4; i++)
		if (r[i] > 0)
			out->set |= 1u << i;
	if (r[3] < 0)
		goto fail;
	if (create && !(out->set & BR_NAME)) {
		input_fail(err, 400, "missing_field", "name", "name is required.");
		goto fail;
	}
	if (create && !(out->set & BR_ADDRESS)) {
		input_fail(err, 400, "missing_field", "address", "address is required.");
		goto fail;
	}
	if (out->set == 0) {
		input_fail(err, 422, "nothing_to_change", "", "Give at least one of name, address, "
			   "slot_capacity, opening_hours.");
		goto fail;
	}
	return 0;
fail:
	cJSON_Delete(*root);
	*root = NULL;
	return -1;
}

int staff_stock_parse(const char *body, size_t len, long long *stock, struct input_error *err)
{
	cJSON *root = input_parse_object(body, len, err);
	int rc;

	if (root == NULL)
		return -1;
	rc = get_stock(root, stock, err);
	cJSON_Delete(root);
	if (rc == 0)
		return input_fail(err, 400, "missing_field", "stock", "stock is required.");
	return rc < 0 ? -1 : 0;
}
