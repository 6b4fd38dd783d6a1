#!/usr/bin/env perl
# GET /api/health watches the order pipeline (SPEC §6.1): "degraded" (still
# 200) while no worker consumes the order queue, with the orders placed
# meanwhile counted as waiting; "degraded" while an order has waited longer
# than BAKERY_BACKLOG_WARN_S, even with the worker running; "ok" again once
# the worker is back and nothing old is pending.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;

my $warn_s = $ENV{BAKERY_BACKLOG_WARN_S} // 60;
my @mine; # orders of this test, none left pending at the end

# Whatever happens below, the stack is left whole and without stale pending
# orders for the tests after this one.
END {
	my $st = $?;
	stack_service(start => 'worker');
	if (@mine) {
		eval { sql(q{UPDATE orders SET status = 'cancelled', updated_at = now()
			WHERE id = ANY($1::bigint[]) AND status = 'pending'}, '{' . join(',', @mine) . '}') };
	}
	$? = $st;
}

sub health { return http(GET => '/api/health') }

# Waits until the health answer satisfies COND (given the decoded body);
# returns the last answer when it did, undef at the deadline.
sub health_until {
	my ($seconds, $cond) = @_;
	my $h;
	return wait_until($seconds, sub { $h = health(); $h->{json} && $cond->($h->{json}) }) ? $h : undef;
}

my $product = new_product(name => 'T23 Loaf', stock => 1000);
ok(health_until(30, sub { $_[0]{status} eq 'ok' }), 'health is ok to begin with');

# --- no worker ------------------------------------------------------------------
ok(stack_service(stop => 'worker'), 'the stack\'s worker stopped');
my $h = health_until(15, sub { $_[0]{checks}{worker} eq 'down' });
ok($h, 'health sees that no worker consumes the order queue');
is($h && $h->{status}, 200, 'still 200: orders are accepted');
is($h && $h->{json}{status}, 'degraded', 'status degraded');
is($h && $h->{json}{checks}{rabbitmq}, 'ok', 'while RabbitMQ itself is ok');
my $before = $h ? $h->{json}{checks}{queue}{waiting} : 0;

my @placed;
for (1 .. 3) {
	my $r = place_order(items => [ [ $product, 1 ] ]);
	push @placed, $r->{json}{order_id} if $r->{status} == 201;
}
push @mine, @placed;
is(scalar @placed, 3, 'three orders placed while no worker runs');
$h = health();
is($h->{json}{checks}{queue}{waiting}, $before + 3, 'queue.waiting counts them');
cmp_ok($h->{json}{checks}{queue}{oldest_s}, '<=', $warn_s, 'oldest_s is their age, still young');
is($h->{json}{status}, 'degraded', 'still degraded');

# --- the worker back -------------------------------------------------------------
ok(stack_service(start => 'worker'), 'the stack\'s worker started again');
$h = health_until(30, sub { $_[0]{checks}{worker} eq 'ok' && $_[0]{status} eq 'ok' });
ok($h, 'health sees the worker again and is ok');
is($h && $h->{status}, 200, 'with 200');
ok(wait_final(30, @placed), 'the orders placed meanwhile are settled');
$h = health();
is($h->{json}{checks}{queue}{waiting}, $before, 'and no longer waiting');

# --- an old waiting order ----------------------------------------------------------
# Marked queued but its message never reached the broker (lost): nothing
# takes it, neither the worker nor the relay, so it just waits. It was
# accepted longer ago than BAKERY_BACKLOG_WARN_S.
my $old = insert_order(items => [ [ $product, 1 ] ], queued => 1);
push @mine, $old;
sql(q{UPDATE orders SET created_at = now() - make_interval(secs => $2::int) WHERE id = $1},
	$old, $warn_s + 30);
$h = health();
is($h->{status}, 200, 'an old waiting order: still 200');
is($h->{json}{status}, 'degraded', 'but degraded, with the worker running');
is($h->{json}{checks}{worker}, 'ok', 'the worker is ok');
cmp_ok($h->{json}{checks}{queue}{oldest_s}, '>', $warn_s, 'oldest_s is older than BAKERY_BACKLOG_WARN_S');
cmp_ok($h->{json}{checks}{queue}{oldest_s}, '<', $warn_s + 60, 'and is its age in seconds');
cmp_ok($h->{json}{checks}{queue}{waiting}, '>=', 1, 'it is waiting');

# Its message published again: the worker settles it and the backlog is young.
ok(publish_raw(qq({"order_id":$old})), 'its message published again');
ok(wait_status(30, $old, 'completed'), 'the worker settles it');
ok(health_until(15, sub { $_[0]{status} eq 'ok' }), 'health is ok again once it no longer waits');

done_testing;
