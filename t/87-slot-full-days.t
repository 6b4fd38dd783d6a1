#!/usr/bin/env perl
# "The next free slot" skips days it found full (schema 005), and a note
# of a full day never hides a place: a place given back on that day, or
# more places per slot, make the day's free slots the next free ones again.
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
my $prod = new_product(name => 'T87 Bun', price => 100, stock => 10);
# Two slots a day, one place each.
my $br = new_branch(name => "T87 Small $$", hours => all_week('08:00', '09:00'), capacity => 1);
is(staff_http(PUT => "/api/staff/branches/$br->{id}/stock/$prod", $tok, body => { stock => 1000 })->{status},
	200, 'stock at the branch');

# A placement without a chosen slot: its order.
sub place {
	my $r = http(POST => '/api/orders', body => { customer_name => 'T87 Buyer',
		customer_email => 't87@example.com', branch_id => $br->{id},
		items => [ { product_id => $prod, quantity => 1 } ] });
	$r->{status} == 201 or die "placement: $r->{status} $r->{body}";
	return $r->{json};
}

sub day_of { return substr($_[0], 0, 10) }

sub notes {
	return map { $_->[0] } sql(q{SELECT to_char(day, 'YYYY-MM-DD') FROM slot_full_days
		WHERE branch_id = $1 ORDER BY day}, $br->{id});
}

# The order's place given back through the staff API, whatever the worker
# has done with it meanwhile: cancelled while pending, else refunded once
# completed.
sub give_back {
	my ($o) = @_;
	my $deadline = time + 30;
	while (time < $deadline) {
		my $r = staff_http(POST => "/api/staff/orders/$o->{order_id}/cancel", $tok);
		return 1 if $r->{status} == 200;
		$r = staff_http(POST => "/api/staff/orders/$o->{order_id}/refund", $tok);
		return 1 if $r->{status} == 200;
		sleep 0.1;
	}
	return 0;
}

# The first bookable day (today may have no slot left) holds two orders.
my @first = (place(), place());
my $d0 = day_of($first[0]{pickup_at});
is(day_of($first[1]{pickup_at}), $d0, 'two places on the first day');
isnt($first[0]{pickup_at}, $first[1]{pickup_at}, 'in its two slots');
my $next = place();
my $d1 = day_of($next->{pickup_at});
ok($d1 gt $d0, "the third order goes to a later day ($d1)");
ok(scalar(grep { $_ eq $d0 } notes()), 'the walk noted the first day as full');

my $later = place();
is(day_of($later->{pickup_at}), $d1, 'the next one skips the noted day and fills the second');
my ($walks) = map { $_->[0] } sql(q{SELECT count(*) FROM slot_full_days WHERE branch_id = $1
	AND day = $2::date}, $br->{id}, $d0);
is($walks, 1, 'one note per day');

# A place given back on the noted day is the next free one at once.
ok(give_back($first[1]), 'an order of the first day gives its place back');
ok(!scalar(grep { $_ eq $d0 } notes()), 'the first day is no longer noted');
my $again = place();
is($again->{pickup_at}, $first[1]{pickup_at}, 'the next order gets that place');

# More places per slot: every note of the branch goes, the first day is free again.
place() for 1 .. 2; # both first days full again, and noted
ok(scalar(notes()) >= 1, 'days noted full');
is(staff_http(PATCH => "/api/staff/branches/$br->{id}", $tok, body => { slot_capacity => 2 })->{status},
	200, 'staff raise the places per slot to 2');
is(scalar(notes()), 0, 'no note left');
is(day_of(place()->{pickup_at}), $d0, 'the first day has a free place again');

# Every order holding a place is counted, none more: no slot overbooked.
my @over = sql(q{SELECT b.slot_start FROM slot_bookings b WHERE b.branch_id = $1 AND b.booked <>
	(SELECT count(*) FROM orders o WHERE o.branch_id = b.branch_id AND o.pickup_at = b.slot_start
	 AND o.status NOT IN ('cancelled', 'failed', 'refunded'))}, $br->{id});
is(scalar(@over), 0, 'every slot booked exactly as many times as orders hold it');

done_testing();
