#!/usr/bin/env perl
# GET /api/health through nginx reports each backing service, the worker and
# the queue; without its services (classic CGI mode) it says "down".
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;

sub is_count { defined $_[0] && !ref $_[0] && $_[0] =~ /^\d+$/ }

# The stack's worker may still be connecting when the tests begin.
my $r;
ok(wait_until(30, sub { $r = http(GET => '/api/health'); ($r->{json}{status} // '') eq 'ok' }),
	'health is ok on a healthy stack');
is($r->{status}, 200, 'health answers 200 with every service up');
like($r->{headers}{'content-type'}, qr{^application/json}, 'health is JSON');
my %checks = %{ $r->{json}{checks} // {} };
my $queue = delete $checks{queue};
is_deeply(\%checks, { postgres => 'ok', redis => 'ok', rabbitmq => 'ok', worker => 'ok' },
	'all three services ok, and a worker consumes the order queue');
is_deeply([ sort keys %{ $queue // {} } ], [ 'oldest_s', 'waiting' ], 'queue has waiting and oldest_s');
ok(is_count($queue->{waiting}), 'queue.waiting is a count');
ok(is_count($queue->{oldest_s}), 'queue.oldest_s is whole seconds');
cmp_ok($queue->{oldest_s} // 0, '<=', $ENV{BAKERY_BACKLOG_WARN_S} // 60, 'no old backlog');

# --- no backing service: classic CGI mode against closed ports ----------------
{
	local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
	local $ENV{REQUEST_METHOD} = 'GET';
	local $ENV{PATH_INFO} = '/api/health';
	local $ENV{QUERY_STRING} = '';
	local $ENV{DATABASE_URL} = 'postgresql://bakery@127.0.0.1:1/bakery';
	local $ENV{REDIS_URL} = 'redis://127.0.0.1:1/0';
	local $ENV{AMQP_URL} = 'amqp://bakery:bakery@127.0.0.1:1/bakery';
	local $ENV{BAKERY_CONNECT_TIMEOUT_MS} = '500';
	# Its log goes where make test looks for sanitizer reports.
	my $out = `$ENV{BAKERY_BIN}/bakery-api 2>>$ENV{BAKERY_VAR}/log/health-cgi.log`;
	is($? >> 8, 0, 'CGI run exits 0');
	like($out, qr/^Status: 503 /, 'nothing answers: 503');
	my (undef, $body) = split /\r\n\r\n/, $out, 2;
	is_deeply(json_of($body), { status => 'down', checks => { postgres => 'down', redis => 'down',
		rabbitmq => 'down', worker => 'unknown', queue => undef } },
		'down, worker unknown without a broker, queue null without PostgreSQL');
}

$r = http(POST => '/api/health', body => {});
is($r->{status}, 405, 'POST /api/health is 405');
is($r->{headers}{allow}, 'GET, HEAD', 'with Allow: GET, HEAD');
is($r->{json}{code}, 'method_not_allowed', 'error body has the machine code');

$r = http(GET => '/api/no-such-thing');
is($r->{status}, 404, 'unknown /api path is 404');
ok($r->{json} && $r->{json}{error} && $r->{json}{code} eq 'not_found', 'as a JSON error');

$r = http(GET => '/');
is($r->{status}, 200, 'nginx serves the storefront page at /');
like($r->{headers}{'content-type'}, qr{^text/html}, 'as HTML');
like($r->{headers}{'content-security-policy'} // '', qr/default-src 'self'/, 'with a CSP');

done_testing;
