#!/usr/bin/env perl
# Branches (SPEC §10): the public list, staff create and edit (hours,
# capacity) with validation and audit, stock per branch (the default
# branch's is products.stock), GET /api/products?branch= cached per branch
# and dropped on a stock change, allergens and dietary tags shown, edited
# by staff and filtered on.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;
use WorkerTest;
use BranchTest;

my $tok = staff_token();

# --- the list and the default branch ------------------------------------------------------
my $l = http(GET => '/api/branches');
is($l->{status}, 200, 'GET /api/branches: 200');
my @default = grep { $_->{default} } @{ $l->{json} };
is(scalar @default, 1, 'exactly one default branch');
my $def = $default[0];
is_deeply([ sort keys %$def ], [ sort qw(id name address opening_hours slot_capacity default timezone) ],
	'a branch has id, name, address, opening_hours, slot_capacity, default, timezone');
is_deeply([ sort keys %{ $def->{opening_hours} } ], [ sort qw(mon tue wed thu fri sat sun) ], 'hours for every weekday');

# --- staff create and edit ------------------------------------------------------------------
my $c = staff_http(POST => '/api/staff/branches', $tok, body => {
	name => "T70 Harbour $$", address => '3 Quay Road',
	opening_hours => { mon => { open => '07:30', close => '17:00' }, sun => undef }, slot_capacity => 4 });
is($c->{status}, 201, 'create: 201');
my $br = $c->{json}{id};
is($c->{headers}{location}, "/api/staff/branches/$br", 'Location');
is_deeply($c->{json}{opening_hours}{mon}, { open => '07:30', close => '17:00' }, 'Monday hours');
is($c->{json}{opening_hours}{tue}, undef, 'days not given are closed');
is($c->{json}{slot_capacity}, 4, 'its capacity');
ok(!$c->{json}{default}, 'not the default');
ok((grep { $_->{id} == $br } @{ http(GET => '/api/branches')->{json} }), 'listed publicly');

my $u = staff_http(PATCH => "/api/staff/branches/$br", $tok, body => {
	opening_hours => { tue => { open => '08:00', close => '12:00' }, mon => undef }, slot_capacity => undef });
is($u->{status}, 200, 'edit: 200');
is($u->{json}{opening_hours}{mon}, undef, 'Monday now closed');
is_deeply($u->{json}{opening_hours}{tue}, { open => '08:00', close => '12:00' }, 'Tuesday open');
is($u->{json}{slot_capacity}, $def->{slot_capacity}, 'capacity null: the configured default');
is(staff_http(PATCH => "/api/staff/branches/$br", $tok, body => { name => "T70 Quay $$" })->{json}{name}, "T70 Quay $$",
	'rename');
is(staff_http(PATCH => '/api/staff/branches/999999999', $tok, body => { name => 'X' })->{status}, 404,
	'unknown branch: 404');
my @audit = sql(q{SELECT action, before IS NULL, after->>'name' FROM staff_audit WHERE entity = 'branch'
	AND entity_id = $1 ORDER BY id}, $br);
is_deeply([ map { $_->[0] } @audit ], [ 'branch.create', 'branch.update', 'branch.update' ], 'every change audited');
is($audit[-1][2], "T70 Quay $$", 'with the branch after the change');
my ($before) = sql(q{SELECT before->'opening_hours'->>'1' FROM staff_audit WHERE entity = 'branch'
	AND entity_id = $1 AND action = 'branch.update' ORDER BY id LIMIT 1}, $br);
is($before->[0], '07:30-17:00', 'and before it');

for my $case (
	[ {}, 400, 'missing_field', 'name' ],
	[ { name => 'X' }, 400, 'missing_field', 'address' ],
	[ { name => '', address => 'Y' }, 422, 'invalid_value', 'name' ],
	[ { name => 'X', address => 'Y', slot_capacity => -1 }, 422, 'invalid_capacity', 'slot_capacity' ],
	[ { name => 'X', address => 'Y', slot_capacity => 2.5 }, 422, 'invalid_capacity', 'slot_capacity' ],
	[ { name => 'X', address => 'Y', slot_capacity => '3' }, 400, 'invalid_type', 'slot_capacity' ],
	[ { name => 'X', address => 'Y', opening_hours => [] }, 400, 'invalid_type', 'opening_hours' ],
	[ { name => 'X', address => 'Y', opening_hours => { monday => undef } }, 422, 'invalid_hours', 'opening_hours.monday' ],
	[ { name => 'X', address => 'Y', opening_hours => { mon => { open => '18:00', close => '08:00' } } },
	  422, 'invalid_hours', 'opening_hours.mon' ],
	[ { name => 'X', address => 'Y', opening_hours => { mon => { open => '8:00', close => '12:00' } } },
	  422, 'invalid_hours', 'opening_hours.mon' ],
	[ { name => 'X', address => 'Y', opening_hours => { mon => { open => '25:00', close => '26:00' } } },
	  422, 'invalid_hours', 'opening_hours.mon' ],
) {
	my ($body, $status, $code, $field) = @$case;
	my $r = staff_http(POST => '/api/staff/branches', $tok, body => $body);
	is("$r->{status} " . ($r->{json}{code} // '') . ' ' . ($r->{json}{field} // ''), "$status $code $field",
		"create refused: $code ($field)");
}
is(staff_http(PATCH => "/api/staff/branches/$br", $tok, body => {})->{json}{code}, 'nothing_to_change',
	'an empty edit: 422 nothing_to_change');
is(http(POST => '/api/staff/branches', body => { name => 'X', address => 'Y' })->{status}, 401, 'without a session: 401');

# --- stock per branch ------------------------------------------------------------------------
my $prod = new_product(name => 'T70 Tart', price => 300, stock => 9);
my $cat = 'test';
my $stock = staff_http(GET => "/api/staff/branches/$br/stock", $tok);
is($stock->{status}, 200, 'branch stock: 200');
is((grep { $_->{product_id} == $prod } @{ $stock->{json} })[0]{stock}, 0, 'a new branch has none');
is((grep { $_->{product_id} == $prod } @{ staff_http(GET => "/api/staff/branches/$def->{id}/stock", $tok)->{json} })[0]{stock},
	9, "the default branch has the product's stock");

sub listed {
	my ($q) = @_;
	my $r = http(GET => "/api/products?category=$cat$q");
	return ($r, (grep { $_->{id} == $prod } @{ $r->{json} || [] })[0]);
}
my ($r1) = listed("&branch=$br");
my ($r2, $p2) = listed("&branch=$br");
is($r2->{headers}{'x-cache'}, 'HIT', 'the branch listing is cached');
is($p2->{stock}, 0, 'with the branch stock');
my $set = staff_http(PUT => "/api/staff/branches/$br/stock/$prod", $tok, body => { stock => 5 });
is($set->{status}, 200, 'set branch stock: 200');
is_deeply($set->{json}, { branch_id => $br, product_id => $prod, stock => 5 }, 'the answer');
my ($r3, $p3) = listed("&branch=$br");
is($r3->{headers}{'x-cache'}, 'MISS', 'the change drops the cached listing');
is($p3->{stock}, 5, 'which shows the new stock');
isnt($r3->{headers}{etag}, $r2->{headers}{etag}, 'with a new ETag');
is(http(GET => "/api/products/$prod?branch=$br")->{json}{stock}, 5, 'one product with a branch stock');
is(http(GET => "/api/products/$prod")->{json}{stock}, 9, "and without, the default branch's");
is(http(GET => "/api/products/$prod?branch=999999999")->{status}, 404, 'an unknown branch: 404');
my (undef, $pd) = listed('');
is($pd->{stock}, 9, 'without ?branch=: the default branch stock');
my (undef, $pdd) = listed("&branch=$def->{id}");
is($pdd->{stock}, 9, 'the same as ?branch= the default');
staff_http(PUT => "/api/staff/branches/$def->{id}/stock/$prod", $tok, body => { stock => 11 });
is(stock($prod), 11, "the default branch's stock is products.stock");
set_stock($prod, 12);
is((grep { $_->{product_id} == $prod } @{ staff_http(GET => "/api/staff/branches/$def->{id}/stock", $tok)->{json} })[0]{stock},
	12, 'and products.stock is the default branch stock');
my ($a1) = sql(q{SELECT before->>'stock', after->>'stock' FROM staff_audit WHERE action = 'branch.stock'
	AND entity_id = $1 ORDER BY id DESC LIMIT 1}, $br);
is_deeply($a1, [ 0, 5 ], 'stock changes audited, before and after');
is(staff_http(PUT => "/api/staff/branches/$br/stock/999999999", $tok, body => { stock => 1 })->{status}, 404,
	'unknown product: 404');
is(staff_http(PUT => "/api/staff/branches/999999999/stock/$prod", $tok, body => { stock => 1 })->{status}, 404,
	'unknown branch: 404');
is(staff_http(PUT => "/api/staff/branches/$br/stock/$prod", $tok, body => { stock => -1 })->{json}{code},
	'invalid_stock', 'negative stock: 422 invalid_stock');
is(staff_http(PUT => "/api/staff/branches/$br/stock/$prod", $tok, body => {})->{json}{code}, 'missing_field',
	'no stock: 400');
is(http(GET => '/api/products?branch=999999999')->{status}, 404, 'listing of an unknown branch: 404');
is(http(GET => '/api/products?branch=999999999')->{status}, 404, 'every time (nothing cached)');
is(http(GET => '/api/products?branch=abc')->{json}{code}, 'invalid_query', 'a malformed branch: 400');

# --- allergens and dietary tags -------------------------------------------------------------
my @seed = @{ http(GET => '/api/products')->{json} };
ok((grep { @{ $_->{allergens} } } @seed), 'the catalogue carries allergens');
my ($sour) = grep { $_->{name} eq 'Sourdough Loaf' } @seed;
ok($sour, 'the seed catalogue has its Sourdough Loaf');
is_deeply($sour && $sour->{allergens}, ['gluten'], 'sourdough: gluten');
is_deeply($sour && $sour->{dietary}, [ 'vegan', 'vegetarian' ], 'vegan and vegetarian');
my $e = staff_http(PATCH => "/api/staff/products/$prod", $tok, body => { allergens => [ 'nuts', 'gluten' ], dietary => ['vegetarian'] });
is($e->{status}, 200, 'staff set allergens and tags');
is_deeply($e->{json}{allergens}, [ 'gluten', 'nuts' ], 'allergens, sorted');
is_deeply($e->{json}{dietary}, ['vegetarian'], 'tags');
my $n = staff_http(POST => '/api/staff/products', $tok, body => { name => "T70 Vegan Bar $$", description => 'Oat and date bar.', category => $cat, price => 2,
	stock => 4, allergens => ['soy'], dietary => [ 'vegan', 'vegetarian' ] });
is($n->{status}, 201, 'create with allergens');
my $vegan = $n->{json}{id};
sub ids { my ($q) = @_; return [ sort { $a <=> $b } grep { $_ == $prod || $_ == $vegan } map { $_->{id} } @{ http(GET => "/api/products?category=$cat$q")->{json} } ] }
is_deeply(ids(''), [ sort { $a <=> $b } $prod, $vegan ], 'both listed');
is_deeply(ids('&allergen_free=nuts'), [$vegan], 'allergen_free=nuts leaves out the nutty one');
is_deeply(ids('&allergen_free=soy,gluten'), [], 'allergen_free=soy,gluten: neither');
is_deeply(ids('&dietary=vegan'), [$vegan], 'dietary=vegan');
is_deeply(ids('&dietary=vegetarian&allergen_free=soy'), [$prod], 'combined');
for my $q ('allergen_free=peanuts', 'dietary=keto', 'allergen_free=gluten,,x') {
	my $r = http(GET => "/api/products?$q");
	is("$r->{status} $r->{json}{code}", '400 invalid_query', "?$q: 400 invalid_query");
}
for my $case ([ { allergens => 'gluten' }, 400, 'invalid_type' ], [ { allergens => ['shellfish'] }, 422, 'invalid_allergens' ],
	[ { dietary => ['keto'] }, 422, 'invalid_dietary' ], [ { dietary => [1] }, 400, 'invalid_type' ]) {
	my $r = staff_http(PATCH => "/api/staff/products/$prod", $tok, body => $case->[0]);
	is("$r->{status} $r->{json}{code}", "$case->[1] $case->[2]", "staff edit refused: $case->[2]");
}
my ($aud) = sql(q{SELECT after->>'allergens' FROM staff_audit WHERE action = 'product.update' AND entity_id = $1
	ORDER BY id DESC LIMIT 1}, $prod);
like($aud->[0], qr/gluten/, 'allergen edits audited');

done_testing();
