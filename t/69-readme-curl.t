#!/usr/bin/env perl
# The README's curl examples work as written (issue 13.6), and there is one
# for every route of the table: the blocks the
# README marks `<!-- t/69 runs this block -->` run, in order, in one bash,
# against the test stack: localhost:8080 becomes the stack's address and
# build/ the binaries' directory, nothing else changes. Then what they
# print must show every endpoint doing its job, and no error a typo in an
# example would cause (unknown path, bad JSON, missing session).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use BakeryTest;
use RouteTable;

my $repo = "$FindBin::Bin/..";
open my $fh, '<', "$repo/README.md" or die "README.md: $!";
my $readme = do { local $/; <$fh> };
my @blocks = $readme =~ /^<!-- t\/69 runs this block -->\n```sh\n(.*?)^```$/msg;
is(scalar @blocks, 2, 'README.md marks two blocks: the API and the staff endpoints');

# Every route of the table (cgi-bin/router.c, t/lib/RouteTable.pm) has
# an example: a curl whose method (-X, else POST with -d, else GET) and
# path (a $VARIABLE or a number standing for {id}) match the row.
{
	my @rows = route_table($repo);
	(my $joined = join "\n", @blocks) =~ s/\\\n\s*/ /g;
	my @calls;
	for my $line (split /\n/, $joined) {
		next unless $line =~ /\bcurl\b(.*)/;
		my $args = $1;
		my ($url) = $args =~ m{localhost:8080(/[^\s'"?)]*)} or next;
		my $method = $args =~ /-X\s+([A-Z]+)/ ? $1 : $args =~ /\s-d\s/ ? 'POST' : 'GET';
		$url =~ s{/(?:\$\w+|\d+)(?=/|$)}{/{id}}g;
		push @calls, "$method $url";
	}
	my @missing = grep { my $r = "$_->[0] $_->[1]"; !grep { $_ eq $r } @calls } @rows;
	cmp_ok(scalar @rows, '>=', 20, scalar(@rows) . ' routes in the table');
	is_deeply([ map { "$_->[0] $_->[1]" } @missing ], [], 'the README has a curl example of every route')
		or diag "no example: @{[ map { \"$_->[0] $_->[1]\" } @missing ]}";
}

my ($hostport) = base_url() =~ m{^https?://([^/]+)};
my $script = join "\n", @blocks;
my $n8080 = () = $script =~ /localhost:8080/g;
cmp_ok($n8080, '>=', 25, "the blocks call localhost:8080 $n8080 times");
$script =~ s/localhost:8080/$hostport/g;
$script =~ s{\bbuild/bakery-api\b}{"\$BAKERY_BIN/bakery-api"}g;

my $dir = tempdir(CLEANUP => 1);
open my $out, '>', "$dir/readme.sh" or die;
print $out $script;
close $out;
my $output = `cd '$repo' && bash '$dir/readme.sh' 2>&1`;

sub shows {
	my ($re, $what) = @_;
	like($output, $re, $what);
}

shows(qr/"checks":\{"postgres":"ok"/, 'GET /api/health');
shows(qr/\[\{"id":\d+,"name":"[^"]+","description"/, 'GET /api/products');
shows(qr/"category":"bread"/, 'GET /api/products?category=bread');
shows(qr/\}\]\{"id":1,"name"/, 'GET /api/products/1');
shows(qr/\{"order_id":\d+,"status":"\w+","total_amount":10\.95,"token":"[0-9a-f]+"/,
	'POST /api/orders, with the total from the database');
shows(qr/"customer_name":"John Smith"/, 'GET /api/orders/{id} with the token shows the customer');
shows(qr/"code":"invalid_state"|"status":"cancelled"/, 'POST /api/orders/{id}/cancel answers (cancelled, or 409 once taken)');
shows(qr/"status":"failed".*"failure_reason":"payment declined"/, 'the decline.test order failed: payment declined');
shows(qr/\{"message":"Order placed successfully!","order_id":\d+\}/, 'POST /api/order and POST /order (seed shape)');
shows(qr/\{"order_id":\d+,"status":"completed"\}/, 'GET /api/order/{id} and GET /order/{id}: completed');
shows(qr/^bakery_orders\{status="failed"\} \d+$/m, 'GET /api/metrics');
shows(qr/"username":"alice","expires_at"/, 'POST /api/staff/login and GET /api/staff/me');
shows(qr/"active":(?:true|false)/, 'GET /api/staff/products');
shows(qr/"name":"Rye Bun".*"price":1\.35/s, 'POST and PATCH /api/staff/products');
shows(qr/\{"orders":\[/, 'GET /api/staff/orders');
shows(qr/"history":\[/, 'GET /api/staff/orders/{id}');
shows(qr/"code":"invalid_state"|"status":"cancelled"/, 'POST /api/staff/orders/{id}/cancel answers');
shows(qr/"status":"refunded"/, 'POST /api/staff/orders/{id}/refund: the seed order refunded');
shows(qr/"pickup_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d"/, 'POST /api/orders for a pickup slot from GET /api/pickup-slots');
shows(qr/\[\{"start":"[^"]+","end":"[^"]+","remaining":\d+/, 'GET /api/pickup-slots');
shows(qr/"status":"collected"/, 'POST /api/staff/orders/{id}/collect');
shows(qr/"name":"Station Kiosk"/, 'POST /api/staff/branches');
shows(qr/\{"branch_id":\d+,"product_id":3,"stock":24\}/, 'PUT /api/staff/branches/{id}/stock/{id}');
shows(qr/\{"days":\[\{"date":"\d{4}-\d\d-\d\d"/, 'GET /api/staff/summary');
shows(qr/\{"entries":\[/, 'GET /api/staff/audit');
shows(qr/HTTP\/1\.1 204/, 'POST /api/staff/logout: 204');
for my $code (qw(not_found method_not_allowed unauthorized malformed_json invalid_type missing_field
	unsupported_media_type cross_site forbidden invalid_value slot_full slot_unavailable)) {
	unlike($output, qr/"code":"$code"/, "no $code answer");
}
unlike($output, qr/command not found|curl: \(\d+\)|syntax error/, 'no shell or curl error');
diag "what the README's blocks printed:\n$output" unless Test::More->builder->is_passing;

done_testing;
