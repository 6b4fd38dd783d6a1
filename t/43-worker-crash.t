#!/usr/bin/env perl
# Worker processes dying and stopping (SPEC §7.3, §7.6): kill -9 in the
# middle of an order (the next worker resumes it, it completes exactly
# once), graceful SIGTERM (the order in hand finishes first, exit 0), an
# order stranded in processing with no message left, and --concurrency N
# (a supervisor that restarts its workers and stops them all on SIGTERM).
# The stack's own worker is stopped meanwhile, so these workers are alone.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

ok(stack_service(stop => 'worker'), "the stack's worker is stopped for this test");
END { my $st = $?; stack_service(start => 'worker'); $? = $st }

my $p = new_product(name => 'T43 Focaccia', stock => 50);

sub children_of {
	my ($ppid) = @_;
	return grep { (split ' ', $_)[1] == $ppid } map { s/^\s+//r } `ps -e -o pid=,ppid=`;
}

# --- kill -9 in the middle of an order ------------------------------------------
my $slow = start_worker(name => 'worker-t43-slow', env => { BAKERY_PAYMENT_DELAY_MS => 30000 });
my $r = place_order(items => [ [ $p, 3 ] ]);
my $id = $r->{json}{order_id};
ok(wait_status(30, $id, 'processing'), 'the order is processing (the worker is in payment)');
is(stock($p), 47, 'its stock is reserved');
is(stop_worker($slow, 'KILL'), 9, 'the worker is killed with SIGKILL mid-order');
is(order_row($id)->{status}, 'processing', 'the order is left in processing');

my $w = start_worker(name => 'worker-t43');
ok(wait_final(30, $id), 'a new worker settles it');
my $o = order_row($id);
is($o->{status}, 'completed', 'completed');
is($o->{attempts}, 2, 'on the second attempt');
is_deeply([ history($id) ], [ '>pending', 'pending>processing', 'processing>completed' ],
	'one pass through the states');
is(stock($p), 47, 'stock taken exactly once');
ok(log_count(qr/order=$id resuming after an interrupted attempt attempt=2/) == 1, 'the new worker resumed it');

# --- graceful SIGTERM ----------------------------------------------------------------
is(stop_worker($w, 'TERM'), 0, 'an idle worker stops on SIGTERM with status 0');
$slow = start_worker(name => 'worker-t43-slow', env => { BAKERY_PAYMENT_DELAY_MS => 3000 });
$r = place_order(items => [ [ $p, 1 ] ]);
$id = $r->{json}{order_id};
ok(wait_status(30, $id, 'processing'), 'an order is in payment');
kill 'TERM', $slow;
my $status = stop_worker($slow, 'TERM', 30);
is($status, 0, 'SIGTERM mid-order: the worker exits with status 0');
is(order_row($id)->{status}, 'completed', 'after finishing the order in hand');
ok(log_count(qr/order=$id status from=processing to=completed/) == 1, 'completed once');
is(stock($p), 46, 'stock taken once');

# --- many orders in payment at once; SIGTERM settles all of them -------------------
# One process, 20 orders, 5 s payments: all 20 are in payment together
# (not one after another), and SIGTERM waits for every one of them.
my $beat = "$ENV{BAKERY_VAR}/run/worker-t43.alive";
unlink $beat;
my $many = start_worker(name => 'worker-t43-many',
	env => { BAKERY_PAYMENT_DELAY_MS => 5000, BAKERY_HEARTBEAT_FILE => $beat });
my @inflight = map { place_order(items => [ [ $p, 1 ] ])->{json}{order_id} } 1 .. 20;
my $list = '{' . join(',', @inflight) . '}';
ok(wait_until(30, sub {
	my ($r) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND status = 'processing'}, $list);
	$r->[0] == 20;
}), 'one worker process has all 20 orders in payment at the same time');
ok(-e $beat, 'the worker keeps its heartbeat file');
my $m0 = (stat $beat)[9];
ok(wait_until(10, sub { (stat $beat)[9] > $m0 }), 'and touches it again a second later');
is(stop_worker($many, 'TERM', 60), 0, 'SIGTERM with 20 orders in payment: exit status 0');
my ($done) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND status = 'completed'}, $list);
is($done->[0], 20, 'after settling every one of them');
is(stock($p), 46 - 20, 'stock taken once each');
my $m1 = (stat $beat)[9];
ok(!wait_until(2.5, sub { (stat $beat)[9] > $m1 }), 'a stopped worker touches its heartbeat no more');
set_stock($p, 46);

# --- an order stranded in processing, its message gone ---------------------------------
# As if its worker died and the message was lost: reserved, untouched for
# an hour, claimed by nobody. The relay's sweep republishes it.
set_stock($p, stock($p) - 2);
$id = insert_order(status => 'processing', queued => 1, age => 3600, items => [ [ $p, 2 ] ]);
$w = start_worker(name => 'worker-t43');
ok(wait_final(30, $id), 'a stranded processing order is found by the relay');
is(order_row($id)->{status}, 'completed', 'and completed');
ok(log_count(qr/order=$id published by the relay \(stranded in processing\)/) == 1, 'republished once');
is(stock($p), 44, 'without taking its stock again');
is(stop_worker($w, 'TERM'), 0, 'worker stopped');

# --- --concurrency N -------------------------------------------------------------------
my $pool = start_worker(name => 'worker-t43-pool', args => [ '--concurrency', '3' ]);
ok(wait_until(10, sub { children_of($pool) == 3 }), '--concurrency 3 runs three worker processes');
my @kids = children_of($pool);
my @ids = map { place_order(items => [ [ $p, 1 ] ])->{json}{order_id} } 1 .. 12;
ok(wait_final(30, @ids), 'they process orders');
is(scalar(grep { order_row($_)->{status} eq 'completed' } @ids), 12, 'all completed');
my ($victim) = map { (split ' ', $_)[0] } $kids[0];
kill 'KILL', $victim;
ok(wait_until(10, sub { my @k = children_of($pool); @k == 3 && !grep { (split ' ', $_)[0] == $victim } @k }),
	'a killed worker process is replaced');
@ids = map { place_order(items => [ [ $p, 1 ] ])->{json}{order_id} } 1 .. 6;
ok(wait_final(30, @ids), 'and orders keep completing');
@kids = map { (split ' ', $_)[0] } children_of($pool);
is(stop_worker($pool, 'TERM', 30), 0, 'SIGTERM stops the supervisor with status 0');
ok(!grep({ kill 0, $_ } @kids), 'and every worker process with it');
is(stock($p), 44 - 18, 'stock arithmetic balances');

done_testing;
