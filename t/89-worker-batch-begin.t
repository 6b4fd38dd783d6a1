#!/usr/bin/env perl
# The worker begins the orders taken in one turn in one transaction (SPEC
# §7.3, §9; docs/design-decisions.md): their rows, then their products,
# locked together, the stock each takes in turn, one commit. Several orders
# go into payment together; one short of stock among them fails alone,
# with its own reason, and the others go on; a worker killed inside a
# batch's transaction (held there on a product row the test locks) loses
# nothing and doubles nothing: a second worker completes every order
# exactly once, the stock taken once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use DBI;
use BakeryTest;
use WorkerTest;

ok(stack_service(stop => 'worker'), "the stack's worker stopped: this test runs its own");
END { my $st = $?; stack_service(start => 'worker'); $? = $st }

my $list = sub { '{' . join(',', @_) . '}' };

# Orders of @items each (a list per order), queued, their messages
# published in that order.
sub queue_orders {
	my (@orders) = @_;
	my @ids = map { insert_order(items => $_, queued => 1) } @orders;
	ok(publish_many({}, map { [ qq({"order_id": $_}) ] } @ids), scalar(@ids) . ' messages published');
	return @ids;
}

# How many times each order reached a status, by its history.
sub reached {
	my ($status, @ids) = @_;
	my %n = map { $_->[0] => $_->[1] } sql(q{SELECT order_id, count(*) FROM order_history
		WHERE order_id = ANY($1::bigint[]) AND to_status = ANY($2::text[]) GROUP BY order_id},
		$list->(@ids), $status);
	return map { $n{$_} // 0 } @ids;
}

# The most of @ids that went pending -> processing in one transaction
# (their history events share the transaction's now()).
sub most_begun_together {
	my (@ids) = @_;
	my ($r) = sql(q{SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM order_history
		WHERE order_id = ANY($1::bigint[]) AND to_status = 'processing' GROUP BY created_at) c},
		$list->(@ids));
	return $r->[0];
}

sub claims_held {
	my ($r) = sql(q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND a.application_name = 'bakery-worker'});
	return $r->[0];
}

# --- several orders in one transaction, one short of stock fails alone -------
my $bun = new_product(name => 'T89 Bun', stock => 100);
my $scarce = new_product(name => 'T89 Scarce', stock => 3);
# 2 of the 3 scarce ones, then 2 more (short: 1 left), then 1 (which fits).
my @plain = queue_orders(map { [ [ $bun, 1 ] ] } 1 .. 6);
my ($first, $short, $last) = queue_orders([ [ $bun, 1 ], [ $scarce, 2 ] ], [ [ $scarce, 2 ] ],
	[ [ $scarce, 1 ], [ $bun, 1 ] ]);
my @all = (@plain, $first, $short, $last);
my $w = start_worker(name => 'worker-t89', env => { BAKERY_PAYMENT_DELAY_MS => 0 });
ok(wait_final(60, @all), 'every order settled');
cmp_ok(most_begun_together(@all), '>=', 2, 'several orders began in one transaction (at most '
	. most_begun_together(@all) . ' together)');
is(scalar(grep { order_row($_)->{status} eq 'completed' } @plain, $first, $last), 8,
	'every order the stock covers completed, the one after the short one too');
my $o = order_row($short);
is($o->{status}, 'failed', 'the order short of stock failed');
like($o->{failure_reason}, qr/^insufficient stock for T89 Scarce\b.* \(2 wanted, [01] left\)$/,
	'with its own reason');
is_deeply([ history($short) ], [ '>pending', 'pending>failed' ], 'and was never reserved');
is_deeply([ reached([ 'completed', 'failed' ], @all) ], [ (1) x @all ],
	'each reached a final status exactly once');
is(stock($scarce), 0, 'the scarce product: 2 + 1 taken, nothing for the short order');
is(stock($bun), 100 - 8, 'the plain product: one for each order that has it');
ok(wait_until(10, sub { claims_held() == 0 }), 'no claim is left held');
is(stop_worker($w, 'TERM'), 0, 'the worker stops cleanly');

# --- a worker killed inside a batch's transaction ----------------------------
my $roll = new_product(name => 'T89 Roll', stock => 50);
my @ids = queue_orders(map { [ [ $roll, 1 ] ] } 1 .. 10);
# The test holds the product's row: the batch waits for it after locking
# its orders, inside its transaction.
my $hold = DBI->connect("dbi:Pg:$ENV{DATABASE_URL}", '', '', { RaiseError => 1, PrintError => 0,
	AutoCommit => 0, pg_placeholder_dollaronly => 1 });
$hold->do(q{SELECT 1 FROM products WHERE id = $1 FOR UPDATE}, undef, $roll);
$w = start_worker(name => 'worker-t89', env => { BAKERY_PAYMENT_DELAY_MS => 0 });
my $inside = wait_until(30, sub {
	my ($r) = sql(q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'bakery-worker'
		AND a.wait_event_type = 'Lock' AND a.backend_xid IS NOT NULL});
	return $r->[0] >= 2 ? $r->[0] : 0;
});
cmp_ok($inside, '>=', 2, "the worker is inside one batch's transaction, $inside orders claimed");
kill 'KILL', $w;
stop_worker($w, 'KILL', 10);
$hold->rollback;
$hold->disconnect;
is(scalar(grep { order_row($_)->{status} ne 'pending' } @ids), 0,
	'the killed batch changed nothing: every order still pending');
is(stock($roll), 50, 'and took no stock');
$w = start_worker(name => 'worker-t89b', env => { BAKERY_PAYMENT_DELAY_MS => 0 });
ok(wait_final(60, @ids), 'a second worker settled every order (the broker redelivered them)');
is(scalar(grep { order_row($_)->{status} eq 'completed' } @ids), 10, 'all completed');
is_deeply([ reached([ 'processing' ], @ids) ], [ (1) x 10 ], 'each reserved exactly once');
is_deeply([ reached([ 'completed', 'failed' ], @ids) ], [ (1) x 10 ], 'each final exactly once');
is(stock($roll), 40, 'the stock taken once per order');
ok(wait_until(10, sub { claims_held() == 0 }), 'no claim is left held');
is(stop_worker($w, 'TERM'), 0, 'the worker stops cleanly');

done_testing();
