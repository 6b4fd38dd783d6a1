#!/usr/bin/env perl
# A slot is never overbooked (SPEC §10): 5 x K buyers race for a slot with
# K places left; exactly K are booked and the rest refused with slot_full
# at placement, in several rounds, and the booking count is the number of
# orders holding a place.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use BakeryTest;
use StaffTest;
use WorkerTest;
use BranchTest;

my $tok = staff_token();
my $prod = new_product(name => 'T72 Roll', price => 100, stock => 10);
my $cap = 5;
my $br = new_branch(name => "T72 Rush $$", hours => all_week('08:00', '16:00'), capacity => $cap);
is(staff_http(PUT => "/api/staff/branches/$br->{id}/stock/$prod", $tok, body => { stock => 100000 })->{status},
	200, 'plenty of stock at the branch');
my @slots = @{ slots($br->{id}, local_date(3))->{json} };
ok(@slots >= 3, 'slots to race for');

sub buy {
	my ($at) = @_;
	return http(POST => '/api/orders', body => { customer_name => 'T72 Racer', customer_email => 't72@example.com',
		branch_id => $br->{id}, pickup_at => $at, items => [ { product_id => $prod, quantity => 1 } ] });
}

# Every buyer waits for the same instant, then places; returns "status code".
sub race {
	my ($at, $n) = @_;
	my $go = time + 1.0;
	my @kids;
	for (1 .. $n) {
		pipe(my $r, my $w) or die;
		my $pid = fork // die;
		if (!$pid) {
			close $r;
			sleep($go - time) if $go > time;
			my $res = buy($at);
			print $w "$res->{status} " . ($res->{json}{code} // $res->{json}{pickup_at} // '');
			close $w;
			exit 0;
		}
		close $w;
		push @kids, [ $pid, $r ];
	}
	return map { my $fh = $_->[1]; local $/; my $c = <$fh>; waitpid($_->[0], 0); $c // 'none' } @kids;
}

for my $round ([ 0, 2 ], [ 1, 0 ], [ 2, 4 ]) {
	my ($i, $taken) = @$round;
	my $at = $slots[$i]{start};
	for (1 .. $taken) { buy($at)->{status} == 201 or die 'pre-booking failed' }
	my $k = $cap - $taken;
	my @got = race($at, 5 * $k);
	my $won = grep { /^201 / } @got;
	my $full = grep { $_ eq '422 slot_full' } @got;
	is($won, $k, "slot $i: $k places left, 5 x $k buyers: exactly $k booked");
	is($full, 4 * $k, "the other " . (4 * $k) . " refused with slot_full");
	my ($booked) = map { $_->[0] } sql(q{SELECT booked FROM slot_bookings WHERE branch_id = $1 AND slot_start = $2::timestamptz},
		$br->{id}, $at);
	is($booked, $cap, 'the booking count is the capacity');
	my ($orders) = map { $_->[0] } sql(q{SELECT count(*) FROM orders WHERE branch_id = $1 AND pickup_at = $2::timestamptz
		AND status NOT IN ('cancelled', 'failed', 'refunded')}, $br->{id}, $at);
	is($orders, $cap, 'and so many orders hold a place');
	is((grep { $_->{start} eq $at } @{ slots($br->{id}, local_date(3))->{json} })[0]{remaining}, 0, 'listed full');
}

# Buyers without a slot racing for the next free one never overbook either.
my $tiny = new_branch(name => "T72 Tiny $$", hours => all_week('08:00', '09:00'), capacity => 2);
staff_http(PUT => "/api/staff/branches/$tiny->{id}/stock/$prod", $tok, body => { stock => 1000 });
my $go = time + 1.0;
my @kids;
for (1 .. 12) {
	my $pid = fork // die;
	if (!$pid) {
		sleep($go - time) if $go > time;
		http(POST => '/api/orders', body => { customer_name => 'T72 Any', customer_email => 't72@example.com',
			branch_id => $tiny->{id}, items => [ { product_id => $prod, quantity => 1 } ] });
		exit 0;
	}
	push @kids, $pid;
}
waitpid($_, 0) for @kids;
my ($over) = map { $_->[0] } sql(q{SELECT count(*) FROM (SELECT pickup_at FROM orders WHERE branch_id = $1
	AND pickup_at IS NOT NULL GROUP BY pickup_at HAVING count(*) > 2) x}, $tiny->{id});
is($over, 0, 'next-free placement under a race: no slot over its capacity');
my ($placed) = map { $_->[0] } sql(q{SELECT count(*) FROM orders WHERE branch_id = $1}, $tiny->{id});
is($placed, 12, 'and every order placed');

done_testing();
