#!/usr/bin/env perl
# Plain CGI under another web server (SPEC §5 mode 3, issue 13): lighttpd
# with contrib/lighttpd/bakery-cgi.conf, included as it stands, runs
# bakery-api as a CGI program per request against the test stack's
# PostgreSQL, Redis and RabbitMQ: the listing, health, an order placed
# through it and read back through the stack's nginx.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use BakeryTest;
use OpsTest;

my $repo = "$FindBin::Bin/..";
my $bin = $ENV{BAKERY_BIN} or BAIL_OUT('BAKERY_BIN is not set: run the tests with make test');
my $lighttpd = (grep { -x } '/usr/sbin/lighttpd', '/usr/bin/lighttpd')[0];
plan skip_all => 'lighttpd is not installed (Debian package lighttpd; make test-deps installs it)' unless $lighttpd;

my $dir = tempdir(CLEANUP => 1);
my $port = test_port('BAKERY_TEST_LIGHTTPD_PORT');
my $log = "$dir/error.log";
my $conf = "$dir/lighttpd.conf";
# The server around the example: what a site's lighttpd.conf has anyway.
open my $fh, '>', $conf or die "$conf: $!";
print $fh <<"EOF";
server.document-root = "$repo/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$log"
server.pid-file = "$dir/lighttpd.pid"
server.upload-dirs = ( "$dir" )
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", ".css" => "text/css", ".js" => "text/javascript" )
var.bakery_api = "$bin/bakery-api"
include "$repo/contrib/lighttpd/bakery-cgi.conf"
EOF
close $fh;

my ($rc, $out, $err) = run_cmd({ AMQP_URL => undef }, $lighttpd, '-tt', '-f', $conf);
isnt($rc, 0, 'lighttpd refuses the configuration while AMQP_URL is not set');
like("$out$err", qr/AMQP_URL/, 'and names it');
($rc, $out, $err) = run_cmd({}, $lighttpd, '-tt', '-f', $conf);
is($rc, 0, 'lighttpd accepts contrib/lighttpd/bakery-cgi.conf') or diag "$out$err";

ok(!port_open($port), "port $port is free") or BAIL_OUT("something else listens on port $port");
my $server = spawn_server("$dir/lighttpd.out", {}, $lighttpd, '-D', '-f', $conf);
END { stop_server($server, 'KILL', 5) if $server }
ok(wait_until(10, sub { port_open($port) }), "lighttpd listens on 127.0.0.1:$port")
	or diag `cat $dir/lighttpd.out`;
my $ua = HTTP::Tiny->new(timeout => 20);
my $url = "http://127.0.0.1:$port";

my $r = $ua->get("$url/api/health");
is($r->{status}, 200, 'GET /api/health through CGI: 200');
my $h = json_of($r->{content}) || {};
is($h->{checks}{postgres}, 'ok', 'the CGI program got DATABASE_URL from lighttpd (postgres ok)');
is($h->{checks}{redis}, 'ok', 'and REDIS_URL (redis ok)');
is($h->{checks}{rabbitmq}, 'ok', 'and AMQP_URL (rabbitmq ok)');

$r = $ua->get("$url/api/products");
is($r->{status}, 200, 'GET /api/products through CGI: 200');
like($r->{headers}{'content-type'} // '', qr{^application/json}, 'as JSON');
my $list = json_of($r->{content});
ok(ref $list eq 'ARRAY' && @$list, 'the listing');
my $via_nginx = http(GET => '/api/products')->{json};
is_deeply([ map { $_->{id} } @$list ], [ map { $_->{id} } @$via_nginx ], 'the same products as through nginx and FastCGI');
$r = $ua->get("$url/api/products?category=bread");
my $bread = json_of($r->{content}) || [];
ok(@$bread && !grep({ $_->{category} ne 'bread' } @$bread), 'the query string reaches the program (category=bread)');
is($ua->get("$url/api/products/999999999")->{status}, 404, 'an unknown product: 404, the app\'s own answer');

my $order = '{"customer_name":"Cgi Lighttpd","customer_email":"cgi@example.com","items":[{"product_id":'
	. $list->[0]{id} . ',"quantity":1}]}';
$r = $ua->request(POST => "$url/api/orders", { content => $order, headers => { 'Content-Type' => 'application/json' } });
is($r->{status}, 201, 'POST /api/orders through CGI: 201');
my $placed = json_of($r->{content}) || {};
like($placed->{order_id} // '', qr/^\d+$/, 'with the order id');
is($r->{headers}{location}, "/api/orders/$placed->{order_id}", 'and its Location');
my $back = http(GET => "/api/orders/$placed->{order_id}?token=$placed->{token}");
is($back->{json}{customer_name}, 'Cgi Lighttpd', 'the stack (nginx, FastCGI) reads the order placed through CGI');

$r = $ua->get("$url/api/metrics");
is($r->{status}, 200, 'GET /api/metrics through CGI from loopback: 200');
like($r->{content}, qr/^bakery_metrics_scope\{scope="process"\} 1$/m, 'one CGI process\'s own counters, and it says so');
is(HTTP::Tiny->new(timeout => 20, local_address => '127.0.0.2')->get("$url/api/metrics")->{status}, 403,
	'from another address: 403');
is($ua->get("$url/")->{status}, 200, 'lighttpd serves the storefront beside it');

# (lighttpd 1.4 exits with status 1 after a SIGTERM; its log says why.)
ok(defined stop_server($server, 'TERM'), 'lighttpd stops on SIGTERM');
$server = undef;
my $errors = join '', map { open my $l, '<', $_ or die "$_: $!"; local $/; <$l> } $log, "$dir/lighttpd.out";
like($errors, qr/server stopped by/, 'as asked');
# The CGI programs' stderr is lighttpd's: their log lines are here.
like($errors, qr/order=$placed->{order_id} order placed/, "the program's log line of the order");
unlike($errors, qr/AddressSanitizer|LeakSanitizer|runtime error:/, 'no sanitizer report from the CGI runs')
	or diag $errors;

done_testing;
