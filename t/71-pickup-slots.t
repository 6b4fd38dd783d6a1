#!/usr/bin/env perl
# Pickup slots (SPEC §10): slots within opening hours in the bakery's time
# zone, the lead time, the booking horizon, a closed weekday; daylight-saving
# changes (pickup_slots() at an explicit "now", in London and Sydney); and
# placement with a slot: every 422, the next free slot, no slot when none is
# free, a cancelled, failed or refunded order giving its place back.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;
use WorkerTest;
use BranchTest;

my $tz = bakery_tz();
ok($tz, "the bakery's zone is reported ($tz)");
my $tok = staff_token();
my ($now) = map { $_->[0] } sql(q{SELECT extract(epoch FROM now())::bigint});

# --- opening hours and the zone ---------------------------------------------------------
my $d2 = local_date(2);
my ($closed_dow) = map { $_->[0] } sql(q{SELECT extract(isodow FROM $1::date + 1)::int}, $d2);
my @keys = qw(mon tue wed thu fri sat sun);
my $hours = all_week('08:00', '12:00');
$hours->{ $keys[ $closed_dow - 1 ] } = undef;
my $a = new_branch(name => "T71 Market $$", hours => $hours, capacity => 2);
is($a->{slot_capacity}, 2, 'the branch has its own capacity');
is($a->{opening_hours}{ $keys[ $closed_dow - 1 ] }, undef, 'and a closed day');

my $r = slots($a->{id}, $d2);
is($r->{status}, 200, 'slots: 200');
my @s = @{ $r->{json} };
is(scalar @s, 8, 'eight 30-minute slots from 08:00 to 12:00');
my ($open_epoch, $close_epoch) = @{ (sql(q{SELECT extract(epoch FROM ($1::date + time '08:00') AT TIME ZONE $2)::bigint,
	extract(epoch FROM ($1::date + time '12:00') AT TIME ZONE $2)::bigint}, $d2, $tz))[0] };
is(epoch_of($s[0]{start}), $open_epoch, "the first starts at 08:00 in $tz");
like($s[0]{start}, qr/^${d2}T08:00:00[+-]\d\d:\d\d$/, 'written in local time with its offset');
is(epoch_of($s[-1]{end}), $close_epoch, 'the last ends at closing time');
is_deeply([ map { epoch_of($s[$_]{start}) - epoch_of($s[0]{start}) } 0 .. 7 ], [ map { $_ * 1800 } 0 .. 7 ],
	'every 30 minutes');
is_deeply([ map { $_->{remaining} } @s ], [ (2) x 8 ], 'each with the capacity left');
is_deeply(slots($a->{id}, local_date(3))->{json}, [], 'a closed weekday has no slots');

# --- lead time and horizon (a branch open round the clock) -------------------------------
my $b = new_branch(name => "T71 Night $$", hours => all_week('00:00', '24:00'));
my @near = (@{ slots($b->{id}, local_date(0))->{json} }, @{ slots($b->{id}, local_date(1))->{json} });
my $first = epoch_of($near[0]{start});
cmp_ok($first, '>=', $now + 7200 - 5, 'the earliest slot starts at least 120 minutes from now');
cmp_ok($first - 1800, '<', $now + 7200 + 5, 'and the one before it would be too soon');
ok(scalar @{ slots($b->{id}, local_date(14))->{json} } == 48, 'a day 14 days ahead can be booked');
is_deeply(slots($b->{id}, local_date(15))->{json}, [], 'the 15th day cannot');
is_deeply(slots($b->{id}, local_date(-1))->{json}, [], 'nor yesterday');

# --- bad queries ------------------------------------------------------------------------
is(http(GET => '/api/pickup-slots?branch=999999999')->{status}, 404, 'unknown branch: 404');
is(http(GET => '/api/pickup-slots?branch=x')->{json}{code}, 'invalid_query', 'malformed branch: 400');
is(http(GET => "/api/pickup-slots?branch=$a->{id}&date=2026-02-30")->{json}{code}, 'invalid_query',
	'impossible date: 400');
is(http(GET => '/api/pickup-slots')->{status}, 200, 'branch and date default');

# --- daylight saving, at an explicit now ------------------------------------------------
my $c = new_branch(name => "T71 Early $$", hours => all_week('00:00', '04:00'));
sub dst_slots {
	my ($day, $zone, $at) = @_;
	return [ map { $_->[0] } sql(q{SELECT bakery_iso(slot_start, $3) FROM pickup_slots($1, $2::date, $3, 30, 10, 120, 14,
		$4::timestamptz)}, $c->{id}, $day, $zone, $at) ];
}
is(scalar @{ dst_slots('2027-03-27', 'Europe/London', '2027-03-20T12:00Z') }, 8, 'London, a normal night: 8 slots');
is_deeply(dst_slots('2027-03-28', 'Europe/London', '2027-03-20T12:00Z'),
	[ '2027-03-28T00:00:00+00:00', '2027-03-28T00:30:00+00:00', '2027-03-28T02:00:00+01:00',
	  '2027-03-28T02:30:00+01:00', '2027-03-28T03:00:00+01:00', '2027-03-28T03:30:00+01:00' ],
	'clocks go forward: 01:00-02:00 does not exist, 6 slots');
is_deeply([ @{ dst_slots('2027-10-31', 'Europe/London', '2027-10-25T12:00Z') }[ 2 .. 5 ] ],
	[ '2027-10-31T01:00:00+01:00', '2027-10-31T01:30:00+01:00', '2027-10-31T01:00:00+00:00',
	  '2027-10-31T01:30:00+00:00' ], 'clocks go back: 01:00-02:00 twice');
is(scalar @{ dst_slots('2027-10-31', 'Europe/London', '2027-10-25T12:00Z') }, 10, 'so 10 slots');
is(scalar @{ dst_slots('2027-04-04', 'Australia/Sydney', '2027-03-30T00:00Z') }, 10,
	'Sydney, summer time ends: 10 slots');
my ($m27, $m28) = map { dst_slots($_, 'Europe/London', '2027-03-20T12:00Z')->[0] } '2027-03-27', '2027-03-28';
is(epoch_of($m28) - epoch_of($m27), 86400, 'midnight to midnight over the change is 24 h of slot grid');
is_deeply(dst_slots('2027-03-28', 'Europe/London', '2027-03-28T00:00Z'),
	[ '2027-03-28T03:00:00+01:00', '2027-03-28T03:30:00+01:00' ],
	'the lead time is real time: 120 minutes after 00:00 GMT is 03:00 BST');
is_deeply(dst_slots('2027-04-20', 'Europe/London', '2027-04-05T12:00Z'), [], 'beyond the horizon: none');

# --- placement with a slot: every 422 ---------------------------------------------------
my $prod = new_product(name => 'T71 Bun', price => 150, stock => 50);
for my $br ($a, $b) {
	is(staff_http(PUT => "/api/staff/branches/$br->{id}/stock/$prod", $tok, body => { stock => 40 })->{status},
		200, "stock at branch $br->{id}");
}
sub order_at {
	my (%o) = @_;
	return http(POST => '/api/orders', body => {
		customer_name => 'T71 Buyer', customer_email => 't71@example.com',
		items => [ { product_id => $o{product} // $prod, quantity => $o{qty} // 1 } ],
		(exists $o{branch} ? (branch_id => $o{branch}) : ()),
		(exists $o{at} ? (pickup_at => $o{at}) : ()),
	});
}
my $slot = $s[1]{start};
my @booked = map { order_at(branch => $a->{id}, at => $slot) } 1 .. 2;
is_deeply([ map { $_->{status} } @booked ], [ 201, 201 ], 'two orders book the two places');
is($booked[0]{json}{pickup_at}, $slot, 'the answer names the slot');
is($booked[0]{json}{branch_id}, $a->{id}, 'and the branch');
my $full = order_at(branch => $a->{id}, at => $slot);
is($full->{status}, 422, 'a third: 422');
is($full->{json}{code}, 'slot_full', 'slot_full');
is($full->{json}{field}, 'pickup_at', 'blaming pickup_at');
is((grep { $_->{start} eq $slot } @{ slots($a->{id}, $d2)->{json} })[0]{remaining}, 0, 'listed with 0 left');

my ($closed_at) = map { $_->[0] } sql(q{SELECT bakery_iso((($1::date + 1) + time '09:00') AT TIME ZONE $2, $2)}, $d2, $tz);
my ($far) = map { $_->[0] } sql(q{SELECT bakery_iso((($1::date) + time '10:00') AT TIME ZONE $2, $2)}, local_date(15), $tz);
my $soon = $near[0]{start};
my ($too_soon) = map { $_->[0] } sql(q{SELECT bakery_iso($1::timestamptz - interval '30 minutes', $2)}, $soon, $tz);
my ($off_grid) = map { $_->[0] } sql(q{SELECT bakery_iso($1::timestamptz + interval '10 minutes', $2)}, $slot, $tz);
for my $case ([ 'a closed day', $a->{id}, $closed_at ], [ 'beyond the horizon', $b->{id}, $far ],
	[ 'within the lead time', $b->{id}, $too_soon ], [ 'off the slot grid', $a->{id}, $off_grid ],
	[ 'in the past', $b->{id}, '2020-01-01T10:00:00Z' ]) {
	my ($what, $branch, $at) = @$case;
	my $u = order_at(branch => $branch, at => $at);
	is("$u->{status} " . ($u->{json}{code} // '') . ' ' . ($u->{json}{field} // ''),
		'422 slot_unavailable pickup_at', "$what: 422 slot_unavailable");
}
is(order_at(branch => $b->{id}, at => $soon)->{status}, 201, 'the earliest bookable slot can be booked');
my $utc = order_at(branch => $b->{id}, at => do { my ($z) = map { $_->[0] } sql(
	q{SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')}, $soon); $z });
is($utc->{status}, 201, 'the same instant written in UTC is the same slot');
is($utc->{json}{pickup_at}, $soon, 'answered in bakery time');
my $ub = order_at(branch => 999999999, at => $slot);
is("$ub->{status} $ub->{json}{code} $ub->{json}{field}", '422 unknown_branch branch_id', 'unknown branch: 422');
for my $bad ('tomorrow', '2026-12-03T09:00:00', '2026-13-03T09:00:00Z', 42) {
	my $x = order_at(branch => $a->{id}, at => $bad);
	is("$x->{status} $x->{json}{code}", '400 invalid_type', "pickup_at '$bad': 400 invalid_type");
}
is(order_at(branch => 'one', at => $slot)->{json}{code}, 'invalid_type', 'branch_id must be a number');
my $none_there = new_product(name => 'T71 Default Only', price => 100, stock => 10);
my $short = order_at(branch => $a->{id}, at => $s[2]{start}, product => $none_there);
is("$short->{status} $short->{json}{code}", '422 insufficient_stock', "stock is the branch's");
is(order_at(product => $none_there)->{status}, 201, 'while the default branch has it');

# --- without a slot: the next free one; none free: no slot -------------------------------
my $d = new_branch(name => "T71 Tiny $$", hours => all_week('00:00', '24:00'), capacity => 1);
staff_http(PUT => "/api/staff/branches/$d->{id}/stock/$prod", $tok, body => { stock => 10 });
my @free = grep { $_->{remaining} > 0 } (@{ slots($d->{id}, local_date(0))->{json} },
	@{ slots($d->{id}, local_date(1))->{json} });
my @next = map { order_at(branch => $d->{id})->{json}{pickup_at} } 1 .. 2;
is_deeply(\@next, [ $free[0]{start}, $free[1]{start} ], 'without pickup_at: the next free slots, in turn');
my $e = new_branch(name => "T71 Shut $$", hours => all_week('08:00', '12:00'), capacity => 0);
staff_http(PUT => "/api/staff/branches/$e->{id}/stock/$prod", $tok, body => { stock => 10 });
my $nos = order_at(branch => $e->{id});
is($nos->{status}, 201, 'no free slot anywhere: still placed');
ok(exists $nos->{json}{pickup_at} && !defined $nos->{json}{pickup_at}, 'without a slot (pickup_at null)');
my $zero = order_at(branch => $e->{id}, at => slots($e->{id}, $d2)->{json}[0]{start});
is($zero->{json}{code}, 'slot_full', 'a slot of capacity 0 is full');

# --- the order shows where and when ------------------------------------------------------
my $o = http(GET => "/api/orders/$booked[0]{json}{order_id}", headers => { 'X-Order-Token' => $booked[0]{json}{token} });
is($o->{json}{pickup_at}, $slot, 'GET /api/orders/{id}: pickup_at');
is_deeply($o->{json}{branch}, { id => $a->{id}, name => $a->{name}, address => $a->{address} }, 'and the branch');
is(staff_http(GET => "/api/staff/orders/$booked[0]{json}{order_id}", $tok)->{json}{pickup_at}, $slot,
	'staff see it too');

# --- places given back --------------------------------------------------------------------
sub remaining_of {
	my ($branch, $at, $date) = @_;
	return (grep { $_->{start} eq $at } @{ slots($branch, $date)->{json} })[0]{remaining};
}
ok(wait_until(30, sub { (order_row($booked[0]{json}{order_id}) || {})->{status} eq 'completed' }), 'the first completes');
is(staff_http(POST => "/api/staff/orders/$booked[0]{json}{order_id}/refund", $tok)->{status}, 200, 'refunded');
is(remaining_of($a->{id}, $slot, $d2), 1, 'a refund gives the place back');
is(order_at(branch => $a->{id}, at => $slot)->{status}, 201, 'which the next buyer books');

ok(stack_service(stop => 'worker'), 'worker stopped, so an order stays pending');
my $p = order_at(branch => $a->{id}, at => $s[3]{start});
is(remaining_of($a->{id}, $s[3]{start}, $d2), 1, 'booked: one place left');
is(http(POST => "/api/orders/$p->{json}{order_id}/cancel", headers => { 'X-Order-Token' => $p->{json}{token} })->{status},
	200, 'the customer cancels');
is(remaining_of($a->{id}, $s[3]{start}, $d2), 2, 'a cancelled order gives its place back');
my $f = order_at(branch => $a->{id}, at => $s[4]{start}, qty => 5);
staff_http(PUT => "/api/staff/branches/$a->{id}/stock/$prod", $tok, body => { stock => 0 });
ok(stack_service(start => 'worker'), 'worker started');
ok(wait_until(30, sub { (order_row($f->{json}{order_id}) || {})->{status} eq 'failed' }),
	'an order whose stock went meanwhile fails');
is(remaining_of($a->{id}, $s[4]{start}, $d2), 2, 'a failed order gives its place back');
my ($neg) = map { $_->[0] } sql(q{SELECT count(*) FROM slot_bookings WHERE booked < 0});
is($neg, 0, 'no booking count below zero');

done_testing();
