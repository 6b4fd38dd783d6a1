#!/usr/bin/env perl
# The bakers' day (SPEC §10): collection at the counter (completed ->
# collected, final, in the history, shown to the customer, audited, 409
# otherwise); the production list per product and slot adds up to the
# completed and collected orders of the day; the pickups per slot with each
# order's status; the summary counts collected orders as sold.
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
my $br = new_branch(name => "T74 Corner $$", hours => all_week('09:00', '11:00'), capacity => 20)->{id};
my @prod = map { new_product(name => "T74 Bake $_", price => 200, stock => 500) } 1 .. 3;
for my $p (@prod) {
	staff_http(PUT => "/api/staff/branches/$br/stock/$p", $tok, body => { stock => 500 })->{status} == 200 or die;
}
my $day = local_date(2);
my @slots = @{ slots($br, $day)->{json} };
is(scalar @slots, 4, 'four slots that day');

sub order {
	my ($slot, @items) = @_;
	my $r = http(POST => '/api/orders', body => { customer_name => 'T74 Customer', customer_email => 't74@example.com',
		branch_id => $br, pickup_at => $slots[$slot]{start},
		items => [ map { { product_id => $prod[ $_->[0] ], quantity => $_->[1] } } @items ] });
	$r->{status} == 201 or die "order: $r->{status} $r->{body}";
	return $r->{json};
}
my @o = (order(0, [ 0, 2 ], [ 1, 1 ]), order(0, [ 0, 3 ]), order(2, [ 1, 4 ], [ 2, 1 ]), order(3, [ 0, 1 ]));
ok(wait_final(60, map { $_->{order_id} } @o), 'all processed');
is_deeply([ map { order_row($_->{order_id})->{status} } @o ], [ ('completed') x 4 ], 'all completed');

# --- collection ---------------------------------------------------------------------------
my $id = $o[0]{order_id};
my $c = staff_http(POST => "/api/staff/orders/$id/collect", $tok);
is($c->{status}, 200, 'collect: 200');
is($c->{json}{status}, 'collected', 'the order, collected');
is((history($id))[-1], 'completed>collected', 'in the history');
my $seen = http(GET => "/api/orders/$id", headers => { 'X-Order-Token' => $o[0]{token} });
is($seen->{json}{status}, 'collected', 'the customer sees it collected');
is(http(GET => "/order/$id")->{json}{status}, 'collected', 'as does the seed status shape');
my $again = staff_http(POST => "/api/staff/orders/$id/collect", $tok);
is("$again->{status} $again->{json}{code}", '409 invalid_state', 'collect twice: 409');
is(staff_http(POST => "/api/staff/orders/$id/refund", $tok)->{status}, 409, 'collected is final: no refund');
is(staff_http(POST => "/api/staff/orders/$id/cancel", $tok)->{status}, 409, 'nor cancel');
is(staff_http(POST => '/api/staff/orders/999999999/collect', $tok)->{status}, 404, 'unknown order: 404');
my $pend = insert_order(items => [ [ $prod[0], 1 ] ], status => 'pending', queued => 1);
is(staff_http(POST => "/api/staff/orders/$pend/collect", $tok)->{status}, 409, 'a pending order: 409');
is(staff_http(POST => "/api/staff/orders/$pend/cancel", $tok)->{status}, 200, 'which is cancelled (no backlog left behind)');
is(http(POST => "/api/staff/orders/$id/collect")->{status}, 401, 'without a session: 401');
my ($aud) = sql(q{SELECT after->>'status' FROM staff_audit WHERE action = 'order.collect' AND entity_id = $1}, $id);
is($aud->[0], 'collected', 'audited');
is(staff_http(GET => "/api/staff/orders?status=collected", $tok)->{status}, 200, 'the order list filters on collected');

# A cancelled and a refunded order that day stay out of production.
my $ref = order(1, [ 2, 7 ]);
ok(wait_final(60, $ref->{order_id}), 'one more processed');
is(staff_http(POST => "/api/staff/orders/$ref->{order_id}/refund", $tok)->{status}, 200, 'and refunded');

# --- production -----------------------------------------------------------------------------
my $p = staff_http(GET => "/api/staff/production?branch=$br&date=$day", $tok);
is($p->{status}, 200, 'production: 200');
is($p->{json}{date}, $day, 'for the day');
is($p->{json}{branch_id}, $br, 'and branch');
my %want;
for my $row (sql(q{SELECT i.product_id, bakery_iso(o.pickup_at, $3), sum(i.quantity) FROM orders o
	JOIN order_items i ON i.order_id = o.id WHERE o.branch_id = $1 AND o.status IN ('completed', 'collected')
	AND (o.pickup_at AT TIME ZONE $3)::date = $2::date GROUP BY 1, 2}, $br, $day, bakery_tz())) {
	$want{ $row->[0] }{ $row->[1] } = $row->[2];
}
my %got;
for my $pr (@{ $p->{json}{products} }) {
	my $sum = 0;
	for my $s (@{ $pr->{slots} }) {
		$got{ $pr->{product_id} }{ $s->{start} } = $s->{quantity};
		$sum += $s->{quantity};
	}
	is($pr->{total}, $sum, "product $pr->{product_id}: total is the sum of its slots");
}
is_deeply(\%got, \%want, 'quantities per product and slot = the completed and collected orders');
is_deeply(\%got, { $prod[0] => { $slots[0]{start} => 5, $slots[3]{start} => 1 }, $prod[1] => { $slots[0]{start} => 1,
	$slots[2]{start} => 4 }, $prod[2] => { $slots[2]{start} => 1 } }, 'exactly what was ordered (the refunded 7 left out)');
is_deeply($p->{json}{slots}, [ map { $slots[$_]{start} } 0, 2, 3 ], 'the slots with anything in them, in order');
is_deeply([ map { $_->{name} } @{ $p->{json}{products} } ], [ sort map { $_->{name} } @{ $p->{json}{products} } ],
	'products by name');
is_deeply(staff_http(GET => "/api/staff/production?branch=$br&date=" . local_date(5), $tok)->{json}{products}, [],
	'an empty day: no products');
is(staff_http(GET => "/api/staff/production?branch=$br&date=2026-13-01", $tok)->{json}{code}, 'invalid_parameter',
	'a bad date: 400');
is(staff_http(GET => '/api/staff/production?branch=999999999', $tok)->{status}, 404, 'unknown branch: 404');
is(http(GET => "/api/staff/production?branch=$br")->{status}, 401, 'staff only');

# --- pickups ---------------------------------------------------------------------------------
my $k = staff_http(GET => "/api/staff/pickups?branch=$br&date=$day", $tok);
is($k->{status}, 200, 'pickups: 200');
my @ks = @{ $k->{json}{slots} };
is_deeply([ map { $_->{start} } @ks ], [ map { $slots[$_]{start} } 0, 2, 3 ], 'slots with orders, in order');
is($ks[0]{end}, $slots[0]{end}, 'with their end');
is_deeply([ map { [ $_->{order_id}, $_->{status} ] } @{ $ks[0]{orders} } ],
	[ [ $o[0]{order_id}, 'collected' ], [ $o[1]{order_id}, 'completed' ] ], 'each order with its status');
is_deeply($ks[0]{orders}[0]{items}, [ map { { product_id => $prod[ $_->[0] ], name => $_->[1], quantity => $_->[2] } }
	[ 0, (sql(q{SELECT name FROM products WHERE id = $1}, $prod[0]))[0][0], 2 ],
	[ 1, (sql(q{SELECT name FROM products WHERE id = $1}, $prod[1]))[0][0], 1 ] ], 'and its items');
ok(!(grep { $_->{order_id} == $ref->{order_id} } map { @{ $_->{orders} } } @ks), 'the refunded order is not there');
is($ks[0]{orders}[0]{customer_name}, 'T74 Customer', 'the customer name for the counter');

# --- summary counts collected orders as sold --------------------------------------------------
my $cake = new_product(name => 'T74 Wedding Cake', price => 900000, stock => 5);
staff_http(PUT => "/api/staff/branches/$br/stock/$cake", $tok, body => { stock => 5 });
my $big = http(POST => '/api/orders', body => { customer_name => 'T74 Customer', customer_email => 't74@example.com',
	branch_id => $br, pickup_at => $slots[1]{start}, items => [ { product_id => $cake, quantity => 1 } ] })->{json};
ok(wait_final(60, $big->{order_id}), 'a grand order processed');
is(staff_http(POST => "/api/staff/orders/$big->{order_id}/collect", $tok)->{json}{status}, 'collected', 'and collected');
my ($utc_day) = map { $_->[0] } sql(q{SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM orders WHERE id = $1},
	$big->{order_id});
my $s = staff_http(GET => "/api/staff/summary?from=$utc_day&to=$utc_day", $tok);
ok((grep { $_->{product_id} == $cake } @{ $s->{json}{top_products} }), 'the summary counts a collected order as sold');
is(http(GET => '/api/health')->{json}{checks}{postgres}, 'ok', 'health unaffected');

done_testing();
