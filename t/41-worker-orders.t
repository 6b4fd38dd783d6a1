#!/usr/bin/env perl
# The worker's order job (SPEC §7.3, §7.4, §7.7) against the running stack:
# happy path with history and cache invalidation, payment declined,
# insufficient stock all-or-nothing, orders not pending are left alone, and
# one order delivered twice is processed once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

my $a = new_product(name => 'T41 Baguette', price => 250, stock => 10);
my $b = new_product(name => 'T41 Tart', price => 1200, stock => 5);

# --- happy path ---------------------------------------------------------------
# Orders of earlier tests may still be settling (and invalidating): wait
# until the listing stays cached.
ok(wait_until(30, sub { (http(GET => '/api/products?category=test')->{headers}{'x-cache'} // '') eq 'HIT' }),
	'listing cached before the order');

my $r = place_order(items => [ [ $a, 2 ], [ $b, 1 ] ]);
is($r->{status}, 201, 'order accepted');
my $id = $r->{json}{order_id};
ok(wait_final(30, $id), 'order settled by the worker');
my $o = order_row($id);
is($o->{status}, 'completed', 'order completed');
is($o->{failure_reason}, '', 'without a failure reason');
is($o->{attempts}, 1, 'in one attempt');
is_deeply([ history($id) ], [ '>pending', 'pending>processing', 'processing>completed' ],
	'history pending -> processing -> completed');
my @reasons = map { $_->[0] } sql(q{SELECT reason FROM order_history WHERE order_id = $1 ORDER BY id}, $id);
is_deeply(\@reasons, [ 'order placed', 'stock reserved', 'payment accepted' ], 'each change with its reason');
is(stock($a), 8, 'stock of the first product taken');
is(stock($b), 4, 'stock of the second product taken');

my $api = http(GET => "/api/orders/$id");
is($api->{json}{status}, 'completed', 'the API shows it completed');
is(scalar @{ $api->{json}{history} }, 3, 'with its history');

my $after = http(GET => '/api/products?category=test');
my ($pa) = grep { $_->{id} == $a } @{ $after->{json} };
is($pa->{stock}, 8, 'the listing shows the new stock (cache invalidated)');
ok(log_count(qr/order=$id status from=processing to=completed/) == 1, 'one log line for the transition, with the order id');

# --- payment declined --------------------------------------------------------
$r = place_order(email => 'Someone@Decline.Test', items => [ [ $a, 1 ] ]);
is($r->{status}, 201, 'order from decline.test accepted');
$id = $r->{json}{order_id};
ok(wait_final(30, $id), 'settled');
$o = order_row($id);
is($o->{status}, 'failed', 'payment declined: failed');
is($o->{failure_reason}, 'payment declined', 'failure_reason "payment declined"');
is_deeply([ history($id) ], [ '>pending', 'pending>processing', 'processing>failed' ], 'history shows the failed payment');
is(stock($a), 8, 'the reserved stock was returned');
$api = http(GET => "/api/orders/$id");
is($api->{json}{failure_reason}, 'payment declined', 'the API shows the reason');

# --- insufficient stock: all or nothing ----------------------------------------
# Written straight to the database: placement would refuse it, the worker's
# check is the authoritative one. The relay publishes it.
$id = insert_order(items => [ [ $a, 3 ], [ $b, 5 ] ]);
ok(wait_final(30, $id), 'order the broker never saw is published by the relay and settled');
$o = order_row($id);
is($o->{status}, 'failed', 'insufficient stock: failed');
like($o->{failure_reason}, qr/^insufficient stock for T41 Tart \S+ \(5 wanted, 4 left\)$/, 'reason names the product');
is($o->{queued}, 't', 'marked queued by the relay');
is_deeply([ history($id) ], [ '>pending', 'pending>failed' ], 'failed straight from pending');
is(stock($a), 8, 'nothing taken from the product that had enough');
is(stock($b), 4, 'nor from the one that had not');

# The same quantities with enough stock complete.
$id = insert_order(items => [ [ $a, 3 ], [ $b, 4 ] ]);
ok(wait_final(30, $id), 'settled');
is(order_row($id)->{status}, 'completed', 'the exact remaining stock can be bought');
is(stock($b), 0, 'down to 0');

# --- orders that are not pending are left alone ---------------------------------
set_stock($b, 10);
$id = insert_order(status => 'cancelled', queued => 1, items => [ [ $b, 1 ] ]);
ok(publish_raw(qq({"order_id":$id})), 'message for a cancelled order published');
ok(wait_until(30, sub { log_count(qr/order=$id already cancelled; message dropped/) >= 1 }), 'worker drops it');
is(order_row($id)->{status}, 'cancelled', 'the order stays cancelled');
is(stock($b), 10, 'stock untouched');

# --- one order delivered twice is processed once -------------------------------------
$id = insert_order(queued => 1, items => [ [ $b, 2 ] ]);
ok(publish_raw(qq({"order_id":$id})), 'first copy published');
# The second copy comes once the first has settled (rabbitmqctl took longer
# than a payment, amqp-publish does not): a copy arriving while the first is
# in flight is the other duplicate case, "already in flight here".
wait_final(30, $id);
ok(publish_raw(qq({"order_id":$id})), 'second copy published');
ok(wait_final(30, $id), 'settled');
ok(wait_until(30, sub { log_count(qr/order=$id (already completed; message dropped|in the hands of another worker)/) >= 1 }),
	'the second copy is recognised as a duplicate');
is(order_row($id)->{status}, 'completed', 'completed');
is_deeply([ history($id) ], [ '>pending', 'pending>processing', 'processing>completed' ], 'exactly one pass through the states');
is(stock($b), 8, 'stock taken once');

# A completed order's message coming again changes nothing.
ok(publish_raw(qq({"order_id":$id})), 'a third copy, after completion');
ok(wait_until(30, sub { log_count(qr/order=$id already completed; message dropped/) >= 2 }), 'dropped as well');
is(stock($b), 8, 'stock still taken once');

done_testing;
