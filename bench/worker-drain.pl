#!/usr/bin/env perl
# Orders completed per second by ONE bakery-worker process, for each
# payment time and BAKERY_WORKER_INFLIGHT given, on a running stack.
#
#   bench/worker-drain.pl [--delays 500,0] [--inflight 1,16,64,256] [--seconds 8]
#
# Needs the stack's environment (DATABASE_URL, AMQP_URL, BAKERY_VAR,
# BAKERY_AMQP_PORT, BAKERY_EPMD_PORT; `. scripts/test-stack.env` plus the
# URLs, as scripts/test.sh sets them). The stack's own worker is stopped
# for the run and started again after. For each setting: N orders are
# written straight to the database as placed and queued, N messages are
# published, then a fresh worker (the optimised build in ./build) drains
# them. The rate is N over the time from the first order taken to the last
# one settled, both read from the database, so start-up is not counted.
# N is sized to take about --seconds at the expected rate.
# Per completed order it also prints the CPU (user + system, microseconds)
# of PostgreSQL (all its backends), RabbitMQ and the worker, and the
# database's commits (pg_stat_database, which lags by up to a second's
# stats flush: it is read after a pause), and the worker's peak RSS
# (VmHWM) at the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../t/lib";
use Getopt::Long;
use Time::HiRes qw(time);
use Bench qw(cpu_snapshot cpu_delta vm_kb);
use BakeryTest;
use WorkerTest;

my ($delays, $inflights, $seconds) = ('500,0', '1,16,64,256', 8);
GetOptions('delays=s' => \$delays, 'inflight=s' => \$inflights, 'seconds=i' => \$seconds) or die "usage\n";
$ENV{BAKERY_BIN} = "$FindBin::Bin/../build";
-x "$ENV{BAKERY_BIN}/bakery-worker" or die "build it first: make\n";

stack_service(stop => 'worker') or die "cannot stop the stack's worker\n";
END { stack_service(start => 'worker') }

sub commits {
	sleep 1.2; # the statistics collector's flush interval
	return (sql(q{SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()}))[0][0];
}

printf "%-10s %-9s %7s %9s %10s %8s %8s %8s %8s %8s\n", 'payment', 'inflight', 'orders', 'seconds',
	'orders/s', 'pg_us', 'rmq_us', 'wrk_us', 'commits', 'peak_kB';
for my $delay (split /,/, $delays) {
	for my $inflight (split /,/, $inflights) {
		# Expected: inflight per payment, capped by the database work (~600/s).
		my $rate = $delay ? $inflight * 1000 / $delay : 600;
		$rate = 600 if $rate > 600;
		my $n = int($rate * $seconds) || 10;
		$n = 20 if $n < 20;
		my $p = new_product(name => 'Bench Loaf', stock => $n);
		my ($first) = map { $_->[0] } sql(q{WITH o AS (INSERT INTO orders (customer_name, customer_email, total_cents,
				access_token, queued) SELECT 'Bench', 'bench@example.com', 250, encode(sha256(convert_to(random()::text || g, 'UTF8')), 'hex'), true
				FROM generate_series(1, $1::int) g RETURNING id),
			i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, product_name)
				SELECT id, $2, 1, 250, 'Bench Loaf' FROM o)
			SELECT min(id) FROM o}, $n, $p);
		my @ids = ($first .. $first + $n - 1);
		for (my $k = 0; $k < @ids; $k += 250) {
			my @chunk = @ids[$k .. ($k + 249 < $#ids ? $k + 249 : $#ids)];
			publish_many({}, map { [ qq({"order_id":$_}) ] } @chunk) or die "publish failed\n";
		}
		my ($c0, $cpu0) = (commits(), cpu_snapshot());
		my $w = start_worker(name => 'worker-bench', env => {
			BAKERY_PAYMENT_DELAY_MS => $delay, BAKERY_WORKER_INFLIGHT => $inflight });
		wait_final(600, @ids) or die "orders not final after 600 s\n";
		my $cpu = cpu_snapshot(drain => $w);
		my $hwm = vm_kb($w, 'VmHWM');
		stop_worker($w, 'TERM');
		my $c1 = commits();
		my ($r) = sql(q{SELECT count(*) FILTER (WHERE o.status = 'completed'),
			extract(epoch FROM max(o.updated_at) - (SELECT min(h.created_at) FROM order_history h
				WHERE h.order_id BETWEEN $1 AND $2 AND h.to_status = 'processing'))
			FROM orders o WHERE o.id BETWEEN $1 AND $2}, $first, $first + $n - 1);
		my ($done, $secs) = @$r;
		my $d = cpu_delta($cpu0, $cpu, $done);
		printf "%-10s %-9d %7d %9.2f %10.1f %8.0f %8.0f %8.0f %8.2f %8d\n", "${delay}ms", $inflight, $done,
			$secs, $done / $secs, $d->{postgres} // 0, $d->{rabbitmq} // 0, $d->{drain} // 0,
			($c1 - $c0) / ($done || 1), $hwm;
		warn "only $done of $n completed\n" if $done != $n;
	}
}
