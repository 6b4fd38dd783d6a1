#!/usr/bin/env perl
# nginx's own error answers are the API's JSON error shape, not HTML pages
# (issue 10, point 5): each one that can be provoked through nginx. 429 is
# t/64's; 500 and 504 cannot be provoked from outside (they would need a
# broken configuration or a responder hanging for fastcgi_read_timeout).
# The api program is stopped for 502/503 and started again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use HardenTest;

my $stack = "$FindBin::Bin/../scripts/stack.sh";
my $api_stopped = 0;
END { system("$stack start api >/dev/null 2>&1") if $api_stopped }

sub no_html {
	my ($res, $name) = @_;
	unlike($res->{body} // '', qr/<html|<center>/i, "$name: no HTML page");
	is($res->{headers}{'cache-control'} // '', 'no-store', "$name: Cache-Control: no-store");
}

# --- 400: refused before any location is chosen -----------------------------
my $r = raw_http("GET /api/products HTTP/1.1 trailing\r\nHost: x\r\n\r\n");
json_error_ok($r, 400, 'bad_request', 'a malformed request line');
no_html($r, '400');
$r = raw_http("GET /api/products HTTP/1.1\r\nHost: x\r\nX-Big: " . ('a' x 10000) . "\r\n\r\n");
json_error_ok($r, 400, 'bad_request', 'a request header over 8 KiB (494, sent as 400)');
$r = raw_http("GET /api/products HTTP/1.1\r\n\r\n");
json_error_ok($r, 400, 'bad_request', 'HTTP/1.1 without Host');

# --- 404: /api itself is not the app's --------------------------------------
$r = http(GET => '/api');
json_error_ok($r, 404, 'not_found', 'GET /api');
no_html($r, '404');
$r = http(GET => '/nope.html');
is($r->{status}, 404, 'the storefront keeps its own 404 page');

# --- 405: TRACE is refused by nginx -------------------------------------------
$r = http(TRACE => '/api/products');
json_error_ok($r, 405, 'method_not_allowed', 'TRACE /api/products');
no_html($r, '405');

# --- 413 ----------------------------------------------------------------------
$r = http(POST => '/api/orders', headers => { 'Content-Type' => 'application/json' }, raw => 'x' x (2 * 1024 * 1024));
json_error_ok($r, 413, 'body_too_large', 'a 2 MiB body');
no_html($r, '413');

# --- 414 ----------------------------------------------------------------------
$r = http(GET => '/api/products?category=' . ('x' x 20000));
json_error_ok($r, 414, 'uri_too_long', 'a 20 KB URI');
no_html($r, '414');

# --- 502/503: the responders gone ---------------------------------------------
system("$stack stop api >/dev/null") == 0 or BAIL_OUT('stack.sh stop api failed');
$api_stopped = 1;
for my $req ([ GET => '/api/products' ], [ POST => '/api/orders' ], [ GET => '/order/1' ], [ GET => '/api/health' ]) {
	$r = http(@$req, headers => { 'Content-Type' => 'application/json' }, $req->[0] eq 'POST' ? (raw => '{}') : ());
	json_error_ok($r, 503, 'service_unavailable', "api stopped: @$req");
	ok(($r->{headers}{'retry-after'} // '') =~ /^\d+$/, "  with Retry-After ($r->{headers}{'retry-after'})");
}
no_html($r, '503');
system("$stack start api >/dev/null") == 0 or BAIL_OUT('stack.sh start api failed');
$api_stopped = 0;
ok(wait_until(30, sub { http(GET => '/api/health')->{status} == 200 }), 'api started again: health 200');

done_testing;
