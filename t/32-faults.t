#!/usr/bin/env perl
# The responder with a backing service gone (SPEC §5, §7.2): Redis down
# costs nothing but the cache, RabbitMQ down still accepts orders (left for
# the relay), PostgreSQL restarted is reconnected to, PostgreSQL down is a
# clear 503. Services are stopped and started with scripts/stack.sh.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes ();
use BakeryTest;

my $stack = "$FindBin::Bin/../scripts/stack.sh";
sub service { my ($verb, $svc) = @_; system("$stack $verb $svc >/dev/null") == 0 or BAIL_OUT("stack.sh $verb $svc failed") }
my %running;
END { for my $svc (grep { !$running{$_} } qw(redis rabbitmq postgres)) { system("$stack start $svc >/dev/null 2>&1") } }
$running{$_} = 1 for qw(redis rabbitmq postgres);

my ($pid) = map { $_->[0] } sql(q{INSERT INTO products (name, description, category, price_cents, stock)
	VALUES ('Fault Cake ' || gen_random_uuid(), 'for t/32', 'test', 100, 1000) RETURNING id});
my %order = (customer_name => 'Faye', customer_email => 'faye@example.com', items => [ { product_id => $pid + 0, quantity => 1 } ]);
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'DEL', 'bakery:products:v1') == 0 or BAIL_OUT('redis-cli');
# Stock may move while the worker finishes earlier orders: compare products.
sub names { join ',', map { "$_->{id}:$_->{name}" } @{ $_[0] || [] } }
my $listing = names(http(GET => '/api/products')->{json});

# --- Redis down -------------------------------------------------------------
service(stop => 'redis'); $running{redis} = 0;
my $r = http(GET => '/api/products');
is($r->{status}, 200, 'Redis down: listing still answers 200');
is($r->{headers}{'x-cache'}, 'MISS', 'from PostgreSQL');
is(names($r->{json}), $listing, 'with the same products');
my @times;
for (1 .. 20) {
	my $t0 = Time::HiRes::time();
	my $x = http(GET => '/api/products');
	push @times, Time::HiRes::time() - $t0;
	fail('listing failed while Redis is down') if $x->{status} != 200;
}
@times = sort { $a <=> $b } @times;
cmp_ok($times[-2], '<', 1.0, 'no request waits on the dead cache (second slowest of 20 under 1 s)');
my $h = http(GET => '/api/health');
is($h->{status}, 200, 'health is 200 while orders can be taken');
is($h->{json}{status}, 'degraded', 'status degraded');
is($h->{json}{checks}{redis}, 'down', 'redis reported down');
is(http(POST => '/api/orders', body => \%order)->{status}, 201, 'orders still accepted');
service(start => 'redis'); $running{redis} = 1;
ok(wait_until(15, sub { http(GET => '/api/products')->{headers}{'x-cache'} eq 'HIT' }), 'Redis back: listing cached again');
ok(wait_until(10, sub { http(GET => '/api/health')->{json}{checks}{redis} eq 'ok' }), 'health sees Redis again');

# --- RabbitMQ down ----------------------------------------------------------
service(stop => 'rabbitmq'); $running{rabbitmq} = 0;
my $o = http(POST => '/api/orders', body => \%order);
is($o->{status}, 201, 'RabbitMQ down: order still accepted with 201');
my ($st) = sql(q{SELECT status, queued FROM orders WHERE id = $1}, $o->{json}{order_id});
is_deeply($st, [ 'pending', 'f' ], 'stored pending and marked not yet queued');
$h = http(GET => '/api/health');
is($h->{status}, 200, 'health still 200');
is($h->{json}{checks}{rabbitmq}, 'down', 'rabbitmq reported down');
service(start => 'rabbitmq'); $running{rabbitmq} = 1;
ok(wait_until(30, sub { http(GET => '/api/health')->{json}{checks}{rabbitmq} eq 'ok' }), 'RabbitMQ back: health sees it');
my $o2 = http(POST => '/api/orders', body => \%order);
is($o2->{status}, 201, 'orders accepted after the broker restart');
ok(wait_until(10, sub { (sql(q{SELECT queued FROM orders WHERE id = $1}, $o2->{json}{order_id}))[0][0] eq 't' }),
	'and published again (queued) on a fresh connection');

# --- PostgreSQL restarted -----------------------------------------------------
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'DEL', 'bakery:products:v1');
service(stop => 'postgres'); $running{postgres} = 0;
$r = http(GET => '/api/products');
is($r->{status}, 503, 'PostgreSQL down, nothing cached: listing is 503');
is($r->{json}{code}, 'service_unavailable', 'as a JSON error');
my $p = http(POST => '/api/orders', body => \%order);
is($p->{status}, 503, 'orders refused with 503 while the database is down');
$h = http(GET => '/api/health');
is($h->{status}, 503, 'health 503');
is($h->{json}{status}, 'down', 'status down');
service(start => 'postgres'); $running{postgres} = 1;
ok(wait_until(15, sub { http(GET => '/api/products')->{status} == 200 }), 'PostgreSQL back: listing answers');
my $ok = 0;
$ok += http(POST => '/api/orders', body => \%order)->{status} == 201 for 1 .. 8;
is($ok, 8, 'every process reconnected: 8 orders in a row accepted');

done_testing;
