#!/usr/bin/env perl
# Stock per branch under two workers (SPEC §10): orders at two branches for
# the same products, processed by the stack's worker and a second one, take
# stock only from their own branch; each branch's stock ends at its start
# minus what its completed orders hold, to the unit, never below zero, and
# the default branch's is products.stock throughout.
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
my $w2 = start_worker(name => 'worker-t73');
ok($w2, 'a second worker');
my $def = (grep { $_->{default} } @{ http(GET => '/api/branches')->{json} })[0]{id};
my $x = new_branch(name => "T73 Station $$", hours => all_week('00:00', '24:00'), capacity => 1000)->{id};
my @prod = map { new_product(name => "T73 Item $_", price => 100 + $_, stock => 500) } 1 .. 2;
my %start = ($def => { $prod[0] => 500, $prod[1] => 500 }, $x => { $prod[0] => 25, $prod[1] => 40 });
for my $p (@prod) {
	is(staff_http(PUT => "/api/staff/branches/$x/stock/$p", $tok, body => { stock => $start{$x}{$p} })->{status}, 200,
		"stock of $p at the second branch");
}

# 60 orders: half at each branch, each for both products, from 6 clients.
my @kids;
pipe(my $r, my $w) or die;
my $go = time + 1.0;
for my $c (0 .. 5) {
	my $pid = fork // die;
	if (!$pid) {
		close $r;
		sleep($go - time) if $go > time;
		for my $i (1 .. 10) {
			my $branch = ($c + $i) % 2 ? $x : $def;
			my $res = http(POST => '/api/orders', body => { customer_name => 'T73', customer_email => 't73@example.com',
				branch_id => $branch, items => [ { product_id => $prod[0], quantity => 1 + $i % 3 },
					{ product_id => $prod[1], quantity => 1 } ] });
			print $w "$res->{status} " . ($res->{json}{order_id} // 0) . "\n";
		}
		close $w;
		exit 0;
	}
	push @kids, $pid;
}
close $w;
my @lines = <$r>;
waitpid($_, 0) for @kids;
my @ids = map { (split ' ')[1] } grep { /^201 / } @lines;
my @refused = grep { !/^201 / } @lines;
ok(@ids >= 30, scalar(@ids) . ' orders placed');
ok(!(grep { !/^422 / } @refused), 'the others refused at placement with 422 (insufficient stock)');
ok(wait_final(90, @ids), 'every order completed or failed');

my $list = '{' . join(',', @ids) . '}';
for my $branch ($def, $x) {
	for my $p (@prod) {
		my ($taken) = map { $_->[0] } sql(q{SELECT coalesce(sum(i.quantity), 0) FROM orders o JOIN order_items i ON i.order_id = o.id
			WHERE o.id = ANY($1::bigint[]) AND o.branch_id = $2 AND i.product_id = $3 AND o.status = 'completed'},
			$list, $branch, $p);
		my ($now) = map { $_->[0] } sql(q{SELECT coalesce((SELECT stock FROM branch_stock WHERE branch_id = $1 AND product_id = $2), 0)},
			$branch, $p);
		is($now, $start{$branch}{$p} - $taken, "branch $branch, product $p: start - completed quantities = stock");
		cmp_ok($now, '>=', 0, 'never below zero');
	}
}
is(stock($prod[0]), (sql(q{SELECT stock FROM branch_stock WHERE branch_id = $1 AND product_id = $2}, $def, $prod[0]))[0][0],
	"products.stock is the default branch's");
my ($short) = map { $_->[0] } sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND status = 'failed'
	AND failure_reason NOT LIKE 'insufficient stock%'}, $list);
is($short, 0, 'an order fails only for want of stock');
my ($fail_def) = map { $_->[0] } sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[]) AND status = 'failed'
	AND branch_id = $2}, $list, $def);
is($fail_def, 0, "the default branch's plenty served all of its orders");
ok(stop_worker($w2) == 0, 'the second worker stops cleanly');

done_testing();
