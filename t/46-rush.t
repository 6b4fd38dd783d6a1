#!/usr/bin/env perl
# A lunchtime rush at the payment time users get (SPEC §7.8): 20 orders a
# second for 30 s from concurrent clients, against the stack's one worker
# process at BAKERY_PAYMENT_DELAY_MS=500 (make test's default). Every order
# is final within 10 s of the last placement, each exactly once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;
use LoadTest;

my ($delay) = ($ENV{BAKERY_PAYMENT_DELAY_MS} // 500);
cmp_ok($delay, '>=', 500, "the stack's worker runs at the default payment time or slower ($delay ms)");
ok(wait_until(60, \&health_ok), 'health is ok before the rush')
	or diag(explain(http(GET => '/api/health')->{json}));

my $p = new_product(name => 'T46 Baguette', stock => 100000);
my $initial = stock($p);
my @res = rush(rate => 20, seconds => 30, clients => 6, product => $p);
my @ids = accepted_ids(@res);
is(scalar @res, 600, '600 orders placed in 30 s');
is(scalar @ids, 600, 'all accepted')
	or diag(explain([ grep { $_->{status} != 201 } @res ]));
ok(wait_final(10, @ids), 'every order is final within 10 s of the last placement');
my ($left) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND status NOT IN ('completed', 'failed')},
	'{' . join(',', @ids) . '}');
is($left->[0], 0, 'none left pending or processing');
check_exactly_once('rush', $p, $initial, @res);
ok(wait_until(30, \&health_ok), 'health is ok after the rush');

done_testing;
