#!/usr/bin/env perl
# Several workers on one queue (SPEC §7.3, §7.6, §9): many orders from many
# clients are each processed exactly once and the stock arithmetic balances
# to the unit; and 5 x K buyers racing for the last K items: exactly K get
# them, everyone else is told "insufficient stock", stock ends at 0.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use BakeryTest;
use WorkerTest;

# Runs CODE($i) in N child processes that start together (released by
# closing a pipe, not by a timer); returns the lines they print.
sub in_parallel {
	my ($n, $code) = @_;
	pipe(my $go_r, my $go_w) or die;
	pipe(my $out_r, my $out_w) or die;
	my @pids;
	for my $i (1 .. $n) {
		my $pid = fork // die "fork: $!";
		if (!$pid) {
			close $go_w;
			close $out_r;
			sysread($go_r, my $x, 1); # returns at EOF: the parent closed it
			my $line = join('', map { "$_\n" } $code->($i));
			syswrite($out_w, $line);
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	close $go_r;
	close $out_w;
	close $go_w;
	my @lines = <$out_r>;
	waitpid($_, 0) for @pids;
	chomp @lines;
	return @lines;
}

# One order from a fresh connection: "HTTPSTATUS ORDER_ID CODE".
sub buy {
	my ($email, @items) = @_;
	my $ua = HTTP::Tiny->new(timeout => 30);
	my $res = $ua->request(POST => base_url() . '/api/orders', {
		headers => { 'Content-Type' => 'application/json' },
		content => encode_json({ customer_name => 'T44 Buyer', customer_email => $email,
			items => [ map { { product_id => $_->[0] + 0, quantity => $_->[1] } } @items ] }) });
	my $j = eval { decode_json($res->{content}) } || {};
	return join(' ', $res->{status}, $j->{order_id} // 0, $j->{code} // '-');
}

# Transitions per worker process for these orders, from the logs.
sub workers_that_processed {
	my (%ids) = map { $_ => 1 } @_;
	my %pids;
	for my $f (worker_logs()) {
		open(my $fh, '<', $f) or next;
		while (<$fh>) {
			$pids{$1}++ if /worker\[(\d+)\] order=(\d+) status from=pending / && $ids{$2};
		}
	}
	return %pids;
}

my $extra = start_worker(name => 'worker-t44');

# --- many orders, two workers -------------------------------------------------------
my @prod = map { new_product(name => "T44 Item $_", price => 100 + $_, stock => 400) } 1 .. 3;
my $scarce = new_product(name => 'T44 Scarce', price => 900, stock => 40);
my %initial = map { $_ => stock($_) } @prod, $scarce;

my @lines = in_parallel(8, sub {
	my ($c) = @_;
	my @out;
	for my $k (1 .. 25) {
		my $n = $c * 100 + $k;
		my @items = map { [ $prod[$_], 1 + ($n + $_) % 3 ] } grep { ($n >> $_) & 1 || $_ == $n % 3 } 0 .. 2;
		push @items, [ $scarce, 1 + $n % 2 ] if $n % 3 == 0;
		push @out, buy($n % 7 == 0 ? "b$n\@decline.test" : "b$n\@example.com", @items);
	}
	return @out;
});
my @ids = map { (split ' ')[1] } grep { /^201 / } @lines;
is(scalar @lines, 200, '200 orders sent from 8 clients');
is(scalar(grep { !/^(201 \d+ -|422 0 insufficient_stock)$/ } @lines), 0,
	'each accepted, or refused at placement once the scarce product ran out')
	or diag(explain([ grep { !/^(201|422) / } @lines ]));
cmp_ok(scalar @ids, '>=', 100, scalar(@ids) . ' accepted');
ok(wait_final(120, @ids), 'every accepted order settled');

my $list = '{' . join(',', @ids) . '}';
my %by = map { $_->[0] => $_->[1] } sql(q{SELECT status, count(*) FROM orders WHERE id = ANY($1::bigint[]) GROUP BY status}, $list);
cmp_ok($by{completed} // 0, '>', 80, "most completed ($by{completed})");
cmp_ok($by{failed} // 0, '>', 20, "payments declined and scarce stock failed some ($by{failed})");
my @bad = sql(q{SELECT o.id, o.status, string_agg(coalesce(h.from_status, '') || '>' || h.to_status, ' ' ORDER BY h.id)
	FROM orders o JOIN order_history h ON h.order_id = o.id WHERE o.id = ANY($1::bigint[])
	GROUP BY o.id, o.status, o.failure_reason
	HAVING NOT (
		(o.status = 'completed' AND string_agg(coalesce(h.from_status, '') || '>' || h.to_status, ' ' ORDER BY h.id) = '>pending pending>processing processing>completed')
		OR (o.status = 'failed' AND o.failure_reason = 'payment declined' AND string_agg(coalesce(h.from_status, '') || '>' || h.to_status, ' ' ORDER BY h.id) = '>pending pending>processing processing>failed')
		OR (o.status = 'failed' AND o.failure_reason LIKE 'insufficient stock for %' AND string_agg(coalesce(h.from_status, '') || '>' || h.to_status, ' ' ORDER BY h.id) = '>pending pending>failed'))},
	$list);
is(scalar @bad, 0, 'each order went through its states exactly once') or diag(explain(\@bad));
my @declined = sql(q{SELECT id FROM orders WHERE id = ANY($1::bigint[]) AND customer_email LIKE '%decline.test'
	AND failure_reason IS DISTINCT FROM 'payment declined' AND failure_reason NOT LIKE 'insufficient stock%'}, $list);
is(scalar @declined, 0, 'every decline.test order failed');
for my $pid (@prod, $scarce) {
	my ($sold) = sql(q{SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE i.product_id = $1 AND o.status = 'completed'}, $pid);
	is(stock($pid), $initial{$pid} - $sold->[0], "product $pid: stock = initial - sold ($sold->[0])");
}
cmp_ok(stock($scarce), '>=', 0, 'the scarce product never went negative');
my %procs = workers_that_processed(@ids);
cmp_ok(scalar(keys %procs), '>=', 2, 'both workers took orders: ' . join(', ', map { "$_: $procs{$_}" } sort keys %procs));

# --- every message twice, two workers ----------------------------------------------------
my $dup = new_product(name => 'T44 Twice', stock => 100);
my @twice = map { insert_order(queued => 1, items => [ [ $dup, 1 ] ]) } 1 .. 20;
ok(publish_many({}, map { ([ qq({"order_id":$_}) ], [ qq({"order_id":$_}) ]) } @twice),
	'20 orders published twice each');
ok(wait_final(60, @twice), 'all settled');
is(scalar(grep { join(' ', history($_)) eq '>pending pending>processing processing>completed' } @twice), 20,
	'each completed exactly once');
is(stock($dup), 80, 'one unit each taken, once');
ok(wait_until(30, sub {
	my $n = 0;
	for my $id (@twice) {
		$n += log_count(qr/order=$id (already completed; message dropped|in the hands of another worker)/);
	}
	$n == 20;
}), 'every second copy was recognised as a duplicate');

# --- K items, 5K buyers ---------------------------------------------------------------
my $K = 10;
my $pool = start_worker(name => 'worker-t44-pool', args => [ '--concurrency', '3' ]);
my $last = new_product(name => 'T44 Last Cake', price => 2500, stock => $K);
@lines = in_parallel(5 * $K, sub { return buy("racer$_[0]\@example.com", [ $last, 1 ]) });
is(scalar @lines, 5 * $K, "$K items, " . 5 * $K . ' buyers at once');
@ids = map { (split ' ')[1] } grep { /^201 / } @lines;
my @refused = grep { /^422 0 insufficient_stock$/ } @lines;
is(@ids + @refused, 5 * $K, 'each was accepted, or refused at placement for insufficient stock')
	or diag(explain([ grep { !/^(201|422) / } @lines ]));
ok(wait_final(60, @ids), 'every accepted order settled');
my @done = grep { order_row($_)->{status} eq 'completed' } @ids;
is(scalar @done, $K, "exactly $K buyers got one");
my @short = grep { my $o = order_row($_); $o->{status} eq 'failed' && $o->{failure_reason} =~ /^insufficient stock for T44 Last Cake/ } @ids;
is(@short + @done, scalar @ids, 'every other accepted order failed with an insufficient-stock reason');
is(stock($last), 0, 'stock ends at exactly 0');

is(stop_worker($pool, 'TERM'), 0, 'pool stopped');
is(stop_worker($extra, 'TERM'), 0, 'extra worker stopped');

done_testing;
