#!/usr/bin/env perl
# GET /api/health through nginx reports each backing service.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;

my $r = http(GET => '/api/health');
is($r->{status}, 200, 'health answers 200 with every service up');
like($r->{headers}{'content-type'}, qr{^application/json}, 'health is JSON');
is_deeply($r->{json}, { status => 'ok', checks => { postgres => 'ok', redis => 'ok', rabbitmq => 'ok' } },
	'all three services reported ok');

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
