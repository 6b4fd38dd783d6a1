#!/usr/bin/env perl
# Staff orders (SPEC §6.2): view in full, cancel pending, refund completed
# (stock restored exactly once under two concurrent refunds), 409 for every
# illegal transition, the filtered list paged without duplicates or gaps,
# the summary, and staff access to the customer order endpoints.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use BakeryTest;
use WorkerTest;
use StaffTest;

my ($name, $pw) = new_staff('t62');
my ($tok) = login($name, $pw);
ok($tok, 'logged in');
my $prod = new_product(name => 'T62 Loaf', price => 250, stock => 10);
my $email = "t62-$$\@example.com";

# --- view -----------------------------------------------------------------------------
my $done = insert_order(items => [ [ $prod, 3 ] ], status => 'completed', email => $email, queued => 1);
my $v = staff_http(GET => "/api/staff/orders/$done", $tok);
is($v->{status}, 200, 'view: 200');
is($v->{json}{customer_email}, $email, 'with the customer');
is($v->{json}{total_amount}, '7.5', 'the total');
is($v->{json}{items}[0]{quantity}, 3, 'the items');
ok(scalar @{ $v->{json}{history} } >= 1, 'and the history');
is(staff_http(GET => '/api/staff/orders/999999999', $tok)->{status}, 404, 'unknown order: 404');
is(staff_http(GET => "/api/orders/$done", $tok)->{json}{customer_email}, $email,
	'the customer endpoint shows the customer to staff too');

# --- refund, two at once ---------------------------------------------------------------
my $stock0 = stock($prod);
my $go = time + 1.0;
my @kids;
for (1 .. 2) {
	pipe(my $r, my $w) or die;
	my $pid = fork // die;
	if (!$pid) {
		close $r;
		sleep($go - time) if $go > time;
		my $res = staff_http(POST => "/api/staff/orders/$done/refund", $tok);
		print $w $res->{status};
		close $w;
		exit 0;
	}
	close $w;
	push @kids, [ $pid, $r ];
}
my @codes = sort map { my $fh = $_->[1]; local $/; my $c = <$fh>; waitpid($_->[0], 0); $c } @kids;
is_deeply(\@codes, [ 200, 409 ], 'two concurrent refunds: one 200, one 409');
is(stock($prod), $stock0 + 3, 'stock restored exactly once');
is(order_row($done)->{status}, 'refunded', 'the order is refunded');
my @h = history($done);
is($h[-1], 'completed>refunded', 'recorded in the history');
is(scalar(grep { $_ eq 'completed>refunded' } @h), 1, 'once');
my $again = staff_http(POST => "/api/staff/orders/$done/refund", $tok);
is($again->{status}, 409, 'refund again: 409');
is($again->{json}{code}, 'invalid_state', 'invalid_state');
is(http(GET => "/api/orders/$done")->{json}{status}, 'refunded', 'the customer sees refunded');

# --- cancel --------------------------------------------------------------------------------
my $pend = insert_order(items => [ [ $prod, 1 ] ], status => 'pending', email => $email, queued => 1);
# The worker may pick a queued=true pending order only from the queue; this one was never published.
my $c = staff_http(POST => "/api/staff/orders/$pend/cancel", $tok);
is($c->{status}, 200, 'cancel a pending order: 200');
is($c->{json}{status}, 'cancelled', 'the order, cancelled');
is((history($pend))[-1], 'pending>cancelled', 'in the history');
my $pend2 = insert_order(items => [ [ $prod, 1 ] ], status => 'pending', email => $email, queued => 1);
is(http(POST => "/api/orders/$pend2/cancel", headers => { Authorization => "Bearer $tok" })->{status}, 200,
	'the customer cancel endpoint accepts a staff session');

# --- every illegal transition: 409 ----------------------------------------------------------
for my $st (qw(processing completed failed cancelled refunded)) {
	my $o = insert_order(items => [ [ $prod, 1 ] ], status => $st, email => $email, queued => 1);
	is(staff_http(POST => "/api/staff/orders/$o/cancel", $tok)->{status}, 409, "cancel $st: 409");
}
for my $st (qw(pending processing failed cancelled refunded)) {
	my $o = insert_order(items => [ [ $prod, 1 ] ], status => $st, email => $email, queued => 1);
	my $s0 = stock($prod);
	is(staff_http(POST => "/api/staff/orders/$o/refund", $tok)->{status}, 409, "refund $st: 409");
	is(stock($prod), $s0, '  stock unchanged');
}
is(staff_http(POST => '/api/staff/orders/999999999/cancel', $tok)->{status}, 404, 'cancel unknown: 404');
is(staff_http(POST => '/api/staff/orders/999999999/refund', $tok)->{status}, 404, 'refund unknown: 404');
my ($audit) = sql(q{SELECT count(*) FROM staff_audit WHERE entity = 'order' AND entity_id = ANY($1::bigint[])},
	"{$done,$pend}");
is($audit->[0], 2, 'the refund and the cancel are in the audit log, the refused ones not');

# --- the list: filters and paging ---------------------------------------------------------------
my ($n) = sql(q{SELECT count(*) FROM orders WHERE customer_email = $1}, $email);
my (@ids, $cursor, $pages);
do {
	my $r = staff_http(GET => "/api/staff/orders?email=T62-$$&limit=4" . ($cursor ? "&after=$cursor" : ''), $tok);
	is($r->{status}, 200, 'page ' . ($pages // 0)) unless $pages;
	push @ids, map { $_->{order_id} } @{ $r->{json}{orders} };
	$cursor = $r->{json}{next};
	$pages++;
} while ($cursor && $pages < 100);
my ($want) = sql(q{SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM orders WHERE customer_email = $1}, $email);
is(join(',', @ids), $want->[0], "paging by 4 gives all $n->[0] orders of the email once each, newest first");
my $first = staff_http(GET => "/api/staff/orders?email=$email&limit=200", $tok);
is($first->{json}{next}, undef, 'a last page has next null');
my $row = $first->{json}{orders}[0];
ok(exists $row->{customer_name} && $row->{customer_email} eq $email, 'rows carry customer name and email');
my $only = staff_http(GET => "/api/staff/orders?email=$email&status=refunded", $tok);
ok(@{ $only->{json}{orders} } && !(grep { $_->{status} ne 'refunded' } @{ $only->{json}{orders} }),
	'status filter');
my ($today) = sql(q{SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')});
is(scalar @{ staff_http(GET => "/api/staff/orders?email=$email&from=$today->[0]&to=$today->[0]&limit=200", $tok)->{json}{orders} },
	$n->[0], 'date range including today');
is(scalar @{ staff_http(GET => "/api/staff/orders?email=$email&to=2000-01-01", $tok)->{json}{orders} }, 0,
	'date range before them');
for my $bad ('status=lost', 'from=2024-02-30', 'to=yesterday', 'limit=0', 'limit=1000', 'after=-1',
	'from=2024-03-02&to=2024-03-01') {
	my $r = staff_http(GET => "/api/staff/orders?$bad", $tok);
	is($r->{status}, 400, "?$bad: 400");
	ok($r->{json}{field}, '  with the field');
}

# --- summary -----------------------------------------------------------------------------------
my $p2 = new_product(name => 'T62 Cake', price => 1999, stock => 10);
# Orders of this test alone on a day of their own, long ago: exact figures.
my ($day) = sql(q{SELECT to_char(date '2001-01-01' + ($1::int % 5000), 'YYYY-MM-DD')}, $$);
$day = $day->[0];
my @mine = (insert_order(items => [ [ $p2, 2 ] ], status => 'completed', email => $email, queued => 1),
	insert_order(items => [ [ $p2, 1 ], [ $prod, 4 ] ], status => 'completed', email => $email, queued => 1),
	insert_order(items => [ [ $prod, 9 ] ], status => 'refunded', email => $email, queued => 1),
	insert_order(items => [ [ $prod, 9 ] ], status => 'pending', email => $email, queued => 1));
sql(q{UPDATE orders SET created_at = $1::date + time '12:00' WHERE id = ANY($2::bigint[])},
	$day, '{' . join(',', @mine) . '}');
my $s = staff_http(GET => "/api/staff/summary?from=$day&to=$day", $tok);
is($s->{status}, 200, 'summary: 200');
is_deeply($s->{json}{days}, [ { date => $day, orders => 2, revenue => '69.97' } ],
	'one day: the two completed orders and their revenue (refunded and pending not counted)');
like($s->{body}, qr/"revenue":69\.97[,}].*"revenue":10\.00[,}]/, "money exact, two decimals");
is_deeply($s->{json}{top_products}, [
	{ product_id => $p2 + 0, name => $s->{json}{top_products}[0]{name}, quantity => 3, revenue => '59.97' },
	{ product_id => $prod + 0, name => $s->{json}{top_products}[1]{name}, quantity => 4, revenue => 10 } ],
	'top products by revenue, with quantity and revenue') or diag explain $s->{json};
like($s->{json}{top_products}[0]{name}, qr/^T62 Cake/, 'named');
my $week = staff_http(GET => '/api/staff/summary', $tok);
is(scalar @{ $week->{json}{days} }, 7, 'by default the last 7 days, each listed');
is(staff_http(GET => '/api/staff/summary?from=2020-01-01&to=2022-01-01', $tok)->{status}, 400,
	'a range over a year: 400');

# Orders left pending were never published: settle them, so no later test
# sees a backlog (health degrades on an old waiting order).
sql(q{UPDATE orders SET status = 'cancelled' WHERE customer_email = $1 AND status IN ('pending', 'processing')}, $email);

done_testing;
