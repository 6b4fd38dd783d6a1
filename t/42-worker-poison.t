#!/usr/bin/env perl
# Poison messages (SPEC §7.5): malformed bodies and unknown order ids are
# dead-lettered at once; an order the database keeps refusing is retried
# BAKERY_MAX_DELIVERIES times, then failed and dead-lettered; meanwhile
# other orders keep flowing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

my $max = $ENV{BAKERY_MAX_DELIVERIES} || 5;
my $p = new_product(name => 'T42 Roll', stock => 100);
my ($unknown) = map { $_->[0] + 1000000 } sql(q{SELECT coalesce(max(id), 0) FROM orders});

my %bad = (
	'not-json'   => 'not json',
	'empty'      => '',
	'array'      => '[1]',
	'string-id'  => '{"order_id":"5"}',
	'zero-id'    => '{"order_id":0}',
	'negative'   => '{"order_id":-3}',
	'fraction'   => '{"order_id":1.5}',
	'huge'       => '{"order_id":1e300}',
	'null-id'    => '{"order_id":null}',
	'no-id'      => '{"id":5}',
	'oversized'  => '{"order_id":1,"pad":"' . ('x' x 600) . '"}',
	'control'    => "{\"order_id\":\n\x01}",
	'unknown-id' => qq({"order_id":$unknown}),
);
my $tag = "t42-$$";
for my $name (sort keys %bad) {
	ok(publish_raw($bad{$name}, "$tag-$name"), "published a $name message");
}
# An ordinary order behind them.
my $r = place_order(items => [ [ $p, 1 ] ]);
is($r->{status}, 201, 'an ordinary order is accepted behind them');
my $good = $r->{json}{order_id};

ok(wait_final(30, $good), 'the ordinary order is processed: the queue keeps flowing');
is(order_row($good)->{status}, 'completed', 'and completed');
for my $name (sort keys %bad) {
	ok(wait_until(30, sub { log_count(qr/dead letter message_id=$tag-$name reason=rejected /) == 1 }),
		"$name message dead-lettered at once, logged once");
}
ok(log_count(qr/order=$unknown message for an unknown order; dead-lettering/) == 1, 'unknown order id named in the log');
ok(log_count(qr/poison message message_id=$tag-control .*body="\{"order_id":\\n\\x01\}"/) == 1,
	'control characters escaped in the log line');
is(scalar(sql(q{SELECT 1 FROM orders WHERE id = $1}, $unknown)), 0, 'no order is made up for an unknown id');

# --- an order the database keeps refusing ------------------------------------------
sql(q{CREATE OR REPLACE FUNCTION t42_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.customer_name = 'T42 Refused' AND NEW.status = 'processing' THEN
		RAISE EXCEPTION 't42: refused for the test';
	END IF;
	RETURN NEW;
END $$});
sql(q{CREATE TRIGGER t42_refuse BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION t42_refuse()});
END { eval { sql(q{DROP TRIGGER IF EXISTS t42_refuse ON orders}); sql(q{DROP FUNCTION IF EXISTS t42_refuse()}) } }

my $before = stock($p);
$r = place_order(name => 'T42 Refused', items => [ [ $p, 2 ] ]);
is($r->{status}, 201, 'an order the database will refuse is accepted');
my $bad = $r->{json}{order_id};
my @others;
for (1 .. 5) {
	my $o = place_order(items => [ [ $p, 1 ] ]);
	push @others, $o->{json}{order_id};
}
ok(wait_final(60, @others), 'orders placed after it are processed meanwhile');
is(scalar(grep { order_row($_)->{status} eq 'completed' } @others), 5, 'all of them completed');
ok(wait_final(60, $bad), 'the refused order is settled in the end');
my $o = order_row($bad);
is($o->{status}, 'failed', 'failed');
like($o->{failure_reason}, qr/^could not be processed: database error P0001 after $max attempts$/,
	'with the reason and the number of attempts');
is_deeply([ history($bad) ], [ '>pending', 'pending>failed' ], 'its history records the failure');
is(log_count(qr/order=$bad delivery \d of $max failed; requeued/), $max - 1, 'retried BAKERY_MAX_DELIVERIES - 1 times');
ok(log_count(qr/order=$bad giving up after $max deliveries/) == 1, 'then given up');
ok(wait_until(30, sub { log_count(qr/order=$bad dead letter message_id=order-$bad reason=rejected/) == 1 }),
	'and dead-lettered');
ok(wait_until(30, sub { log_count(qr/order=$bad dead letter for an order already failed/) == 1 }),
	'the dead-letter handler finds it failed already');
is(stock($p), $before - 5, 'stock taken for the five good orders only');

# --- a transient error (deadlock) is retried without counting --------------------------
sql(q{CREATE SEQUENCE IF NOT EXISTS t42_transient});
sql(q{CREATE OR REPLACE FUNCTION t42_transient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.customer_name = 'T42 Transient' AND NEW.status = 'processing' AND nextval('t42_transient') <= 3 THEN
		RAISE EXCEPTION 't42: simulated deadlock' USING ERRCODE = 'deadlock_detected';
	END IF;
	RETURN NEW;
END $$});
sql(q{CREATE TRIGGER t42_transient BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION t42_transient()});
END { eval { sql(q{DROP TRIGGER IF EXISTS t42_transient ON orders}); sql(q{DROP FUNCTION IF EXISTS t42_transient()});
	sql(q{DROP SEQUENCE IF EXISTS t42_transient}) } }
$r = place_order(name => 'T42 Transient', items => [ [ $p, 1 ] ]);
my $transient = $r->{json}{order_id};
ok(wait_final(30, $transient), 'an order hitting three deadlocks is settled');
$o = order_row($transient);
is($o->{status}, 'completed', 'completed');
is($o->{attempts}, 1, 'in one attempt');
is(log_count(qr/order=$transient retrying the order/), 3, 'retried three times');
is(log_count(qr/order=$transient (delivery \d of|database unreachable)/), 0, 'without counting a delivery or waiting for the database');
ok(log_count(qr/w_transition failed: ERROR:  t42: simulated deadlock/) >= 3, 'the database error is logged');

# --- the dead-letter handler -----------------------------------------------------------
# The broker dead-letters on its own when a message is returned more often
# than x-delivery-limit without a worker giving up on it (workers dying
# before they start the order). Such orders go back to the relay while they
# have attempts left, and fail when they have none.
my $again = insert_order(queued => 1, items => [ [ $p, 1 ] ]);
ok(publish_raw(qq({"order_id":$again}), undef, dead => 'delivery_limit'), 'dead letter (delivery_limit) for a pending order');
ok(wait_final(30, $again), 'the order is settled');
$o = order_row($again);
is($o->{status}, 'completed', 'after the relay sent it again: completed');
is($o->{attempts}, 2, 'the bounce counted as an attempt');
ok(log_count(qr/order=$again message ran out of deliveries; re-queued attempt=1/) == 1, 'logged');
ok(log_count(qr/order=$again published by the relay \(never queued\)/) == 1, 'republished by the relay');

my $tired = insert_order(queued => 1, items => [ [ $p, 1 ] ]);
sql(q{UPDATE orders SET attempts = $2 WHERE id = $1}, $tired, $max);
ok(publish_raw(qq({"order_id":$tired}), undef, dead => 'delivery_limit'), 'the same for an order out of attempts');
ok(wait_final(30, $tired), 'settled');
$o = order_row($tired);
is($o->{status}, 'failed', 'failed');
is($o->{failure_reason}, 'could not be processed (message dead-lettered: delivery_limit)', 'with the reason');

# Touched just now, so the relay's sweep for stranded orders leaves it be.
sql(q{UPDATE products SET stock = stock - 2 WHERE id = $1}, $p);
my $stuck = insert_order(status => 'processing', queued => 1, age => 0, items => [ [ $p, 2 ] ]);
$before = stock($p);
ok(publish_raw(qq({"order_id":$stuck}), undef, dead => 'rejected'), 'dead letter (rejected) for a processing order');
ok(wait_final(30, $stuck), 'settled');
$o = order_row($stuck);
is($o->{status}, 'failed', 'failed');
is($o->{failure_reason}, 'could not be processed (message dead-lettered: rejected)', 'with the reason');
is(stock($p), $before + 2, 'its reserved stock returned');

ok(publish_raw('{"order_id":', "$tag-dead-garbage", dead => 1), 'a malformed dead letter');
ok(wait_until(30, sub { log_count(qr/dead letter message_id=$tag-dead-garbage reason=unknown /) == 1 }), 'is logged and dropped');
my $after = place_order(items => [ [ $p, 1 ] ]);
ok(wait_final(30, $after->{json}{order_id}), 'and orders keep flowing');

done_testing;
