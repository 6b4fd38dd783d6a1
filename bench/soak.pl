#!/usr/bin/env perl
# make soak (issue 12): mixed traffic for SOAK_DURATION [10m] on a stack of
# its own (bench/lib/Bench.pm: /tmp/bakery-soak, port family 26, 127.0.0.1
# only), while the worker is killed (SIGKILL) and RabbitMQ and Redis are
# stopped and started again at intervals. Then, once every order is final:
#   - every accepted order is final, with exactly one final transition in
#     its history (and one placement);
#   - stock balances: each product's stock is its start stock less the
#     quantities of its completed orders;
#   - no answer of 500 or above (or a failed connection) outside the outage
#     windows (a fault's start to 5 s after its end);
#   - every bakery-api and bakery-worker process's resident memory is flat:
#     the last minute's peak within 10 % (at least 1 MB) of the first's.
# Prints the report, writes it to docs/performance.md (soak markers; SOAK_DOC=-
# for none) and exits 1 when a check fails. It stops by itself; the stack is
# stopped at the end (SOAK_KEEP=1 leaves it up).
#
# Settings: SOAK_DURATION [10m]; SOAK_CLIENTS [4] client processes, each
# pausing SOAK_PAUSE_MS [20] between requests; BAKERY_PAYMENT_DELAY_MS [200].
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../t/lib";
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use Bench;
use BakeryTest;
use WorkerTest;

my $secs = duration_s($ENV{SOAK_DURATION} // '10m');
my $clients = $ENV{SOAK_CLIENTS} // 4;
my $pause = ($ENV{SOAK_PAUSE_MS} // 20) / 1000;
my $repo = repo();
my $outage_tail = 5;
my $final = q{('completed', 'failed', 'cancelled', 'refunded')};

$ENV{BAKERY_PAYMENT_DELAY_MS} //= 200;
stack_env('soak');
$ENV{BAKERY_URL} = "http://127.0.0.1:$ENV{BAKERY_HTTP_PORT}";
my $load_before = load_avg();
stack_up();
END {
	my $st = $?;
	stack_down() if $ENV{BAKERY_VAR} && !$ENV{SOAK_KEEP};
	$? = $st;
}

sql(q{SET client_min_messages = warning});
sql(q{TRUNCATE orders CASCADE});
sql(q{UPDATE products SET stock = 100000 WHERE active});
my %initial = map { $_->[0] => $_->[1] } sql(q{SELECT id, stock FROM products});
my @products = map { $_->[0] } sql(q{SELECT id FROM products WHERE active ORDER BY id});
my $staff_token = staff_session();

my $start = time + 1;
my $sampler = start_sampler($start);
# Each client's answers go to a file of its own (a pipe read only at the
# end would fill up and stall the clients).
my @files = map { "$ENV{BAKERY_VAR}/soak-client-$_" } 1 .. $clients;
my @pids = map { start_client($_, $start, $files[ $_ - 1 ]) } 1 .. $clients;
my @windows = inject_faults($start);
waitpid($_, 0) for @pids;
my @results = map { [ split ' ' ] } map { open(my $fh, '<', $_) or die "soak: $_: $!\n"; <$fh> } @files;
kill 'TERM', $sampler;
waitpid($sampler, 0);
exit(report(check_all()) ? 0 : 1);

sub staff_session {
	my $name = 'soak-staff-' . time; # a run on an earlier run's data makes its own
	local $ENV{BAKERY_STAFF_PASSWORD} = 'soak-staff-password-long-enough';
	system("$repo/build/bakery-api", 'create-staff', $name) == 0
		or die "soak: bakery-api create-staff failed\n";
	my $r = http(POST => '/api/staff/login', body => { username => $name,
		password => $ENV{BAKERY_STAFF_PASSWORD} });
	$r->{status} == 200 or die "soak: staff login failed ($r->{status})\n";
	return $r->{json}{token};
}

# One customer-and-staff mix per client process until the deadline: each
# answer as "seconds kind status order_id" in $file.
sub start_client {
	my ($n, $t0, $file) = @_;
	my $pid = fork // die "fork: $!";
	return $pid if $pid;
	open(my $out, '>', $file) or POSIX::_exit(1);
	srand($$ ^ time);
	sleep($t0 - time) if $t0 > time;
	eval { client_loop($n, $t0, $out) };
	warn "soak: client $n: $@" if $@;
	POSIX::_exit(0);
}

sub client_loop {
	my ($n, $t0, $out) = @_;
	my $ua = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
	my $base = $ENV{BAKERY_URL};
	my (@mine, $k);
	$k = 0;
	while (time < $t0 + $secs) {
		my $roll = rand 100;
		my $p = $products[ rand @products ];
		my ($kind, $r, $id) = ('', undef, 0);
		if ($roll < 30) {
			($kind, $r) = ('listing', $ua->get("$base/api/products"));
		} elsif ($roll < 45) {
			($kind, $r) = ('product', $ua->get("$base/api/products/$p"));
		} elsif ($roll < 50) {
			($kind, $r) = ('category', $ua->get("$base/api/products?category=bread"));
		} elsif ($roll < 72) {
			$k++;
			my $body = encode_json({ customer_name => "Soak $n", customer_email => "soak$n.$k\@example.com",
				items => [ { product_id => $p + 0, quantity => 1 + int rand 2 } ] });
			($kind, $r) = ('order', $ua->post("$base/api/orders", { content => $body,
				headers => { 'Content-Type' => 'application/json' } }));
			my $j = eval { decode_json($r->{content}) } || {};
			$id = $j->{order_id} // 0;
			push @mine, [ $id, $j->{token} ] if $r->{status} == 201;
		} elsif ($roll < 90 && @mine) {
			my $o = $mine[ rand @mine ];
			($kind, $r, $id) = ('track', $ua->get("$base/api/orders/$o->[0]",
				{ headers => { 'X-Order-Token' => $o->[1] } }), $o->[0]);
		} elsif ($roll < 93 && @mine) {
			my $o = $mine[-1];
			($kind, $r, $id) = ('cancel', $ua->post("$base/api/orders/$o->[0]/cancel",
				{ headers => { 'X-Order-Token' => $o->[1] } }), $o->[0]);
		} elsif ($roll < 97) {
			my $body = encode_json({ description => "Soak edit $n.$k at " . int(time) });
			($kind, $r) = ('staff_edit', $ua->request(PATCH => "$base/api/staff/products/$p",
				{ content => $body, headers => { 'Content-Type' => 'application/json',
				  Authorization => "Bearer $staff_token" } }));
		} else {
			($kind, $r) = ('staff_orders', $ua->get("$base/api/staff/orders",
				{ headers => { Authorization => "Bearer $staff_token" } }));
		}
		next unless $r;
		syswrite($out, sprintf("%.3f %s %d %d\n", time - $t0, $kind, $r->{status}, $id));
		sleep $pause;
	}
}

# Every 5 s: the resident memory of each bakery-api and bakery-worker
# process, as "seconds program pid kB anon-kB" lines in $BAKERY_VAR/soak-rss
# (RssAnon: the process's own memory, without the shared library pages).
sub start_sampler {
	my ($t0) = @_;
	my $pid = fork // die "fork: $!";
	return $pid if $pid;
	open(my $fh, '>', "$ENV{BAKERY_VAR}/soak-rss") or die "soak-rss: $!";
	$fh->autoflush(1);
	while (1) {
		for my $prog (qw(bakery-api bakery-worker)) {
			for my $p (stack_pids(qr{/\Q$prog\E$})) {
				printf $fh "%.1f %s %d %d %d\n", time - $t0, $prog, $p, vm_kb($p, 'VmRSS'),
					vm_kb($p, 'RssAnon');
			}
		}
		sleep 5;
	}
}

# The faults, in turn, every interval: the worker killed, RabbitMQ stopped
# for 5 s, Redis stopped for 3 s. Returns the outage windows [from, to,
# what] in seconds since the start.
sub inject_faults {
	my ($t0) = @_;
	my $every = $secs >= 300 ? 60 : 25;
	my @kinds = qw(worker rabbitmq redis);
	my (@w, $i);
	for (my $at = 15; $at < $secs - 20; $at += $every) {
		sleep($t0 + $at - time) if $t0 + $at > time;
		my $kind = $kinds[ $i++ % @kinds ];
		my $from = time - $t0;
		if ($kind eq 'worker') {
			my $pid = service_pid('worker');
			kill 'KILL', $pid if $pid;
			wait_until(60, sub { service_state('worker') eq 'RUNNING' && service_pid('worker') != $pid });
		} else {
			stack_service(stop => $kind);
			sleep($kind eq 'rabbitmq' ? 5 : 3);
			stack_service(start => $kind);
		}
		push @w, [ $from, time - $t0 + $outage_tail, $kind ];
		say_bench(sprintf('soak: %s fault from %.0f s to %.0f s', $kind, $w[-1][0], $w[-1][1] - $outage_tail));
	}
	sleep($t0 + $secs - time) if $t0 + $secs > time;
	return @w;
}

sub in_window {
	my ($t) = @_;
	for (@windows) { return $_->[2] if $t >= $_->[0] && $t <= $_->[1] }
	return undef;
}

# The checks; each as [ok, text].
sub check_all {
	my @c;
	my $ok = wait_until(180, sub { !(sql(qq{SELECT 1 FROM orders WHERE status NOT IN $final LIMIT 1}))[0] });
	my %accepted = map { $_->[3] => 1 } grep { $_->[1] eq 'order' && $_->[2] == 201 } @results;
	my ($n, $final_n, $once) = @{ (sql(qq{SELECT count(*), count(*) FILTER (WHERE status IN $final),
		count(*) FILTER (WHERE (SELECT count(*) FROM order_history h WHERE h.order_id = o.id
			AND h.to_status IN $final) = 1 AND (SELECT count(*) FROM order_history h
			WHERE h.order_id = o.id AND h.from_status IS NULL) = 1) FROM orders o}))[0] };
	my ($known) = @{ (sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[])},
		'{' . join(',', keys %accepted) . '}'))[0] };
	push @c, [ $ok && $final_n == $n && $once == $n && $known == keys %accepted,
		sprintf('%d orders in the database (%d answered 201, all of them there: %s); final: %d; '
			. 'with exactly one placement and one final transition: %d', $n, scalar keys %accepted,
			$known == keys %accepted ? 'yes' : 'NO', $final_n, $once) ];
	my %sold = map { $_->[0] => $_->[1] } sql(q{SELECT i.product_id, sum(i.quantity) FROM order_items i
		JOIN orders o ON o.id = i.order_id WHERE o.status = 'completed' GROUP BY i.product_id});
	my @off = grep { $_->[1] != $initial{ $_->[0] } - ($sold{ $_->[0] } // 0) } sql(q{SELECT id, stock FROM products});
	my $sold = 0;
	$sold += $_ for values %sold;
	push @c, [ !@off, sprintf('stock balances: %d units sold in completed orders; products off: %d', $sold, scalar @off) ];
	my (%by_kind, $inside, $outside);
	for my $r (@results) {
		$by_kind{ $r->[1] }++;
		next unless $r->[2] >= 500;
		if (in_window($r->[0])) { $inside++ } else { $outside++; warn "soak: $r->[1] answered $r->[2] at $r->[0] s\n" }
	}
	push @c, [ !$outside, sprintf('%d requests (%s); 5xx or no answer: %d outside the outage windows, %d inside',
		scalar @results, join(', ', map { "$_ $by_kind{$_}" } sort keys %by_kind), $outside // 0, $inside // 0) ];
	push @c, rss_flat();
	return @c;
}

# Peak resident memory per program in the first and the last minute (the
# first and last half of a run shorter than two minutes), and of it the
# peak of the processes' own (anonymous) memory.
sub rss_flat {
	open(my $fh, '<', "$ENV{BAKERY_VAR}/soak-rss") or return [ 0, 'no memory samples' ];
	my $span = $secs >= 120 ? 60 : $secs / 2;
	my (%peak, %anon);
	while (<$fh>) {
		my ($t, $prog, $pid, $kb, $akb) = split;
		my $when = $t <= $span ? 'first' : $t >= $secs - $span ? 'last' : next;
		$peak{$prog}{$when} = $kb if $kb > ($peak{$prog}{$when} // 0);
		$anon{$prog}{$when} = $akb if $akb > ($anon{$prog}{$when} // 0);
	}
	my ($ok, @txt) = (1);
	for my $prog (sort keys %peak) {
		my ($f, $l) = ($peak{$prog}{first} // 0, $peak{$prog}{last} // 0);
		my $flat = $f && $l && $l <= $f + ($f * 0.1 > 1024 ? $f * 0.1 : 1024);
		$ok &&= $flat;
		push @txt, sprintf('%s %.1f MB first, %.1f MB last%s (own memory %.1f and %.1f MB)', $prog, $f / 1024,
			$l / 1024, $flat ? '' : ' (GREW)', ($anon{$prog}{first} // 0) / 1024, ($anon{$prog}{last} // 0) / 1024);
	}
	return [ ($ok && scalar @txt) ? 1 : 0, 'peak RSS per process: ' . join('; ', @txt) ];
}

sub report {
	my (@checks) = @_;
	my $all = !grep { !$_->[0] } @checks;
	my $text = sprintf("Soak of %s (`make soak`, SOAK_DURATION=%ds, %d clients, payment time %d ms) on %s, %s.\n"
		. "Load average before: %s, after: %s. Faults: %s.\n\n%s\nResult: %s.\n",
		POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime), $secs, $clients, $ENV{BAKERY_PAYMENT_DELAY_MS},
		machine(), 'against 127.0.0.1 only', $load_before, load_avg(),
		join(', ', map { sprintf('%s at %.0f-%.0f s', $_->[2], $_->[0], $_->[1] - $outage_tail) } @windows),
		join('', map { sprintf("- %s: %s\n", $_->[0] ? 'ok' : 'FAILED', $_->[1]) } @checks),
		$all ? 'every check passed' : 'a check FAILED');
	print "\n$text";
	my $doc = $ENV{SOAK_DOC} // "$repo/docs/performance.md";
	return $all if $doc eq '-';
	open(my $in, '<', $doc) or die "soak: $doc: $!\n";
	my $old = do { local $/; <$in> };
	close $in;
	$old =~ s/(<!-- soak-report -->\n).*?(<!-- \/soak-report -->)/$1\n$text\n$2/s
		or die "soak: $doc has no <!-- soak-report --> ... <!-- /soak-report --> lines\n";
	open(my $out, '>', "$doc.tmp") or die "soak: $doc.tmp: $!\n";
	print $out $old;
	close $out or die "soak: $doc.tmp: $!\n";
	rename "$doc.tmp", $doc or die "soak: $doc: $!\n";
	return $all;
}
