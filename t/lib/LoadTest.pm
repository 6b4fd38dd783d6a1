package LoadTest;
# A rush of customers for the load and fault tests (t/46-*.t, t/48-*.t):
# several client processes placing orders at a fixed total rate through
# nginx, each order's answer recorded; and the checks that every accepted
# order ended exactly once.
use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use Test::More;
use BakeryTest;
use WorkerTest;

our @EXPORT = qw(rush accepted_ids check_exactly_once stack_worker_pids health_ok);

# rush(rate => PER_SECOND, seconds => S, clients => N, product => ID,
#      during => CODE)
# Places rate x seconds orders of 1-3 units of product, spread evenly over
# the time by N client processes (order k goes out at start + k / rate),
# while CODE (if any) runs in this process: a fault to inject, with the
# start time as its argument. Returns a list of {at, status, id, qty}, one
# per order, at = seconds since the start when the answer came.
sub rush {
	my (%o) = @_;
	my $clients = $o{clients} // 4;
	my $total = int($o{rate} * $o{seconds});
	pipe(my $out_r, my $out_w) or die "pipe: $!";
	my $start = time + 0.2;
	my @pids;
	for my $c (0 .. $clients - 1) {
		my $pid = fork // die "fork: $!";
		if (!$pid) {
			close $out_r;
			my $ua = HTTP::Tiny->new(timeout => 15, keep_alive => 1);
			for (my $k = $c; $k < $total; $k += $clients) {
				my $due = $start + $k / $o{rate};
				sleep($due - time) if $due > time; # the schedule, not a wait for a condition
				my $qty = 1 + $k % 3;
				my $res = $ua->request(POST => base_url() . '/api/orders', {
					headers => { 'Content-Type' => 'application/json' },
					content => encode_json({ customer_name => 'Rush Customer',
						customer_email => "rush$k\@example.com",
						items => [ { product_id => $o{product} + 0, quantity => $qty } ] }) });
				my $j = eval { decode_json($res->{content}) } || {};
				syswrite($out_w, sprintf("%.3f %d %d %d\n", time - $start, $res->{status},
					$j->{order_id} // 0, $qty));
			}
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	close $out_w;
	$o{during}->($start) if $o{during};
	my @lines = <$out_r>;
	waitpid($_, 0) for @pids;
	return map { my @f = split ' '; { at => $f[0], status => $f[1], id => $f[2], qty => $f[3] } } @lines;
}

sub accepted_ids { return map { $_->{id} } grep { $_->{status} == 201 } @_ }

# Every accepted order of @results completed, exactly once: one pass
# through pending > processing > completed in its history, and the
# product's stock down by exactly the completed quantities. Tests named
# after $what.
sub check_exactly_once {
	my ($what, $product, $initial, @results) = @_;
	my @ids = accepted_ids(@results);
	my $list = '{' . join(',', @ids) . '}';
	my ($n) = sql(q{SELECT count(*) FROM orders o WHERE id = ANY($1::bigint[]) AND status = 'completed'
		AND (SELECT string_agg(coalesce(from_status, '') || '>' || to_status, ' ' ORDER BY id)
		     FROM order_history WHERE order_id = o.id) = '>pending pending>processing processing>completed'},
		$list);
	is($n->[0], scalar @ids, "$what: all " . scalar(@ids) . ' accepted orders completed, each exactly once');
	my ($sold) = sql(q{SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE i.product_id = $1 AND o.status = 'completed'}, $product);
	is(stock($product), $initial - $sold->[0], "$what: stock = initial - completed quantities ($sold->[0])");
}

# Pids of every bakery-worker process of this stack (its BAKERY_VAR).
sub stack_worker_pids {
	my @pids;
	for my $dir (glob '/proc/[0-9]*') {
		my ($pid) = $dir =~ m{(\d+)$};
		open(my $c, '<', "$dir/cmdline") or next;
		my $cmd = do { local $/; <$c> } // '';
		# The program itself (argv[0]), not any command line that names
		# the word, such as a state directory called after it.
		my ($prog) = split /\0/, $cmd;
		next unless ($prog // '') =~ m{(?:^|/)bakery-worker$};
		open(my $e, '<', "$dir/environ") or next;
		my $env = do { local $/; <$e> } // '';
		push @pids, $pid if index("\0$env", "\0BAKERY_VAR=$ENV{BAKERY_VAR}\0") >= 0;
	}
	return @pids;
}

sub health_ok { my $h = http(GET => '/api/health'); return $h->{status} == 200 && ($h->{json}{status} // '') eq 'ok' }

1;
