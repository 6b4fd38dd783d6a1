#!/usr/bin/env perl
# Backing services going away under the worker (SPEC §7.2, §7.6, §9):
# RabbitMQ stopped while orders are placed and started again, PostgreSQL
# restarted while orders are being processed, Redis down. Every accepted
# order completes exactly once and the stock balances.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

my $p = new_product(name => 'T45 Brioche', stock => 1000);
my $initial = stock($p);
my @all;

sub place_n {
	my ($n) = @_;
	my @ids;
	for (1 .. $n) {
		my $r = place_order(items => [ [ $p, 1 ] ]);
		is($r->{status}, 201, 'order accepted') or next;
		push @ids, $r->{json}{order_id};
	}
	push @all, @ids;
	return @ids;
}

sub exactly_once {
	my (@ids) = @_;
	my $list = '{' . join(',', @ids) . '}';
	my ($n) = sql(q{SELECT count(*) FROM orders o WHERE id = ANY($1::bigint[]) AND status = 'completed'
		AND (SELECT string_agg(coalesce(from_status, '') || '>' || to_status, ' ' ORDER BY id)
		     FROM order_history WHERE order_id = o.id) = '>pending pending>processing processing>completed'}, $list);
	return $n->[0] == @ids;
}

# Whatever happens below, the stack is left whole for the tests after this.
END { my $st = $?; stack_service(start => $_) for qw(postgres rabbitmq redis worker); $? = $st }

# --- RabbitMQ down while orders are placed ---------------------------------------
# Three workers (their relays race for the orders to publish).
my $extra = start_worker(name => 'worker-t45', args => [ '--concurrency', '2' ]);
my @before = place_n(10);
ok(stack_service(stop => 'rabbitmq'), 'rabbitmq stopped while orders are in flight');
my $h = http(GET => '/api/health');
isnt($h->{json}{checks}{rabbitmq} // '', 'ok', 'health sees rabbitmq down');
my @during = place_n(10);
is(scalar @during, 10, 'orders are still accepted with the broker down');
my $list = '{' . join(',', @during) . '}';
my ($unq) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND NOT queued}, $list);
is($unq->[0], 10, 'none of them could be queued');
ok(stack_service(start => 'rabbitmq'), 'rabbitmq started again');
ok(wait_final(90, @before, @during), 'every order settled once the broker is back');
ok(exactly_once(@before, @during), 'all completed, each exactly once');
($unq) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND queued}, $list);
is($unq->[0], 10, 'the relay published and marked the ones accepted meanwhile');
is(scalar(grep { log_count(qr/order=$_ published by the relay \(never queued\)/) == 1 } @during), 10,
	'each published by exactly one of the racing relays');

is(stop_worker($extra, 'TERM'), 0, 'extra workers stopped');

# --- PostgreSQL restarted mid-stream ----------------------------------------------------
# One worker alone, slow enough (8 in flight, 1 s payments) that the stream
# of 40 orders takes a few seconds, so PostgreSQL goes while some orders
# are done, some in payment and some still waiting.
ok(stack_service(stop => 'worker'), "the stack's worker makes way for a slow one");
my $slow = start_worker(name => 'worker-t45-slow',
	env => { BAKERY_PAYMENT_DELAY_MS => 1000, BAKERY_WORKER_INFLIGHT => 8 });
my @stream = place_n(40);
ok(wait_until(30, sub {
	my ($r) = sql(q{SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'processing'),
		count(*) FILTER (WHERE status = 'pending') FROM orders WHERE id = ANY($1::bigint[])}, '{' . join(',', @stream) . '}');
	$r->[0] > 0 && $r->[1] > 0 && $r->[2] > 0;
}), 'the worker is in the middle of the stream, with orders in payment');
my $seen = log_count(qr/database unreachable; holding the message|waiting for postgres|postgres connect failed/);
ok(stack_service(stop => 'postgres'), 'postgres stopped mid-stream');
ok(wait_until(30, sub { log_count(qr/database unreachable; holding the message|waiting for postgres|postgres connect failed/) > $seen }),
	'the worker notices');
ok(stack_service(start => 'postgres'), 'postgres started again');
ok(wait_final(90, @stream), 'every order of the stream settled');
ok(exactly_once(@stream), 'all completed, each exactly once');
is(stop_worker($slow, 'TERM'), 0, 'the slow worker stopped');
ok(stack_service(start => 'worker'), "the stack's worker is back");

# --- Redis down: only the cache is missing -----------------------------------------------
ok(stack_service(stop => 'redis'), 'redis stopped');
my @noredis = place_n(3);
ok(wait_final(30, @noredis), 'orders complete without redis');
ok(exactly_once(@noredis), 'exactly once');
ok(stack_service(start => 'redis'), 'redis started again');

is(stock($p), $initial - scalar(@all), 'stock: one unit taken per order, no more, no less');
my ($neg) = sql(q{SELECT count(*) FROM products WHERE stock < 0});
is($neg->[0], 0, 'no stock anywhere below 0');

done_testing;
