#!/usr/bin/env perl
# nginx headers, limits and timeouts (issue 10, point 9), through nginx:
# X-Content-Type-Options: nosniff on every API answer (the app's, nginx's
# own errors, the seed paths) as on the storefront; bodies above the API's
# 64 KiB refused by nginx itself, in the API's JSON shape; a client that
# stalls on its headers or body cut off after about 10 s; explicit FastCGI
# timeouts in the rendered configuration.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use BakeryTest;
use HardenTest;

sub nosniff_once {
	my ($res, $name) = @_;
	is($res->{headers}{'x-content-type-options'} // '', 'nosniff', "$name ($res->{status}): X-Content-Type-Options: nosniff, once");
}

my $J = { 'Content-Type' => 'application/json' };
nosniff_once(http(GET => '/api/products'), 'GET /api/products');
nosniff_once(http(GET => '/api/products/1'), 'GET /api/products/1');
nosniff_once(http(GET => '/api/health'), 'GET /api/health');
nosniff_once(http(GET => '/api/orders/999999999'), 'GET unknown order (the app\'s 404)');
nosniff_once(http(POST => '/api/orders', headers => $J, raw => '{}'), 'POST /api/orders invalid (the app\'s 400)');
nosniff_once(http(DELETE => '/api/products'), 'DELETE /api/products (the app\'s 405)');
nosniff_once(http(GET => '/products'), 'seed GET /products');
nosniff_once(http(GET => '/order/999999999'), 'seed GET /order/{id}');
nosniff_once(http(POST => '/order', headers => $J, raw => '{}'), 'seed POST /order');
nosniff_once(http(GET => '/api'), 'GET /api (nginx\'s 404)');
nosniff_once(http(GET => '/'), 'the storefront');

# --- client_max_body_size: the API's 64 KiB ---------------------------------------
my $limit = 64 * 1024;
my $r = http(POST => '/api/orders', headers => $J, raw => 'x' x $limit);
is($r->{status}, 400, 'a body of exactly 64 KiB reaches the app (which finds it is not JSON)');
is($r->{json}{code} // '', 'malformed_json', '  malformed_json');
json_error_ok(http(POST => '/api/orders', headers => $J, raw => 'x' x ($limit + 1)), 413, 'body_too_large',
	'a body of 64 KiB + 1');
# The app answers an unknown path 404 whatever the body: a 413 there is nginx's.
$r = http(POST => '/api/nothing-here', headers => $J, raw => 'x' x ($limit + 1));
json_error_ok($r, 413, 'body_too_large', 'nginx itself refuses 64 KiB + 1 (on a path the app would answer 404)');
$r = raw_http("POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	. "Content-Length: 10000000\r\nConnection: close\r\n\r\n");
json_error_ok($r, 413, 'body_too_large', 'a declared 10 MB body, refused before it is sent');

# --- FastCGI timeouts: explicit -----------------------------------------------------
my $conf = do { local (@ARGV, $/) = "$ENV{BAKERY_VAR}/nginx/nginx.conf"; <> } // '';
for my $d (qw(fastcgi_connect_timeout fastcgi_send_timeout fastcgi_read_timeout client_header_timeout client_body_timeout)) {
	like($conf, qr/^\s*$d\s+\d+s;/m, "the rendered nginx.conf sets $d");
}

# --- client_header_timeout and client_body_timeout: ~10 s -------------------------
# Two clients that stall at once; nginx's default for both is 60 s.
my $t0 = time;
my $stalled_head = raw_connect();
print {$stalled_head} "GET /api/products HTTP/1.1\r\nHost: x\r\n";    # headers never end
my $stalled_body = raw_connect();
print {$stalled_body} "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{";
my $head = raw_read($stalled_head, 30);
my $after = time - $t0;
ok($head->{closed}, sprintf('a client that never ends its headers is cut off (after %.1f s)', $after));
cmp_ok($after, '<', 20, '  within about 10 s (nginx default: 60 s)');
my $body = raw_read($stalled_body, 30);
$after = time - $t0;
ok($body->{closed}, sprintf('a client that never sends its body is cut off (after %.1f s)', $after));
cmp_ok($after, '<', 20, '  within about 10 s (nginx default: 60 s)');

done_testing;
