/* Unit tests of cgi-bin/order_input.c: the order body validator. */
#include <stdlib.h>

#include "order_input.h"
#include "tags.h"
#include "tap.h"
#include "text.h"

static int parse(const char *body, struct order_input *in, struct input_error *err)
{
	return order_input_parse(body, strlen(body), in, err);
}

#define GOOD_HEAD "{\"customer_name\":\"Ann\",\"customer_email\":\"ann@example.com\",\"items\":"

static void expect_error(const char *body, int status, const char *code, const char *field)
{
	struct order_input in;
	struct input_error err;
	int rc = parse(body, &in, &err);

	ok(rc == -1 && err.status == status && strcmp(err.code, code) == 0 &&
	   strcmp(err.field, field) == 0,
	   "%.60s -> %d %s %s (got %d %s %s)", body, status, code, field,
	   rc ? err.status : 0, rc ? err.code : "", rc ? err.field : "");
}

static void test_good(void)
{
	struct order_input in;
	struct input_error err;

	ok(parse(GOOD_HEAD "[{\"product_id\":3,\"quantity\":2},{\"product_id\":1,\"quantity\":1e3}]}",
		 &in, &err) == 0, "valid order parses");
	is_str(in.name, "Ann", "name copied");
	is_str(in.email, "ann@example.com", "email copied");
	is_int(in.nitems, 2, "two lines");
	is_int(in.items[0].product_id, 1, "lines sorted by product id");
	is_int(in.items[0].quantity, 1000, "1e3 is exactly 1000");
	is_int(in.items[0].index, 1, "line remembers its request position");
	ok(parse(GOOD_HEAD "[{\"product_id\":2,\"quantity\":1},{\"product_id\":2,\"quantity\":4}]}",
		 &in, &err) == 0 && in.nitems == 1 && in.items[0].quantity == 5,
	   "a repeated product is merged");
	ok(parse("{\"customer_name\":\"Zoë Ünal\",\"customer_email\":\"z@b\xc3\xa4" "ckerei.de\","
		 "\"items\":[{\"product_id\":1,\"quantity\":1}],\"note\":\"ignored\"}", &in, &err) == 0,
	   "UTF-8 name and IDN email accepted, unknown fields ignored");
	ok(order_input_parse_seed("{\"product_id\":\"7\"}", strlen("{\"product_id\":\"7\"}"), &in, &err) == 0 &&
	   in.items[0].product_id == 7 && in.items[0].quantity == 1,
	   "seed shape: numeric string id, quantity defaults to 1");
}

static void test_text(void)
{
	ok(utf8_valid("caf\xc3\xa9", 5), "valid 2-byte sequence");
	ok(utf8_valid("\xf0\x9f\x8d\x9e", 4), "valid 4-byte sequence (bread emoji)");
	ok(!utf8_valid("\xc3", 1), "truncated sequence refused");
	ok(!utf8_valid("\xe0\x80\xaf", 3), "overlong refused");
	ok(!utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF refused");
	is_int(utf8_length("\xc3\xa9t\xc3\xa9"), 3, "length counts code points");
	ok(email_plausible("a.b+c@example.co.uk"), "ordinary email");
	ok(!email_plausible("a@b"), "no dot in domain");
	ok(!email_plausible("a@.com"), "empty label");
	ok(!email_plausible("a@b..com"), "double dot");
	ok(!email_plausible("@example.com"), "empty local part");
	ok(!email_plausible("a b@example.com"), "space");
	ok(!email_plausible("a@example.c"), "one-letter TLD");
	is_int(text_hidden_char("Zo\xc3\xab \xf0\x9f\x8d\x9e \xe2\x80\x8e"), 0,
	       "letters, an emoji and a left-to-right mark are fine");
	static const struct { const char *s; unsigned cp; const char *what; } hidden[] = {
		{ "a\xc2\x80", 0x80, "C1 control U+0080" },
		{ "a\xc2\x9f", 0x9f, "C1 control U+009F" },
		{ "\xe2\x80\x8b", 0x200b, "zero-width space" },
		{ "\xe2\x80\x8d", 0x200d, "zero-width joiner" },
		{ "x\xef\xbb\xbf", 0xfeff, "zero-width no-break space" },
		{ "\xe2\x80\xa8", 0x2028, "line separator" },
		{ "\xe2\x80\xa9", 0x2029, "paragraph separator" },
		{ "\xe2\x80\xaa", 0x202a, "left-to-right embedding" },
		{ "\xe2\x80\xae", 0x202e, "right-to-left override" },
		{ "\xe2\x81\xa6", 0x2066, "left-to-right isolate" },
		{ "\xe2\x81\xa9", 0x2069, "pop directional isolate" },
	};

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		is_int(text_hidden_char(hidden[i].s), hidden[i].cp, hidden[i].what);
	is_int(text_hidden_char("\xe2\x81\xaa"), 0, "U+206A is not in the list");
	is_int(text_hidden_char("\xc2\xa0"), 0, "no-break space is a visible space");
}

/* pickup_at (SPEC §10) and the allergen and dietary names. */
static void test_pickup(void)
{
	struct order_input in;
	struct input_error err;
	char lit[TAGS_LITERAL_MAX];
	unsigned set = 0;

	ok(order_instant_valid("2026-12-03T09:00:00+00:00"), "slot start with offset");
	ok(order_instant_valid("2026-12-03T09:00Z"), "Z, seconds left out");
	ok(order_instant_valid("2028-02-29T23:30:00-05:00"), "a leap day, a negative offset");
	ok(!order_instant_valid("2026-12-03T09:00:00"), "no offset refused");
	ok(!order_instant_valid("2027-02-29T09:00:00Z"), "no 29 February in 2027");
	ok(!order_instant_valid("2026-12-03 09:00:00Z"), "a space for T refused");
	ok(!order_instant_valid("2026-12-03T24:00:00Z"), "hour 24 refused");
	ok(!order_instant_valid("2026-12-03T09:00:00+0100"), "offset without colon refused");
	ok(!order_instant_valid("+2026-12-03T09:00:00Z"), "a sign before the year refused");
	ok(parse(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1}],\"branch_id\":2,"
		 "\"pickup_at\":\"2026-12-03T09:00:00+00:00\"}", &in, &err) == 0 &&
	   in.branch_id == 2 && strcmp(in.pickup_at, "2026-12-03T09:00:00+00:00") == 0,
	   "branch_id and pickup_at read");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1}],\"pickup_at\":\"soon\"}", 400,
		     "invalid_type", "pickup_at");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1}],\"branch_id\":\"2\"}", 400,
		     "invalid_type", "branch_id");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1}],\"branch_id\":0}", 422,
		     "unknown_branch", "branch_id");
	ok(tags_parse_list(TAGS_ALLERGENS, "soy,gluten,,nuts", &set) == 0, "allergen list parses");
	tags_literal(TAGS_ALLERGENS, set, lit);
	is_str(lit, "{gluten,nuts,soy}", "as an array literal in the table's order");
	ok(tags_parse_list(TAGS_DIETARY, "vegan,keto", &set) < 0, "unknown tag refused");
	set = 0;
	tags_literal(TAGS_DIETARY, set, lit);
	is_str(lit, "{}", "empty set");
}

int main(void)
{
	test_good();
	test_pickup();
	test_text();
	expect_error("", 400, "malformed_json", "");
	expect_error("{", 400, "malformed_json", "");
	expect_error("{} x", 400, "malformed_json", "");
	expect_error("[]", 400, "invalid_type", "");
	expect_error("{\"customer_name\":\"\xff\"}", 400, "invalid_utf8", "");
	expect_error("{\"customer_email\":\"a@b.cd\"}", 400, "missing_field", "customer_name");
	expect_error(GOOD_HEAD "{}}", 400, "invalid_type", "items");
	expect_error(GOOD_HEAD "[]}", 422, "invalid_items", "items");
	expect_error(GOOD_HEAD "[1]}", 400, "invalid_type", "items[0]");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1},{\"quantity\":1}]}", 400,
		     "missing_field", "items[1].product_id");
	expect_error(GOOD_HEAD "[{\"product_id\":true,\"quantity\":1}]}", 400, "invalid_type",
		     "items[0].product_id");
	expect_error(GOOD_HEAD "[{\"product_id\":9007199254740993,\"quantity\":1}]}", 422,
		     "unknown_product", "items[0].product_id");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1.5}]}", 422, "invalid_quantity",
		     "items[0].quantity");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":99999999999999999999}]}", 422,
		     "invalid_quantity", "items[0].quantity");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":\"2\"}]}", 400, "invalid_type",
		     "items[0].quantity");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":NaN}]}", 400, "malformed_json", "");
	expect_error("{\"product_id\":1,\"quantity\":1}", 400, "missing_field", "customer_name");
	/* \u0000 would cut the string short: refused wherever it is. */
	expect_error("{\"customer_name\":\"Bob\\u0000<img>\",\"customer_email\":\"b@example.com\","
		     "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 400, "nul_character", "customer_name");
	expect_error(GOOD_HEAD "[{\"product_id\":1,\"quantity\":1}], \"x\\u0000\" : 1}", 400,
		     "nul_character", "x\\u0000");
	expect_error("{\"customer_name\":\"Bob\",\"customer_email\":\"bob@example.com\\u0000@evil\","
		     "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 400, "nul_character", "customer_email");
	expect_error("{\"customer_name\":\"a\\\\u0000\",\"customer_email\":\"b@example.com\","
		     "\"items\":[]}", 422, "invalid_items", "items"); /* an escaped backslash, then u0000 */
	expect_error("{\"product_id\":\"1\\u0000\"}", 400, "nul_character", "product_id");
	/* Characters that change what staff see. */
	expect_error("{\"customer_name\":\"Ann\\u202egnp.exe\",\"customer_email\":\"b@example.com\","
		     "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 422, "invalid_name", "customer_name");
	expect_error("{\"customer_name\":\"Ann\xc2\x85\",\"customer_email\":\"b@example.com\","
		     "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 422, "invalid_name", "customer_name");
	expect_error("{\"customer_name\":\"Ann\",\"customer_email\":\"b\xe2\x80\x8b@example.com\","
		     "\"items\":[{\"product_id\":1,\"quantity\":1}]}", 422, "invalid_email", "customer_email");
	return done_testing();
}
