#!/usr/bin/env perl
# GET /api/metrics (issue 13.5): the Prometheus text format; counters that
# move with the requests made and add up across the pool's processes
# (shared memory, not one process's guess); a cumulative latency histogram
# whose _count is the request counter; orders by status as the database
# has them; the workers' in-flight and settled orders; cache hits and
# misses; loopback only through nginx (403 in JSON otherwise). Then the
# modes without a pre-fork parent: CGI processes add up through a file
# under BAKERY_METRICS_DIR, and without one each counts only itself.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use BakeryTest;

my $repo = "$FindBin::Bin/..";

# name{labels} => value, from the text format; dies on a line that is
# neither a comment nor a sample.
sub parse_metrics {
	my ($text) = @_;
	my (%m, @bad);
	for my $line (split /\n/, $text) {
		next if $line =~ /^# (?:HELP|TYPE) \w+ /;
		if ($line =~ /^(\w+(?:\{.*\})?) (-?[\d.e+-]+|\+Inf)$/) {
			$m{$1} = $2;
		} else {
			push @bad, $line;
		}
	}
	return (\%m, \@bad);
}

sub scrape {
	my $r = http(GET => '/api/metrics');
	my ($m) = parse_metrics($r->{body} // '');
	return $m;
}

sub sum_matching {
	my ($m, $re) = @_;
	my $n = 0;
	$n += $m->{$_} for grep { $_ =~ $re } keys %$m;
	return $n;
}

sub delta { my ($a, $b, $k) = @_; return ($b->{$k} // 0) - ($a->{$k} // 0); }

# --- the format ----------------------------------------------------------
my $r = http(GET => '/api/metrics');
is($r->{status}, 200, 'GET /api/metrics from loopback: 200');
like($r->{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4\b}, 'Prometheus text format 0.0.4');
my ($m0, $bad) = parse_metrics($r->{body});
is_deeply($bad, [], 'every line is a comment or a sample');
is($m0->{'bakery_metrics_scope{scope="pool"}'}, 1, 'the counters are the pool\'s shared ones');
is($m0->{'bakery_up{service="postgres"}'}, 1, 'PostgreSQL answered');
is($m0->{'bakery_up{service="rabbitmq"}'}, 1, 'RabbitMQ answered');
ok(defined $m0->{'bakery_queue_messages{queue="orders"}'}, 'order queue depth');
ok(defined $m0->{'bakery_queue_messages{queue="dead"}'}, 'dead-letter count');
ok(($m0->{'bakery_queue_consumers{queue="orders"}'} // 0) >= 1, 'a worker consumes');
ok(($m0->{'bakery_worker_processes'} // 0) >= 1, 'the worker\'s counters file is read');

# --- counters move, and add up across processes --------------------------
my $id = (sql('SELECT id FROM products WHERE active ORDER BY id LIMIT 1'))[0][0];
my $route = 'method="GET",route="/api/products/{id}"';
my ($clients, $each) = (8, 40);
my $before = scrape();
my @pids;
for (1 .. $clients) {
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		my $ua = HTTP::Tiny->new(timeout => 20, keep_alive => 1);
		my $ok = 0;
		$ua->get(base_url() . "/api/products/$id")->{status} == 200 && $ok++ for 1 .. $each;
		exit($ok == $each ? 0 : 1);
	}
	push @pids, $pid;
}
my $failed = 0;
waitpid($_, 0) == $_ && $? != 0 && $failed++ for @pids;
is($failed, 0, "$clients clients made $each requests each, all 200");
my $after = scrape();
my $n = $clients * $each;
is(delta($before, $after, "bakery_http_requests_total{$route,status=\"200\"}"), $n,
	"bakery_http_requests_total for GET /api/products/{id} 200 moved by exactly $n");
is(delta($before, $after, "bakery_http_request_duration_seconds_count{$route}"), $n,
	'its histogram _count by the same');

my $pid_re = qr/^bakery_responder_requests_total\{pid="\d+"\}$/;
my @served = grep { $_ =~ $pid_re && delta($before, $after, $_) > 0 } keys %$after;
cmp_ok(scalar @served, '>', 1, 'several responder processes served them (' . scalar(@served) . ')');
my $all_routes = qr/^bakery_http_requests_total\{/;
my $total = sum_matching($after, $all_routes) - sum_matching($before, $all_routes);
my $per_pid = sum_matching($after, qr/^bakery_responder_requests_total\{/) -
	sum_matching($before, qr/^bakery_responder_requests_total\{/);
is($per_pid, $total, "the per-process counts add up to the route counters ($total)");
# The first scrape is counted after it answered; nothing else ran meanwhile.
is($total, $n + 1, 'which are the requests made: the clients\' and one scrape');

# A responder that dies: its successor takes over its slot, and its count
# moves to pid="retired", so the counts still add up to the total.
{
	my ($victim) = map { /pid="(\d+)"/ } grep { $_ =~ $pid_re } sort keys %$after;
	ok(kill('KILL', $victim), "responder $victim killed");
	my $m;
	ok(wait_until(20, sub {
		http(GET => '/api/health') for 1 .. 8;
		$m = scrape();
		!exists $m->{"bakery_responder_requests_total{pid=\"$victim\"}"} &&
			(grep { $_ =~ $pid_re } keys %$m) == (grep { $_ =~ $pid_re } keys %$after);
	}), 'its slot is taken over by its successor');
	is(sum_matching($m, qr/^bakery_responder_requests_total\{/), sum_matching($m, $all_routes),
		'the per-process counts, retired included, still add up to the route counters');
	cmp_ok($m->{'bakery_responder_requests_total{pid="retired"}'} // 0, '>', 0, 'the dead one\'s count is retired');
}

# --- the histogram -------------------------------------------------------
my %routes = map { /^bakery_http_request_duration_seconds_count\{(.*)\}$/ ? ($1 => 1) : () } keys %$after;
ok(scalar(keys %routes) >= 2, 'histograms for the routes used');
for my $labels (sort keys %routes) {
	my @le = sort { ($a eq '+Inf' ? 9e9 : $a) <=> ($b eq '+Inf' ? 9e9 : $b) }
		map { /^bakery_http_request_duration_seconds_bucket\{\Q$labels\E,le="([^"]+)"\}$/ ? $1 : () } keys %$after;
	my @counts = map { $after->{"bakery_http_request_duration_seconds_bucket{$labels,le=\"$_\"}"} } @le;
	my $cumulative = !grep { $counts[$_] < $counts[$_ - 1] } 1 .. $#counts;
	ok($cumulative && $le[-1] eq '+Inf', "{$labels}: buckets cumulative up to +Inf");
	is($counts[-1], $after->{"bakery_http_request_duration_seconds_count{$labels}"}, "{$labels}: +Inf is _count");
	is($after->{"bakery_http_request_duration_seconds_count{$labels}"},
		sum_matching($after, qr/^bakery_http_requests_total\{\Q$labels\E,status=/),
		"{$labels}: _count is the request counter over its statuses");
}

# --- cache hits and misses ------------------------------------------------
$before = scrape();
http(GET => '/api/products') for 1 .. 5;
$after = scrape();
my $hits = delta($before, $after, 'bakery_cache_requests_total{result="hit"}');
my $misses = delta($before, $after, 'bakery_cache_requests_total{result="miss"}');
is($hits + $misses, 5, "five listings: $hits hits, $misses misses");
cmp_ok($hits, '>=', 4, 'the repeats come from Redis');

# --- orders, and the workers ---------------------------------------------
$before = scrape();
my @orders;
for my $i (1 .. 6) {
	my $email = $i == 6 ? 'metrics@decline.test' : "metrics$i\@example.com";
	my $o = http(POST => '/api/orders', body => { customer_name => "Metrics $i", customer_email => $email,
		items => [{ product_id => $id + 0, quantity => 1 }] });
	push @orders, $o->{json}{order_id} if $o->{status} == 201;
}
is(scalar @orders, 6, 'six orders placed, one to decline.test');
ok(wait_until(10, sub { (scrape()->{bakery_worker_orders_in_flight} // 0) >= 1 }),
	'bakery_worker_orders_in_flight counts orders in payment');
my $placeholders = join ',', map { '$' . $_ } 1 .. @orders;
ok(wait_until(30, sub { (sql("SELECT count(*) FROM orders WHERE id IN ($placeholders)"
	. " AND status IN ('completed', 'failed')", @orders))[0][0] == 6 }), 'the worker settles them');
ok(wait_until(10, sub { (scrape()->{bakery_worker_orders_in_flight} // -1) == 0 }), 'then none is in flight');
$after = scrape();
is(delta($before, $after, 'bakery_worker_orders_total{status="completed"}'), 5, 'worker: 5 more completed');
is(delta($before, $after, 'bakery_worker_orders_total{status="failed"}'), 1, 'worker: 1 more failed');
my %db = map { $_->[0] => $_->[1] } sql('SELECT status, count(*) FROM orders GROUP BY status');
my %shown = map { /^bakery_orders\{status="(\w+)"\}$/ ? ($1 => $after->{$_}) : () } keys %$after;
ok(scalar(keys %shown) >= 6, 'bakery_orders lists every status');
is_deeply({ map { $_ => $shown{$_} } grep { $shown{$_} } keys %shown }, \%db, 'orders by status match the database');

# --- loopback only ---------------------------------------------------------
# 127.0.0.2 is on the loopback interface but is not 127.0.0.1: nginx denies it.
my $other = HTTP::Tiny->new(timeout => 10, local_address => '127.0.0.2');
$r = $other->get(base_url() . '/api/metrics');
is($r->{status}, 403, 'from another address: 403');
my $err = json_of($r->{content}) || {};
is($err->{code}, 'forbidden', 'in the JSON error shape') or diag $r->{content};
ok(defined $err->{error}, 'with a sentence');
is($other->get(base_url() . '/api/health')->{status}, 200, 'while the rest of the API answers that address');

# BAKERY_METRICS_ALLOW adds addresses in the container render too.
{
	my $tmp = tempdir(CLEANUP => 1);
	my %env = (BAKERY_VAR => $tmp, BAKERY_WWW => "$repo/www", BAKERY_HTTP_LISTEN => '127.0.0.1:1',
		BAKERY_UPSTREAM => '127.0.0.1:2', BAKERY_NGINX_TEMPLATE => "$repo/nginx/bakery.conf.in",
		BAKERY_METRICS_ALLOW => '10.1.0.0/16 fd00::5');
	my $conf = "$tmp/nginx/nginx.conf";
	local @ENV{ keys %env } = values %env;
	system("sh '$repo/docker/nginx-entrypoint.sh' -t -q >'$tmp/out' 2>&1");
	is($?, 0, 'nginx -t passes with BAKERY_METRICS_ALLOW set') or diag `cat '$tmp/out'`;
	like(scalar(`cat '$conf'`), qr/allow 10\.1\.0\.0\/16; allow fd00::5;\s*allow 127\.0\.0\.1;/,
		'its addresses are allowed before loopback');
	local $ENV{BAKERY_METRICS_ALLOW} = '10.0.0.1; deny';
	system("sh '$repo/docker/nginx-entrypoint.sh' -t -q >'$tmp/out' 2>&1");
	isnt($?, 0, 'anything but addresses is refused') or diag `cat '$tmp/out'`;
}

# --- without a pre-fork parent: CGI processes ----------------------------
sub cgi {
	my ($path, %env) = @_;
	local @ENV{ keys %env } = values %env;
	local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
	local $ENV{REQUEST_METHOD} = 'GET';
	local $ENV{PATH_INFO} = $path;
	local $ENV{QUERY_STRING} = '';
	my $out = `"$ENV{BAKERY_BIN}/bakery-api" 2>/dev/null`;
	my (undef, $body) = split /\r\n\r\n/, $out, 2;
	return $body // '';
}
{
	my $dir = tempdir(CLEANUP => 1);
	cgi("/api/products/$id", BAKERY_METRICS_DIR => $dir) for 1 .. 3;
	my ($m) = parse_metrics(cgi('/api/metrics', BAKERY_METRICS_DIR => $dir));
	is($m->{'bakery_metrics_scope{scope="file"}'}, 1, 'CGI with BAKERY_METRICS_DIR: counters in a shared file');
	is($m->{"bakery_http_requests_total{$route,status=\"200\"}"}, 3, 'three CGI processes add up');
	($m) = parse_metrics(cgi('/api/metrics', BAKERY_METRICS_DIR => ''));
	is($m->{'bakery_metrics_scope{scope="process"}'}, 1, 'without it: this process only, and says so');
	ok(!defined $m->{"bakery_http_requests_total{$route,status=\"200\"}"}, 'counting nothing of the others');
}

done_testing;
