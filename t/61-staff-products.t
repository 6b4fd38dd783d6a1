#!/usr/bin/env perl
# Staff products (SPEC §6.2): list with inactive ones, create, edit,
# deactivate; validation 400/422 with field; exact prices; every change
# visible in the customer listing on the next request, with a new ETag;
# every change in the audit log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;

my ($name, $pw) = new_staff('t61');
my ($tok) = login($name, $pw);
ok($tok, 'logged in');
my $cat = "t61-$$";

my $c = staff_http(POST => '/api/staff/products', $tok,
	body => '{"name":"T61 Rye","description":"dark","category":"' . $cat . '","price":3.5,"stock":7}');
is($c->{status}, 201, 'create: 201');
my $id = $c->{json}{id};
is_deeply([ @{ $c->{json} }{qw(name description category price stock active)} ],
	[ 'T61 Rye', 'dark', $cat, '3.5', 7, JSON::PP::true ], 'the product as created') or diag explain $c->{json};
like($c->{body}, qr/"price":3\.50/, 'price rendered exactly');
is($c->{headers}{location}, "/api/staff/products/$id", 'Location');

my $list = staff_http(GET => '/api/staff/products', $tok);
is($list->{status}, 200, 'list: 200');
ok((grep { $_->{id} == $id } @{ $list->{json} }), 'lists the new product');

# --- the customer listing follows on the next request -----------------------------
my $l1 = http(GET => "/api/products?category=$cat");
my $l2 = http(GET => "/api/products?category=$cat");
is($l2->{headers}{'x-cache'}, 'HIT', 'customer listing cached');
my $etag = $l2->{headers}{etag};
my $p = staff_http(PATCH => "/api/staff/products/$id", $tok, body => '{"price":4.25}');
is($p->{status}, 200, 'edit price: 200');
like($p->{body}, qr/"price":4\.25/, 'the new price');
my $l3 = http(GET => "/api/products?category=$cat");
is($l3->{json}[0]{price}, '4.25', 'the customer listing shows it on the next request');
isnt($l3->{headers}{etag}, $etag, 'with a new ETag');
is(http(GET => "/api/products?category=$cat", headers => { 'If-None-Match' => $etag })->{status}, 200,
	'the old ETag no longer matches');

is(staff_http(PATCH => "/api/staff/products/$id", $tok, body => { stock => 0 })->{json}{stock}, 0, 'set stock 0');
my $d = staff_http(PATCH => "/api/staff/products/$id", $tok, body => { active => JSON::PP::false });
is($d->{json}{active}, JSON::PP::false, 'deactivate');
is(scalar @{ http(GET => "/api/products?category=$cat")->{json} }, 0, 'gone from the customer listing');
is(http(GET => "/api/products/$id")->{status}, 404, "and not sold by id");
ok((grep { $_->{id} == $id && !$_->{active} } @{ staff_http(GET => '/api/staff/products', $tok)->{json} }),
	'staff still see it, inactive');
staff_http(PATCH => "/api/staff/products/$id", $tok, body => { active => JSON::PP::true, stock => 3 });
is(scalar @{ http(GET => "/api/products?category=$cat")->{json} }, 1, 'reactivated: back in the listing');

# --- validation ----------------------------------------------------------------------
my $base = qq("name":"X","category":"$cat","stock":1);
my @cases = (
	[ '{"name":"X"}', 400, 'missing_field', 'category' ],
	[ "{$base}", 400, 'missing_field', 'price' ],
	[ "{$base,\"price\":\"3.50\"}", 400, 'invalid_type', 'price' ],
	[ "{$base,\"price\":0}", 422, 'invalid_price', 'price' ],
	[ "{$base,\"price\":-1}", 422, 'invalid_price', 'price' ],
	[ "{$base,\"price\":3.499}", 422, 'invalid_price', 'price' ],
	[ "{$base,\"price\":3.4999999999999999}", 422, 'invalid_price', 'price' ],
	[ "{$base,\"price\":100000.01}", 422, 'invalid_price', 'price' ],
	[ qq({"name":"","category":"$cat","stock":1,"price":1}), 422, 'invalid_value', 'name' ],
	[ '{"name":"' . ('n' x 101) . qq(","category":"$cat","stock":1,"price":1}), 422, 'invalid_value', 'name' ],
	[ '{"name":"X","category":"' . ('c' x 51) . '","stock":1,"price":1}', 422, 'invalid_value', 'category' ],
	[ qq({"name":"X","category":"$cat","stock":-1,"price":1}), 422, 'invalid_stock', 'stock' ],
	[ qq({"name":"X","category":"$cat","stock":1000001,"price":1}), 422, 'invalid_stock', 'stock' ],
	[ qq({"name":"X","category":"$cat","stock":1.5,"price":1}), 422, 'invalid_stock', 'stock' ],
	[ qq({"name":"X","category":"$cat","stock":"1","price":1}), 400, 'invalid_type', 'stock' ],
	[ qq({$base,"price":1,"active":"yes"}), 400, 'invalid_type', 'active' ],
	[ '{"name":', 400, 'malformed_json', undef ],
);
my ($before) = sql(q{SELECT count(*) FROM products WHERE category = $1}, $cat);
for my $case (@cases) {
	my $r = staff_http(POST => '/api/staff/products', $tok, body => $case->[0]);
	is($r->{status}, $case->[1], "create $case->[0]: $case->[1]");
	is($r->{json}{code}, $case->[2], "  code $case->[2]");
	is($r->{json}{field}, $case->[3], '  field ' . ($case->[3] // 'none'));
}
my ($after) = sql(q{SELECT count(*) FROM products WHERE category = $1}, $cat);
is($after->[0], $before->[0], 'nothing stored for a refused body');
for my $ok ([ '350e-2', '3.5' ], [ '2.50', '2.5' ], [ '1e2', '100' ], [ '0.01', '0.01' ], [ '100000', '100000' ]) {
	my $r = staff_http(POST => '/api/staff/products', $tok, body => qq({$base,"price":$ok->[0]}));
	is($r->{status}, 201, "price $ok->[0] accepted");
	is($r->{json}{price} + 0, $ok->[1] + 0, "  as $ok->[1]");
}
my $e = staff_http(PATCH => "/api/staff/products/$id", $tok, body => '{}');
is($e->{status}, 422, 'an edit with no field: 422');
is(staff_http(PATCH => "/api/staff/products/$id", $tok, body => { price => 0.001 })->{json}{field}, 'price',
	'an edit is validated the same way');
is(staff_http(PATCH => '/api/staff/products/999999999', $tok, body => { stock => 1 })->{status}, 404,
	'edit of an unknown product: 404');
is(staff_http(PATCH => "/api/staff/products/$id", $tok, raw => 'stock=1',
	headers => { 'Content-Type' => 'application/x-www-form-urlencoded' })->{status}, 415, 'not JSON: 415');

# --- audit -------------------------------------------------------------------------------
my $a = staff_http(GET => '/api/staff/audit?limit=200', $tok);
is($a->{status}, 200, 'audit: 200');
my @mine = grep { ($_->{entity_id} // 0) == $id && $_->{entity} eq 'product' } @{ $a->{json}{entries} };
is(scalar @mine, 5, 'one entry per change of the product') or diag explain \@mine;
my ($create) = grep { $_->{action} eq 'product.create' } @mine;
is($create->{username}, $name, 'who');
like($create->{at}, qr/^\d{4}-\d\d-\d\dT/, 'when');
is($create->{before}, undef, 'a creation has no before');
is($create->{after}{price_cents}, 350, 'and its after');
my ($price) = reverse grep { $_->{action} eq "product.update" && $_->{before}{price_cents} != $_->{after}{price_cents} } @mine;
is($price->{before}{price_cents}, 350, 'an edit has before and after');
ok($mine[0]{id} > $mine[-1]{id}, 'newest first');

# audit pagination: no duplicates, no gaps
my (@ids, $cursor, $pages);
do {
	my $r = staff_http(GET => '/api/staff/audit?limit=3' . ($cursor ? "&after=$cursor" : ''), $tok);
	push @ids, map { $_->{id} } @{ $r->{json}{entries} };
	$cursor = $r->{json}{next};
	$pages++;
} while ($cursor && $pages < 1000);
my ($all) = sql(q{SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM staff_audit});
is(join(',', @ids), $all->[0], 'paging the audit log by 3 gives every entry once, in order');
is(staff_http(GET => '/api/staff/audit?limit=0', $tok)->{status}, 400, 'limit=0: 400');
is(staff_http(GET => '/api/staff/audit?after=x', $tok)->{status}, 400, 'a bad cursor: 400');

done_testing;
