#!/usr/bin/env perl
# make bench (SPEC §9): the main endpoints and end-to-end order completion,
# side by side in one run with their ceilings, on a stack of its own
# (bench/lib/Bench.pm: /tmp/bakery-bench, port family 26), which it starts
# fresh and stops at the end (BENCH_KEEP=1 leaves it up, e.g. to profile).
#
#   A  nginx serving the live listing's exact bytes as a static file
#   B  bench/fcgi-static.c: a trivial libfcgi responder answering those bytes
#      from memory, as many processes as bakery-api, behind the same nginx
#   C  pgbench running placement's own SQL (bench/placement.sql)
#
# then GET /api/products (cache hit), GET /api/products/{id},
# GET /api/orders/{id}, POST /api/orders (two items), the seed POST /order,
# and completion: orders placed at full speed until all are final, counted
# from the database, with one worker and with two. The table goes to stdout
# and to docs/performance.md (between its bench-table markers).
#
# Settings (environment): BENCH_DURATION [10s] each run; BENCH_CONNECTIONS
# [64]; BENCH_THREADS [2] wrk threads; BENCH_PGBENCH_CLIENTS [8];
# BENCH_ONLY [all] a regular expression: only the rows it matches (say
# '^C|completion', to profile), and no docs/performance.md unless all ran;
# BENCH_A_PORT / BENCH_B_PORT [HTTP port + 1 / + 2]; BENCH_DOC
# [docs/performance.md, "-" for none]; the stack's BAKERY_* variables.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../t/lib";
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(time sleep);
use Bench;
use BakeryTest;
use WorkerTest;

my $secs = duration_s($ENV{BENCH_DURATION} // '10s');
my $conns = $ENV{BENCH_CONNECTIONS} // 64;
my $threads = $ENV{BENCH_THREADS} // 2;
my $pg_clients = $ENV{BENCH_PGBENCH_CLIENTS} // 8;
my $only = defined $ENV{BENCH_ONLY} ? eval { qr/$ENV{BENCH_ONLY}/ } : undef;
defined $ENV{BENCH_ONLY} && !$only and die "bench: BENCH_ONLY is not a regular expression: $@";
my $repo = repo();
-x "$repo/build/$_" or die "bench: build/$_ is missing (make all build/fcgi-static)\n"
	for qw(bakery-api bakery-worker fcgi-static);

# Room for every placement of a run in the fortnight's pickup slots, so
# that C and each run of the project do the same work from start to end:
# at the default 10 a slot, the first 3,100 or so placements book a slot
# and the rest find none, and a faster run does more of the cheaper kind.
$ENV{BAKERY_SLOT_CAPACITY} //= 1000;
stack_env('bench');
my $V = $ENV{BAKERY_VAR};
my $a_port = $ENV{BENCH_A_PORT} // $ENV{BAKERY_HTTP_PORT} + 1;
my $b_port = $ENV{BENCH_B_PORT} // $ENV{BAKERY_HTTP_PORT} + 2;
my $base = "http://127.0.0.1:$ENV{BAKERY_HTTP_PORT}";
$ENV{BAKERY_URL} = $base;
my $load_before = load_avg();
my ($static_pid, @rows, @cpu_rows, %peak, %ceiling);

stack_up();
# The pool's size as the stack runs it (BAKERY_PROCESSES or its default):
# B runs as many processes.
my %config = api_config();
my $processes = $config{BAKERY_PROCESSES} or die "bench: bakery-api --config did not give BAKERY_PROCESSES\n";
END {
	my $st = $?;
	kill 'TERM', $static_pid if $static_pid;
	stack_down() if $V && !$ENV{BENCH_KEEP};
	$? = $st;
}

my ($pmin, $pmax, $pcount) = @{ (sql(q{SELECT min(id), max(id), count(*) FROM products WHERE active}))[0] };
$pcount == $pmax - $pmin + 1 or die "bench: the active products' ids are not contiguous\n";
my %slot_rules = slot_rules();
sql(q{SET client_min_messages = warning});
sql(q{UPDATE products SET stock = 1000000000});
# A run's orders stay for the runs after it (settle_orders); a bench starts
# with none, so that the table does not grow from one bench to the next.
truncate_tables(q{TRUNCATE orders CASCADE});
stack_service(stop => 'worker') or die "bench: cannot stop the stack's worker\n";
my $listing = listing_bytes();
start_ceilings($listing);

row('A: nginx, static file of the listing', sub { wrk(url => "http://127.0.0.1:$a_port/listing.json") });
row('B: libfcgi responder, bytes from memory', sub { wrk(url => "http://127.0.0.1:$b_port/api/products") });
row('C: pgbench, placement SQL', \&pgbench);
row('GET /api/products (cache hit)', sub { wrk(url => "$base/api/products") }, 'B', 0.8);
row('GET /api/products/{id}', sub { wrk(url => "$base/api/products/$pmin") }, 'B', 0.6);
row('GET /api/orders/{id} (with its token)', \&order_reads, 'B', 0.6);
row('POST /api/orders (2 items)', sub { settle_orders(); free_slots(); wrk(url => $base, script => 'wrk-orders.lua',
	env => { BENCH_SHAPE => 'full' }) }, 'C', 0.6, 25);
row('POST /order (seed shape)', sub { settle_orders(); free_slots(); wrk(url => $base, script => 'wrk-orders.lua',
	env => { BENCH_SHAPE => 'seed' }) });
note_peak('responder', stack_pids(qr{/bakery-api$}));
row('completion, 1 worker', sub { completion(1) });
row('completion, 2 workers', sub { completion(2) }, 'C', 0.5);
report();

# GET /api/orders/{id} of one order placed for it, with its token.
sub order_reads {
	my $order = http(POST => '/api/orders', body => { customer_name => 'Bench Reader',
		customer_email => 'reader@example.com', items => [ { product_id => $pmin + 0, quantity => 1 } ] });
	$order->{status} == 201 or die "bench: could not place the order to read\n";
	return wrk(url => "$base/api/orders/$order->{json}{order_id}", env => { BENCH_TOKEN => $order->{json}{token} });
}

# GET /api/products twice: the second answer is a cache hit; its bytes.
sub listing_bytes {
	http(GET => '/api/products');
	my $r = http(GET => '/api/products');
	$r->{status} == 200 && ($r->{headers}{'x-cache'} // '') eq 'HIT'
		or die "bench: GET /api/products is not a cache hit\n";
	return $r->{body};
}

# A and B: two server blocks in the stack's own nginx (its settings, its
# one process), and fcgi-static with the pool's process count.
sub start_ceilings {
	my ($bytes) = @_;
	my $dir = "$V/bench";
	mkdir $_, 0755 for $dir, "$dir/www";
	chmod 0755, $dir, "$dir/www";
	write_file("$dir/www/listing.json", $bytes);
	write_file("$dir/ceilings.conf", <<EOF);
# make bench's ceilings A and B (bench/bench.pl), in the stack's nginx.
server {
    listen 127.0.0.1:$a_port;
    root $dir/www;
    location / {
        default_type application/json;
        add_header Cache-Control no-cache always;
        add_header X-Content-Type-Options nosniff always;
    }
}
server {
    listen 127.0.0.1:$b_port;
    location / {
        include /etc/nginx/fastcgi_params;
        fastcgi_param PATH_INFO \$uri;
        fastcgi_keep_conn off;
        fastcgi_pass unix:$dir/static.sock;
    }
}
EOF
	my $conf = "$V/nginx/nginx.conf";
	my $text = read_file($conf);
	$text =~ s/\}\s*\z/    include $dir\/ceilings.conf;\n}\n/ or die "bench: unexpected $conf\n";
	write_file($conf, $text);
	supervisorctl('restart', 'nginx');
	$static_pid = fork // die "fork: $!";
	if (!$static_pid) {
		POSIX::setsid();
		exec("$repo/build/fcgi-static", "$dir/static.sock", "$dir/www/listing.json",
			$processes) or POSIX::_exit(127);
	}
	wait_until(20, sub { my $r = HTTP::Tiny->new->get("http://127.0.0.1:$b_port/");
		$r->{status} == 200 && $r->{content} eq $bytes })
		or die "bench: ceiling B does not answer the listing's bytes\n";
	HTTP::Tiny->new->get("http://127.0.0.1:$a_port/listing.json")->{content} eq $bytes
		or die "bench: ceiling A does not answer the listing's bytes\n";
}

# The bench's own processes whose CPU is counted.
sub snap { return $static_pid ? ('fcgi-static' => $static_pid) : () }

sub wrk {
	my (%o) = @_;
	my $before = cpu_snapshot(snap());
	my $r = wrk_run(seconds => $secs, connections => $conns, threads => $threads,
		script => 'wrk-get.lua', %o, env => { BENCH_PMIN => $pmin, BENCH_PMAX => $pmax,
			%{ $o{env} || {} } });
	$r->{cpu} = cpu_delta($before, cpu_snapshot(snap()), $r->{requests});
	return $r;
}

# pgbench -M prepared, one placement per transaction script; the latency
# percentiles from its per-transaction log.
sub pgbench {
	free_slots();
	my $prefix = "$V/bench/pgbench";
	unlink glob "$prefix.*";
	my @cmd = ('pgbench', '-n', '-M', 'prepared', '-c', $pg_clients, '-j', $threads, '-T', $secs,
		'-f', "$repo/bench/placement.sql", '-D', "pmin=$pmin", '-D', "pmax=$pmax",
		map({ ('-D', "$_=$slot_rules{$_}") } sort keys %slot_rules),
		'-l', "--log-prefix=$prefix", $ENV{DATABASE_URL});
	my $before = cpu_snapshot(snap());
	open(my $fh, '-|', @cmd) or die "pgbench: $!";
	my $out = do { local $/; <$fh> } // '';
	close $fh;
	my ($tps) = $out =~ /tps = ([\d.]+) \(without initial connection time\)/;
	my ($failed) = $out =~ /number of failed transactions: (\d+)/;
	defined $tps or warn "bench: pgbench gave no figures:\n$out";
	my @lat;
	for my $f (glob "$prefix.*") {
		open(my $l, '<', $f) or next;
		while (<$l>) { my @c = split; push @lat, $c[2] if @c > 2 }
	}
	@lat = sort { $a <=> $b } @lat;
	return { cpu => cpu_delta($before, cpu_snapshot(snap()), scalar @lat), rps => $tps // 0, requests => scalar @lat, errors => ($failed // 0) + ($? ? 1 : 0),
		p50_ms => pct(\@lat, 50) / 1000, p99_ms => pct(\@lat, 99) / 1000 };
}

# bakery-api's configuration as it reports it (--config): name -> value.
sub api_config {
	my %c;
	open(my $fh, '-|', "$repo/build/bakery-api", '--config') or die "bench: bakery-api --config: $!\n";
	while (<$fh>) {
		$c{$1} = $2 if /^(\w+)\s+(\S+)/;
	}
	close $fh;
	return %c;
}

# The rules the responders book slots by (placement.sql's variables): the
# configuration bakery-api reports, and the default branch's id.
sub slot_rules {
	my %name = (BAKERY_TZ => 'tz', BAKERY_SLOT_MINUTES => 'mins', BAKERY_SLOT_CAPACITY => 'cap',
		BAKERY_LEAD_MINUTES => 'lead', BAKERY_BOOK_DAYS => 'days');
	my %r = (branch => (sql(q{SELECT bakery_default_branch()}))[0][0]);
	$r{ $name{$_} } = $config{$_} for grep { defined $config{$_} } keys %name;
	keys %r == 6 or die "bench: bakery-api --config did not give the slot rules\n";
	return %r;
}

# Every placement run starts with the fortnight's pickup slots free and no
# day noted full, so that each books the same slots (capacity 10 each: a
# run fills them, and the rest of its orders are placed without one, as
# placement does).
# Empties the pickup slots and the notes of full days. A placement of the
# run before may still be finishing: the days' notes are locked first, as a
# placement's walk reads them first.
sub free_slots { truncate_tables(q{TRUNCATE slot_full_days, slot_bookings}) }

# Before a run that places orders: the orders of the runs before stay, as a
# bakery's history does, so that PostgreSQL plans the run's statements with
# the statistics of a table in use. After a TRUNCATE, every connection
# planned them for an empty table at the run's start and kept those plans
# for the whole run (generic plans of prepared statements, made again only
# when the statistics change, and autovacuum takes them once a minute):
# the worker's batch read orders by a sequential scan for each item
# (docs/performance.md, item 27). Those left pending by the placement runs,
# which ran without a worker, are cancelled, with their history. Answers
# the highest order id so far.
sub settle_orders {
	sql(q{WITH c AS (UPDATE orders SET status = 'cancelled', updated_at = now()
		WHERE status = 'pending' RETURNING id)
		INSERT INTO order_history (order_id, from_status, to_status, reason)
		SELECT id, 'pending', 'cancelled', 'make bench: left by a placement run' FROM c});
	sql(q{VACUUM ANALYZE orders, order_items, order_history});
	return (sql(q{SELECT coalesce(max(id), 0) FROM orders}))[0][0];
}

# Runs a TRUNCATE statement, again after a deadlock with a placement of the
# run before that is still finishing (at most five tries).
sub truncate_tables {
	my ($statement) = @_;
	for my $try (1 .. 5) {
		return if eval { sql($statement); 1 };
		die $@ unless $@ =~ /deadlock detected/ && $try < 5;
		select(undef, undef, undef, 0.2);
	}
}

sub pct {
	my ($sorted, $p) = @_;
	return 0 unless @$sorted;
	return $sorted->[ int($#$sorted * $p / 100 + 0.5) ];
}

# Orders placed at full speed for the run's duration with N workers
# running, until every one is final: completed orders per second from the
# first order's creation to the last one's settling, from the database.
sub completion {
	my ($n) = @_;
	rabbitmqctl('purge_queue', '-p', 'bakery', 'bakery.orders');
	my $first = settle_orders() + 1;
	free_slots();
	stack_service(start => 'worker') or die "bench: cannot start the stack's worker\n";
	my @extra = map { start_worker(name => "worker-bench$_") } 2 .. $n;
	my $before = cpu_snapshot(snap());
	my $w = wrk(url => $base, script => 'wrk-orders.lua', env => { BENCH_SHAPE => 'full' });
	wait_until(600, sub { !(sql(q{SELECT 1 FROM orders WHERE status IN ('pending', 'processing') LIMIT 1}))[0] })
		or warn "bench: orders still not final after 600 s\n";
	my ($done, $all, $span) = @{ (sql(q{SELECT count(*) FILTER (WHERE status = 'completed'), count(*),
		extract(epoch FROM max(updated_at) - min(created_at)) FROM orders WHERE id >= $1}, $first))[0] };
	my $cpu = cpu_delta($before, cpu_snapshot(snap()), $done);
	note_peak('worker', stack_pids(qr{/bakery-worker$}));
	stop_worker($_) for @extra;
	stack_service(stop => 'worker');
	return { rps => $span > 0 ? $done / $span : 0, requests => $done, p50_ms => $w->{p50_ms},
		p99_ms => $w->{p99_ms}, errors => $w->{errors} + ($all - $done), cpu => $cpu };
}

sub note_peak {
	my ($what, @pids) = @_;
	for (@pids) {
		my ($kb, $anon) = (vm_kb($_, 'VmHWM'), vm_kb($_, 'RssAnon'));
		$peak{$what} = $kb if $kb > ($peak{$what} // 0);
		$peak{"$what-anon"} = $anon if $anon > ($peak{"$what-anon"} // 0);
	}
}

# One line of the table: runs MEASURE (unless BENCH_ONLY leaves WHAT out);
# ratio to ceiling CEIL (A, B or C), target ratio and p99 target (ms) when
# there are some.
sub row {
	my ($what, $measure, $ceil, $target, $p99_target) = @_;
	return if defined $only && $what !~ $only;
	my $r = $measure->();
	$ceiling{ substr($what, 0, 1) } = $r->{rps} if $what =~ /^[ABC]:/;
	my ($ratio, $base_of) = ('—', $ceil);
	$base_of //= $what =~ /^POST|completion/ ? 'C' : $what =~ /^GET/ ? 'B' : undef;
	$ratio = sprintf('%.2f×%s', $r->{rps} / $ceiling{$base_of}, $base_of)
		if $base_of && $ceiling{$base_of};
	my $met = '';
	if ($target) {
		my $ok = $ceiling{$ceil} && $r->{rps} >= $target * $ceiling{$ceil}
			&& (!$p99_target || $r->{p99_ms} < $p99_target);
		$met = sprintf('≥ %.1f×%s%s: %s', $target, $ceil, $p99_target ? ", p99 < $p99_target ms" : '',
			$ok ? 'met' : 'NOT met');
	}
	push @cpu_rows, [ $what, $r->{cpu} || {} ];
	push @rows, [ $what, sprintf('%.0f', $r->{rps}), sprintf('%.1f', $r->{p50_ms}),
		sprintf('%.1f', $r->{p99_ms}), $r->{errors}, $ratio, $met ];
	printf "bench: %-42s %8s req/s  p50 %6s ms  p99 %6s ms  errors %s  %s %s\n", @{ $rows[-1] };
}

sub report {
	my $date = POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime);
	my $errors = 0;
	$errors += $_->[4] for @rows;
	my $rss = sprintf('Peak RSS (VmHWM): responder %.1f MB, worker %.1f MB (target: every process < 10 MB: %s); '
		. 'of it anonymous (private) memory at the end (RssAnon): responder %.1f MB, worker %.1f MB, '
		. 'the rest shared library pages (libpq, libcrypto, GnuTLS, Kerberos ...), shared by all processes.',
		($peak{responder} // 0) / 1024, ($peak{worker} // 0) / 1024,
		(($peak{responder} // 0) < 10240 && ($peak{worker} // 0) < 10240) ? 'met' : 'NOT met',
		($peak{'responder-anon'} // 0) / 1024, ($peak{'worker-anon'} // 0) / 1024);
	my $table = join('', "| what | req/s | p50 ms | p99 ms | errors | ratio | target |\n",
		"|---|---:|---:|---:|---:|---:|---|\n", map { '| ' . join(' | ', @$_) . " |\n" } @rows);
	my $text = <<EOF;
Measured $date by `make bench` (BENCH_DURATION=${secs}s, $conns connections, wrk $threads threads,
pgbench $pg_clients clients, BAKERY_PROCESSES=$processes, payment time 0) on
@{[ machine() ]}. Load average before: $load_before, after: @{[ load_avg() ]}.

$table
Errors in total: $errors (answers of 400 and above, socket errors, and for completion orders that did not complete).
$rss
EOF
	$text .= cpu_table();
	print "\n$text";
	my $doc = $ENV{BENCH_DOC} // "$repo/docs/performance.md";
	return if $doc eq '-' || defined $only;
	my $old = -e $doc ? read_file($doc) : "# Performance\n\n<!-- bench-table -->\n<!-- /bench-table -->\n";
	$old =~ s/(<!-- bench-table -->\n).*?(<!-- \/bench-table -->)/$1\n$text\n$2/s
		or die "bench: $doc has no <!-- bench-table --> ... <!-- /bench-table --> lines\n";
	write_file($doc, $old);
	say_bench("table written to $doc");
}

# Where the CPU went: microseconds of CPU per request (per completed order
# for completion) of each program, from /proc (Bench::cpu_snapshot).
sub cpu_table {
	my @progs = qw(nginx bakery-api fcgi-static postgres redis rabbitmq bakery-worker client);
	my $t = "\nCPU per request, in microseconds (user + system, from /proc; the machine's other load is not in it;\n"
		. "client is wrk or pgbench):\n\n"
		. '| what | ' . join(' | ', @progs, 'total') . " |\n|---|" . ('---:|' x (@progs + 1)) . "\n";
	for my $r (@cpu_rows) {
		my ($what, $cpu) = @$r;
		my $sum = 0;
		$sum += $_ for values %$cpu;
		$t .= "| $what | " . join(' | ', map { $cpu->{$_} ? sprintf('%.0f', $cpu->{$_}) : '' } @progs)
			. sprintf(" | %.0f |\n", $sum);
	}
	return $t;
}

sub read_file {
	my ($f) = @_;
	open(my $fh, '<:raw', $f) or die "bench: $f: $!\n";
	local $/;
	return <$fh>;
}

sub write_file {
	my ($f, $text) = @_;
	open(my $fh, '>:raw', "$f.tmp") or die "bench: $f.tmp: $!\n";
	print $fh $text;
	close $fh or die "bench: $f.tmp: $!\n";
	chmod 0644, "$f.tmp";
	rename "$f.tmp", $f or die "bench: $f: $!\n";
}
