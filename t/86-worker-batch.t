#!/usr/bin/env perl
# The worker settles the paid orders due at once in one statement (SPEC
# §7.3, §7.8; docs/design-decisions.md): with payment time 0 and a queue
# already full, orders complete many to a transaction, each exactly once,
# the stock balances and no claim is left held; and an order settled
# elsewhere while it was in payment is not completed again by the batch
# it is in (the worker is frozen with SIGSTOP so that its orders all fall
# due together).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

my $N = 40;

ok(stack_service(stop => 'worker'), "the stack's worker stopped: this test runs its own");
END { my $st = $?; stack_service(start => 'worker'); $? = $st }

# $n orders of one unit of product $p, queued, their messages published.
sub queue_orders {
	my ($p, $n, %o) = @_;
	my @ids = map { insert_order(items => [ [ $p, 1 ] ], queued => 1, %o) } 1 .. $n;
	ok(publish_many({}, map { [ qq({"order_id": $_}) ] } @ids), "$n messages published");
	return @ids;
}

# How many times each order reached a final status, by its history.
sub finals {
	my (@ids) = @_;
	my %n = map { $_->[0] => $_->[1] } sql(q{SELECT order_id, count(*) FROM order_history
		WHERE order_id = ANY($1::bigint[]) AND to_status IN ('completed', 'failed')
		GROUP BY order_id}, '{' . join(',', @ids) . '}');
	return map { $n{$_} // 0 } @ids;
}

sub claims_held {
	my ($r) = sql(q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND a.application_name = 'bakery-worker'});
	return $r->[0];
}

# --- payment time 0, a full queue: many orders to a commit -------------------
my $p = new_product(name => 'T86 Bun', stock => 100);
my @ids = queue_orders($p, $N);
my @declined = queue_orders($p, 2, email => 'no@decline.test');
my $w = start_worker(name => 'worker-t86', env => { BAKERY_PAYMENT_DELAY_MS => 0 });
ok(wait_final(60, @ids, @declined), 'every order settled');
is(scalar(grep { order_row($_)->{status} eq 'completed' } @ids), $N, "all $N paid orders completed");
is(scalar(grep { my $o = order_row($_); $o->{status} eq 'failed' && $o->{failure_reason} eq 'payment declined' } @declined),
	2, 'the declined ones failed, "payment declined"');
is_deeply([ finals(@ids, @declined) ], [ (1) x ($N + 2) ], 'each reached a final status exactly once');
is(stock($p), 100 - $N, 'the stock balances: the paid orders took one each, the declined gave theirs back');
my ($batch) = sql(q{SELECT max(n) FROM (SELECT count(*) AS n FROM order_history
	WHERE order_id = ANY($1::bigint[]) AND to_status = 'completed' GROUP BY created_at) c},
	'{' . join(',', @ids) . '}');
cmp_ok($batch->[0], '>=', 2, "several orders completed in one transaction (at most $batch->[0] together)");
ok(wait_until(10, sub { claims_held() == 0 }), 'no claim is left held');
is(stop_worker($w, 'TERM'), 0, 'the worker stops cleanly');

# --- settled elsewhere while in payment ----------------------------------------
my $q = new_product(name => 'T86 Roll', stock => 50);
@ids = queue_orders($q, 10);
$w = start_worker(name => 'worker-t86', env => { BAKERY_PAYMENT_DELAY_MS => 1500 });
ok(wait_until(30, sub { !grep { order_row($_)->{status} ne 'processing' } @ids }), 'all ten in payment');
kill 'STOP', $w;
my $other = $ids[4];
sql(q{WITH o AS (UPDATE orders SET status = 'completed', updated_at = now() WHERE id = $1 AND status = 'processing'
	RETURNING id) INSERT INTO order_history (order_id, from_status, to_status, reason)
	SELECT id, 'processing', 'completed', 'settled by the test' FROM o}, $other);
# Every payment falls due (1.5 s after its order went into payment, and a
# margin) while the worker is frozen.
ok(wait_until(10, sub { (sql(q{SELECT bool_and(clock_timestamp() > updated_at + interval '2 s')
	FROM orders WHERE id = ANY($1::bigint[])}, '{' . join(',', @ids) . '}'))[0][0] eq 't' }),
	"every payment's due time passed while the worker was frozen");
kill 'CONT', $w;
ok(wait_final(30, @ids), 'every order settled after the worker thawed');
is_deeply([ finals(@ids) ], [ (1) x 10 ], 'each exactly once, the one settled elsewhere too');
my ($by) = sql(q{SELECT reason FROM order_history WHERE order_id = $1 AND to_status = 'completed'}, $other);
is($by->[0], 'settled by the test', 'the batch did not complete it a second time');
($batch) = sql(q{SELECT count(*) FROM order_history WHERE order_id = ANY($1::bigint[])
	AND to_status = 'completed' AND reason = 'payment accepted' GROUP BY created_at ORDER BY 1 DESC LIMIT 1},
	'{' . join(',', @ids) . '}');
is($batch->[0], 9, 'the other nine completed together, in one transaction');
is(stock($q), 40, 'the stock balances');
ok(log_count(qr/order=$other settled meanwhile/) >= 1, 'the worker logged it as settled meanwhile');
ok(wait_until(10, sub { claims_held() == 0 }), 'no claim is left held');
is(stop_worker($w, 'TERM'), 0, 'the worker stops cleanly');

done_testing();
